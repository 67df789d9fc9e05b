using Bootstrap.Builder.Kernels;

namespace Bootstrap.Api.Http;

/// <summary>
/// Turns a broken dependency into a 503 that names it, on the requests that touch it only: a
/// missing kernels folder fails what reads kernels, a locked or damaged database fails what
/// queries it; everything else goes on working. A middleware rather than an endpoint filter: the
/// filter pipeline costs every boot-script request an allocation and an indirection.
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
