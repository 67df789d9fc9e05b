using System.Diagnostics;
using Bootstrap.Builder.Observability;

namespace Bootstrap.Api.Http;

/// <summary>
/// One structured log line and one <c>bootstrap_requests_total</c> count per request: route
/// family, network, farm, target, status, cache outcome, build time, bytes. Handlers add what only
/// they know (target, cache outcome, build time) to the request's <see cref="Facts"/>.
/// </summary>
public static partial class RequestLog
{
    /// <summary>What a handler knows that the log line reports; a request feature, so requests without facts allocate nothing.</summary>
    public sealed class Facts
    {
        public string? Target { get; set; }
        public string? Cache { get; set; }
        public double? BuildMs { get; set; }
    }

    /// <summary>The facts of <paramref name="http"/>, made on first use.</summary>
    public static Facts FactsOf(HttpContext http)
    {
        var facts = http.Features.Get<Facts>();
        if (facts == null)
            http.Features.Set(facts = new Facts());
        return facts;
    }

    public static IApplicationBuilder UseRequestLog(this IApplicationBuilder app)
    {
        var log = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap.Requests");
        var metrics = app.ApplicationServices.GetRequiredService<BootstrapMetrics>();
        return app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            var failed = false;
            try
            {
                await next(http);
            }
            catch when (!http.Response.HasStarted)
            {
                failed = true;   // the server answers 500 after this middleware has returned: log what is sent
                throw;
            }
            finally
            {
                var family = Family(http);
                // 499 (the client closed the connection) unless an answer was chosen: a body cut off mid-read is the 400 the fault handling set.
                var status = failed ? StatusCodes.Status500InternalServerError
                    : http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted && http.Response.StatusCode == StatusCodes.Status200OK ? 499
                    : http.Response.StatusCode;
                var bytes = http.Response.ContentLength ?? -1;
                metrics.Requests.Add(1, new("family", family), new("status", Boxed(status)));
                if (family == "kernel" && status is 200 or 206 && bytes > 0 && !HttpMethods.IsHead(http.Request.Method))
                    metrics.KernelBytes.Add(bytes);
                if (log.IsEnabled(LogLevel.Information))
                {
                    var facts = http.Features.Get<Facts>();
                    Served(log, family, http.Request.Method, LogText.Escape(http.Request.Path.Value), status,
                        LogText.Escape(http.GetRouteValue("network") as string ?? "-"), LogText.Escape(http.GetRouteValue("farmer") as string ?? "-"),
                        facts?.Target ?? "-", facts?.Cache ?? "-", (object?)facts?.BuildMs ?? "-",
                        bytes, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message =
        "{Family} {Method} {Path} {Status} network={Network} farm={Farm} target={Target} cache={Cache} build_ms={BuildMs} bytes={Bytes} ms={Ms:F1}")]
    private static partial void Served(ILogger log, string family, string method, string? path, int status,
        string network, string farm, string target, string cache, object buildMs, long bytes, double ms);

    /// <summary>The first path segment of a matched route (ipxe, iso, kernel, provision, ...); "unmatched" otherwise, so labels stay few.</summary>
    private static string Family(HttpContext http) =>
        http.GetEndpoint() is RouteEndpoint endpoint ? Families.GetOrAdd(endpoint, FamilyOf) : "unmatched";

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<RouteEndpoint, string> Families = new();

    private static string FamilyOf(RouteEndpoint endpoint) =>
        endpoint.RoutePattern.PathSegments.FirstOrDefault()?.Parts.FirstOrDefault() is Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal
            ? literal.Content : "page";

    /// <summary>Status codes as metric tag values, boxed once rather than per request.</summary>
    private static object Boxed(int status) => status is >= 100 and < 600 ? BoxedStatuses[status - 100] : status;

    private static readonly object[] BoxedStatuses = Enumerable.Range(100, 500).Select(s => (object)s).ToArray();
}
