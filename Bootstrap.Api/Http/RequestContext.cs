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
}
