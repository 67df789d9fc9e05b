using System.Text.RegularExpressions;
using Bootstrap.Builder.Configuration;

namespace Bootstrap.Builder.Boot;

/// <summary>
/// The scheme and host under which booting machines reach this service, as written into scripts.
/// A configured <c>base-host</c> wins. Otherwise the host is the request's, and the scheme is the
/// one the machine really used: a trusted proxy's X-Forwarded-Proto, else the service's own HTTPS
/// listener when one is configured, else the scheme the request came in on, so that a default site
/// on plain HTTP hands out URLs that work on plain HTTP. 0-bootstrap's rule (https unless the host
/// contains <c>unsecure</c>, which assumed a TLS proxy in front) applies only with
/// <c>"kernel-scheme": "https"</c>.
/// </summary>
public static partial class PublicUrl
{
    [GeneratedRegex(@"^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::([0-9]{1,5}))?\z")]
    private static partial Regex HostHeader();

    /// <summary>
    /// Returns the base URL without a trailing slash, or null with the reason when the host cannot
    /// be used (not a host name, or a port above 65535). When the service serves HTTPS itself
    /// (<paramref name="httpsPort"/> above 0, no proxy's scheme given), scripts point at
    /// <c>https://&lt;host&gt;:&lt;https-port&gt;</c>, whichever port the request came to.
    /// </summary>
    public static (string? Url, string? Problem) Resolve(string baseHost, string? host, string requestScheme, string? forwardedProto,
        int httpsPort = 0, string kernelScheme = KernelSchemes.Request)
    {
        if (baseHost.Length > 0)
            return (baseHost.TrimEnd('/'), null);
        var hostHeader = HostHeader().Match(host ?? "");
        if (!hostHeader.Success || (hostHeader.Groups[2].Success && int.Parse(hostHeader.Groups[2].Value) > 65535))
            return (null, "the Host header is missing or is not a host name with an optional port (1-65535); set base-host in config.json");
        var proxyScheme = forwardedProto?.ToLowerInvariant() is "http" or "https" ? forwardedProto.ToLowerInvariant() : null;
        if (httpsPort > 0 && proxyScheme == null)
            return ($"https://{hostHeader.Groups[1].Value}:{httpsPort}", null);
        var scheme = proxyScheme
            ?? (kernelScheme == KernelSchemes.ZeroBootstrap
                ? host!.Contains("unsecure", StringComparison.OrdinalIgnoreCase) ? "http" : "https"
                : requestScheme.Equals("https", StringComparison.OrdinalIgnoreCase) ? "https" : "http");
        return ($"{scheme}://{host}", null);
    }

    /// <summary>The host (and port) part of a URL produced by <see cref="Resolve"/>.</summary>
    public static string HostOf(string url) => new Uri(url).Authority;
}
