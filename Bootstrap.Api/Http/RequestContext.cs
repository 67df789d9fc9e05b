using Bootstrap.Builder.Boot;

namespace Bootstrap.Api.Http;

public static class RequestContext
{
    /// <summary>
    /// The base URL booting machines use to reach this service: <c>base-host</c> if configured, else
    /// the request's Host and scheme (X-Forwarded-Host/Proto only when the peer is a trusted proxy;
    /// see <see cref="PublicUrl"/> for <c>https-port</c> and <c>kernel-scheme</c>).
    /// </summary>
    public static (string? Url, string? Problem) PublicBaseUrl(this HttpContext http, BootstrapConfig config)
    {
        var (host, proto) = (http.ClientHost(), http.ForwardedScheme());
        return PublicUrl.Resolve(config.BaseHost, host, http.Request.Scheme, proto, config.HttpsPort, config.KernelScheme);
    }

    /// <summary>
    /// The base URL to show a person on a page: <c>base-host</c> if configured, else the scheme and
    /// host their browser used (through a trusted proxy: the forwarded ones).
    /// </summary>
    public static (string? Url, string? Problem) PageBaseUrl(this HttpContext http, BootstrapConfig config)
    {
        var (host, proto) = (http.ClientHost(), http.ForwardedScheme());
        return PublicUrl.Resolve(config.BaseHost, host, http.Request.Scheme, proto);
    }

    /// <summary>The client's address as the service names it (an IPv4 peer seen as IPv6-mapped is itself; through a trusted proxy, the forwarded one); "" when unknown.</summary>
    public static string ClientAddress(this HttpContext http) =>
        http.Connection.RemoteIpAddress is { } address ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString() : "";
}
