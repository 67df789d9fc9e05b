using System.Diagnostics;
using Bootstrap.Builder.Observability;

namespace Bootstrap.Api.Http;

/// <summary>
/// One structured log line and one <c>bootstrap_requests_total</c> count per request: route
/// family, network, farm, target, status, cache outcome, build time, bytes. Handlers add what only
/// they know (target, cache outcome, build time) to <see cref="HttpContext.Items"/>.
/// </summary>
public static class RequestLog
{
    public const string Target = "bootstrap.target";
    public const string Cache = "bootstrap.cache";
    public const string BuildMs = "bootstrap.build_ms";

    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app)
    {
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap.Requests");
        var metrics = app.ApplicationServices.GetRequiredService<BootstrapMetrics>();
        return app.Use(async (http, next) =>
        {
            var clock = Stopwatch.StartNew();
            try
            {
                await next(http);
            }
            finally
            {
                var family = Family(http);
                var status = http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted ? 499 : http.Response.StatusCode;
                var bytes = http.Response.ContentLength ?? -1;
                metrics.Requests.Add(1, new("family", family), new("status", status));
                if (family == "kernel" && status is 200 or 206 && bytes > 0 && !HttpMethods.IsHead(http.Request.Method))
                    metrics.KernelBytes.Add(bytes);
                log.LogInformation(
                    "{Family} {Method} {Path} {Status} network={Network} farm={Farm} target={Target} cache={Cache} build_ms={BuildMs} bytes={Bytes} ms={Ms:F1}",
                    family, http.Request.Method, http.Request.Path.Value, status,
                    http.GetRouteValue("network") ?? "-", http.GetRouteValue("farmer") ?? "-",
                    http.Items[Target] ?? "-", http.Items[Cache] ?? "-", http.Items[BuildMs] ?? "-",
                    bytes, clock.Elapsed.TotalMilliseconds);
            }
        });
    }

    /// <summary>The first path segment of a matched route (ipxe, iso, kernel, provision, ...); "unmatched" otherwise, so labels stay few.</summary>
    private static string Family(HttpContext http)
    {
        if (http.GetEndpoint() is not RouteEndpoint endpoint)
            return "unmatched";
        var first = endpoint.RoutePattern.PathSegments.FirstOrDefault()?.Parts.FirstOrDefault();
        return first is Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal ? literal.Content : "page";
    }
}
