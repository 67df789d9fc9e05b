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
        var (host, proto) = Forwarded(http, config);
        return PublicUrl.Resolve(config.BaseHost, host, proto);
    }

    /// <summary>
    /// The base URL to show a person on a page: <c>base-host</c> if configured, else the scheme and
    /// host their browser used (through a trusted proxy: the forwarded ones).
    /// </summary>
    public static (string? Url, string? Problem) PageBaseUrl(this HttpContext http, BootstrapConfig config)
    {
        var (host, proto) = Forwarded(http, config);
        return PublicUrl.Resolve(config.BaseHost, host, proto ?? http.Request.Scheme);
    }

    /// <summary>The request's host, and the scheme a proxy says the client used; headers count only from a trusted proxy.</summary>
    private static (string? Host, string? Proto) Forwarded(HttpContext http, BootstrapConfig config)
    {
        var host = http.Request.Host.Value;
        if (!IsTrustedProxy(http.Connection.RemoteIpAddress, config))
            return (host, null);
        return (LastValue(http.Request.Headers["X-Forwarded-Host"]) ?? host, LastValue(http.Request.Headers["X-Forwarded-Proto"]));
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
