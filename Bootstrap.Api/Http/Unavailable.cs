using Bootstrap.Builder.Storage.Kernels;
using Microsoft.Data.Sqlite;

namespace Bootstrap.Api.Http;

/// <summary>
/// Turns a broken dependency into a 503 that names it, for the routes that need it only: a
/// missing kernels folder fails the kernel and script routes, a locked or damaged database fails
/// /provision; everything else goes on working.
/// </summary>
public sealed class Unavailable(ILoggerFactory logs) : IEndpointFilter
{
    private readonly ILogger _log = logs.CreateLogger("Bootstrap.Faults");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (KernelsUnavailableException e)
        {
            _log.LogError("{Problem}", e.Message);
            return PlainText.Error(StatusCodes.Status503ServiceUnavailable, e.Message);
        }
        catch (SqliteException e)
        {
            _log.LogError("provisioning database: {Problem}", e.Message);
            context.HttpContext.Response.Headers.RetryAfter = "5";
            return PlainText.Error(StatusCodes.Status503ServiceUnavailable, $"the provisioning database is unavailable ({e.Message.TrimEnd('.')}); retry shortly");
        }
    }
}
