using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Bootstrap.Api.Http;

/// <summary>
/// <c>trusted-proxies</c> through the framework's ForwardedHeadersMiddleware: from a listed proxy,
/// <c>X-Forwarded-For</c>, <c>-Host</c> and <c>-Proto</c> become the request's client address (so
/// per-client budgets see the real client), host and scheme; from anyone else they are ignored.
/// The framework's default trust of loopback is dropped: only the listed addresses count.
/// </summary>
public static class TrustedProxies
{
    // The middleware writes the values it replaced under these names; a client must not pose as it.
    private static readonly string[] OriginalHeaders = ["X-Original-For", "X-Original-Host", "X-Original-Proto"];

    public static IServiceCollection AddTrustedProxies(this IServiceCollection services, BootstrapConfig config) =>
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedHost | ForwardedHeaders.XForwardedProto;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in config.TrustedProxies)
                options.KnownProxies.Add(IPAddress.Parse(proxy));
        });

    /// <summary>Applies the forwarded headers of listed proxies; with none listed nothing is forwarded (the framework would trust everyone).</summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app, BootstrapConfig config)
    {
        if (config.TrustedProxies.Count == 0)
            return app;
        var isProxy = Listed(config);
        return app.Use((http, next) =>
        {
            foreach (var header in OriginalHeaders)
                http.Request.Headers.Remove(header);
            if (isProxy(http.Connection.RemoteIpAddress) && LastValue(http.Request.Headers["X-Forwarded-Host"]) is { } host)
                http.Features.Set(new ProxyHost(host));
            return next(http);
        }).UseForwardedHeaders();
    }

    /// <summary>Whether a peer address is one of <c>trusted-proxies</c> (an IPv4 address seen as IPv6-mapped counts as itself).</summary>
    public static Func<IPAddress?, bool> Listed(BootstrapConfig config)
    {
        var proxies = config.TrustedProxies.Select(IPAddress.Parse).ToHashSet();
        return peer => peer != null && proxies.Contains(peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer);
    }

    /// <summary>The forwarded host a trusted proxy sent, as sent (a feature: nothing is made for direct requests).</summary>
    private sealed record ProxyHost(string Sent);

    /// <summary>
    /// The host booting machines asked for: a trusted proxy's forwarded host when it sent one (as
    /// sent, when the framework found it malformed and kept the request's own, so that the
    /// caller refuses it rather than silently answering for another host), else the Host header.
    /// </summary>
    public static string? ClientHost(this HttpContext http) =>
        http.Features.Get<ProxyHost>() is { } proxy && !http.Request.Headers.ContainsKey("X-Original-Host") ? proxy.Sent : http.Request.Host.Value;

    /// <summary>The scheme a trusted proxy said the client used, or null when no proxy said so.</summary>
    public static string? ForwardedScheme(this HttpContext http) =>
        http.Request.Headers.ContainsKey("X-Original-Proto") ? http.Request.Scheme : null;

    /// <summary>The value the nearest proxy appended (proxies append to comma-separated lists).</summary>
    private static string? LastValue(string? header) =>
        string.IsNullOrWhiteSpace(header) ? null : header.Split(',')[^1].Trim();
}
