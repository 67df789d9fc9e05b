using System.Text.RegularExpressions;

namespace Bootstrap.Builder.Boot;

/// <summary>
/// The scheme and host under which booting machines reach this service, as written into scripts.
/// 0-bootstrap's rule: <c>https://&lt;Host&gt;</c>, or <c>http</c> when the host name contains
/// <c>unsecure</c>; a configured <c>base-host</c> replaces both; a trusted proxy's
/// X-Forwarded-Proto chooses the scheme.
/// </summary>
public static partial class PublicUrl
{
    [GeneratedRegex(@"^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?\z")]
    private static partial Regex HostHeader();

    /// <summary>
    /// Returns the base URL without a trailing slash, or null with the reason when the host cannot
    /// be used. When the service serves HTTPS itself (<paramref name="httpsPort"/> above 0, no
    /// proxy's scheme given), scripts point at <c>https://&lt;host&gt;:&lt;https-port&gt;</c>, whichever port the request came to.
    /// </summary>
    public static (string? Url, string? Problem) Resolve(string baseHost, string? host, string? forwardedProto, int httpsPort = 0)
    {
        if (baseHost.Length > 0)
            return (baseHost.TrimEnd('/'), null);
        var hostHeader = HostHeader().Match(host ?? "");
        if (!hostHeader.Success)
            return (null, "the Host header is missing or is not a host name; set base-host in config.json");
        if (httpsPort > 0 && forwardedProto == null)
            return ($"https://{hostHeader.Groups[1].Value}:{httpsPort}", null);
        var scheme = forwardedProto?.ToLowerInvariant() switch
        {
            "http" => "http",
            "https" => "https",
            _ => host!.Contains("unsecure", StringComparison.OrdinalIgnoreCase) ? "http" : "https",
        };
        return ($"{scheme}://{host}", null);
    }

    /// <summary>The host (and port) part of a URL produced by <see cref="Resolve"/>.</summary>
    public static string HostOf(string url) => new Uri(url).Authority;
}
