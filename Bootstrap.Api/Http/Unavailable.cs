using Bootstrap.Builder.Kernels;

namespace Bootstrap.Api.Http;

/// <summary>
/// Turns a broken dependency into a 503 that names it, on the requests that touch it only: a
/// missing kernels folder fails what reads kernels, a locked or damaged database fails what
/// queries it; everything else goes on working. A middleware rather than an endpoint filter: the
/// filter pipeline costs every boot-script request an allocation and an indirection. A body the
/// client botched (malformed chunks, too slow, cut off) is the client's fault, answered and logged
/// as such in one line: 400, 408 or 413, never a 500 with a stack trace.
/// </summary>
public static class Unavailable
{
    public static IApplicationBuilder UseUnavailableAnswers(this IApplicationBuilder app)
    {
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap.Faults");
        return app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (BadHttpRequestException e) when (!http.Response.HasStarted)
            {
                // Kestrel's own reading errors (RFC 9112 §7.1 chunk framing, MinRequestBodyDataRate, MaxRequestBodySize):
                // the request log's line for this request says the status; no trace.
                await new StatusText(e.StatusCode, $"request body: {e.Message}").ExecuteAsync(http);
            }
            catch (Exception e) when (http.RequestAborted.IsCancellationRequested && e is IOException or OperationCanceledException)
            {
                // The client went away mid-request: no one to answer; the request log's line says 400.
                http.Response.StatusCode = StatusCodes.Status400BadRequest;
            }
            catch (KernelsUnavailableException e) when (!http.Response.HasStarted)
            {
                log.LogError("{Problem}", e.Message);
                await PlainText.Unavailable(e.Message).ExecuteAsync(http);
            }
            catch (System.Data.Common.DbException e) when (!http.Response.HasStarted)
            {
                log.LogError("provisioning database: {Problem}", e.Message);
                http.Response.Headers.RetryAfter = "5";
                // PostgreSQL's messages name its host and port: they go to the log, not to the client.
                var reason = e is Npgsql.NpgsqlException ? "PostgreSQL did not answer" : e.Message.TrimEnd('.');
                await PlainText.Unavailable(
                    $"the provisioning database is unavailable ({reason}); retry shortly").ExecuteAsync(http);
            }
        });
    }
}
