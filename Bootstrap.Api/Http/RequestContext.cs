using System.Net;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Scripts;

namespace Bootstrap.Api.Http;

public static class RequestContext
{
    /// <summary>
    /// The base URL booting machines use to reach this service: <c>base-host</c> if configured, else
    /// the request's Host (X-Forwarded-Host/Proto only when the peer is a trusted proxy).
    /// </summary>
    public static (string? Url, string? Problem) PublicBaseUrl(this HttpContext http, BootstrapConfig config)
    {
        var host = http.Request.Host.Value;
        string? proto = null;
        if (IsTrustedProxy(http.Connection.RemoteIpAddress, config))
        {
            var forwardedHost = LastValue(http.Request.Headers["X-Forwarded-Host"]);
            if (forwardedHost != null)
                host = forwardedHost;
            proto = LastValue(http.Request.Headers["X-Forwarded-Proto"]);
        }
        return PublicUrl.Resolve(config.BaseHost, host, proto);
    }

    /// <summary>
    /// The base URL to show a person on a page: <c>base-host</c> if configured, else the scheme and
    /// host their browser used (through a trusted proxy: the forwarded ones).
    /// </summary>
    public static (string? Url, string? Problem) PageBaseUrl(this HttpContext http, BootstrapConfig config)
    {
        var forwarded = IsTrustedProxy(http.Connection.RemoteIpAddress, config);
        var proto = (forwarded ? LastValue(http.Request.Headers["X-Forwarded-Proto"]) : null) ?? http.Request.Scheme;
        var host = (forwarded ? LastValue(http.Request.Headers["X-Forwarded-Host"]) : null) ?? http.Request.Host.Value;
        return PublicUrl.Resolve(config.BaseHost, host, proto);
    }

    private static bool IsTrustedProxy(IPAddress? remote, BootstrapConfig config)
    {
        if (remote == null || config.TrustedProxies.Count == 0)
            return false;
        if (remote.IsIPv4MappedToIPv6)
            remote = remote.MapToIPv4();
        return config.TrustedProxies.Any(p => IPAddress.Parse(p).Equals(remote));
    }

    /// <summary>The value the nearest proxy appended (proxies append to comma-separated lists).</summary>
    private static string? LastValue(string? header) =>
        string.IsNullOrWhiteSpace(header) ? null : header.Split(',')[^1].Trim();
}
