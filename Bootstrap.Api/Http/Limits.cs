using System.Globalization;
using System.Threading.RateLimiting;

namespace Bootstrap.Api.Http;

/// <summary>
/// Per-client-address budgets (System.Threading.RateLimiting): admin API calls, and cold image
/// builds (an image already cached costs nothing and is not counted). Past a budget: 429 with
/// Retry-After.
/// </summary>
public sealed class ClientBudgets(BootstrapConfig config) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _admin = PerMinute(config.AdminRequestsPerMinute);
    private readonly PartitionedRateLimiter<string> _coldBuilds = PerMinute(config.ColdBuildsPerMinute);
    private readonly PartitionedRateLimiter<string> _failedAuthentication = PerMinute(FailedAuthenticationsPerMinute);
    private readonly PartitionedRateLimiter<string> _unknownMachines = PerMinute(config.UnknownMachinesPerMinute);

    /// <summary>Wrong admin tokens a client address may send per minute before it gets 429 instead of 401.</summary>
    public const int FailedAuthenticationsPerMinute = 10;

    private static PartitionedRateLimiter<string> PerMinute(int permits) =>
        PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ =>
            new TokenBucketRateLimiterOptions
            {
                TokenLimit = permits,
                TokensPerPeriod = permits,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));

    /// <summary>Null when the admin call may go on, else the 429 answer.</summary>
    public Text<Status.TooMany>? Admin(HttpContext http) => Take(_admin, http, "admin API requests");

    /// <summary>Null when another wrong token may be answered 401, else the 429 answer; the holder of the right token is never counted here.</summary>
    public Text<Status.TooMany>? FailedAuthentication(HttpContext http) => Take(_failedAuthentication, http, "failed admin authentications");

    /// <summary>Null when another unknown MAC from this client may be recorded, else the 429 answer.</summary>
    public Text<Status.TooMany>? UnknownMachine(HttpContext http) => Take(_unknownMachines, http, "unknown machines");

    /// <summary>Null when the cold build may go on, else the 429 answer.</summary>
    public Text<Status.TooMany>? ColdBuild(HttpContext http) => Take(_coldBuilds, http, "cold image builds");

    private static Text<Status.TooMany>? Take(PartitionedRateLimiter<string> limiter, HttpContext http, string what)
    {
        using var lease = limiter.AttemptAcquire(ClientKey.Of(http.Connection.RemoteIpAddress));
        if (lease.IsAcquired)
            return null;
        var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : 60;
        http.Response.Headers.RetryAfter = retry.ToString(CultureInfo.InvariantCulture);
        return PlainText.TooMany($"too many {what} from {http.Connection.RemoteIpAddress}; retry in {retry} s");
    }

    public void Dispose()
    {
        _admin.Dispose();
        _coldBuilds.Dispose();
        _failedAuthentication.Dispose();
        _unknownMachines.Dispose();
    }
}

public static class SecurityHeaders
{
    /// <summary>Routes whose answers may carry a machine's token, an answer file or what the admin API holds: never kept by a cache.</summary>
    private static readonly string[] NoStorePrefixes = ["/api", "/provision", "/answer"];

    /// <summary>
    /// nosniff on every answer, and <c>Cache-Control: no-store</c> on the routes that may carry
    /// secrets, set before the handler runs (no per-request callback). HTML pages add their own
    /// strict policy: see <see cref="AddHtmlHeaders"/>.
    /// </summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((http, next) =>
        {
            http.Response.Headers.XContentTypeOptions = "nosniff";
            foreach (var prefix in NoStorePrefixes)
                if (http.Request.Path.StartsWithSegments(prefix))
                    http.Response.Headers.CacheControl = "no-store";
            return next(http);
        });

    /// <summary>A strict Content-Security-Policy (only our own scripts and styles), no framing, no referrer leaking farm ids.</summary>
    public static void AddHtmlHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
    }
}
