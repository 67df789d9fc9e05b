using System.Net;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>Behind a trusted proxy each client has its own budget; nobody else can choose their address.</summary>
public sealed class TrustedProxyTests
{
    private static async Task<HttpStatusCode> AdminCall(TestSite site, string? forwardedFor)
    {
        var client = site.AdminClient();
        if (forwardedFor != null)
            client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        return (await client.PostAsync("/api/symlink/prod.efi/zos.efi", null)).StatusCode;
    }

    [Fact]
    public async Task Two_clients_behind_a_trusted_proxy_have_separate_budgets()
    {
        // TestServer's peer is 127.0.0.1: the proxy.
        using var site = new TestSite(c => { c["trusted-proxies"] = new[] { "127.0.0.1" }; c["admin-requests-per-minute"] = 2; });
        site.AddProdKernel();

        Assert.Equal(HttpStatusCode.OK, await AdminCall(site, "192.0.2.1"));
        Assert.Equal(HttpStatusCode.OK, await AdminCall(site, "192.0.2.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await AdminCall(site, "192.0.2.1"));
        Assert.Equal(HttpStatusCode.OK, await AdminCall(site, "192.0.2.2"));
        Assert.Equal(HttpStatusCode.OK, await AdminCall(site, "192.0.2.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await AdminCall(site, "192.0.2.2"));
    }

    [Fact]
    public async Task The_429_names_the_real_client_behind_the_proxy()
    {
        using var site = new TestSite(c => { c["trusted-proxies"] = new[] { "127.0.0.1" }; c["admin-requests-per-minute"] = 1; });
        site.AddProdKernel();
        var client = site.AdminClient();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", "198.51.100.9, 192.0.2.7");

        await client.PostAsync("/api/symlink/prod.efi/zos.efi", null);
        var refused = await client.PostAsync("/api/symlink/prod.efi/zos.efi", null);

        Assert.StartsWith("too many admin API requests from 192.0.2.7; retry in ", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_client_that_is_not_a_trusted_proxy_cannot_choose_its_address()
    {
        using var site = new TestSite(c => { c["trusted-proxies"] = new[] { "192.0.2.250" }; c["admin-requests-per-minute"] = 2; });
        site.AddProdKernel();

        Assert.Equal(HttpStatusCode.OK, await AdminCall(site, "192.0.2.1"));
        Assert.Equal(HttpStatusCode.OK, await AdminCall(site, "192.0.2.2"));
        // A fresh X-Forwarded-For does not buy a fresh budget: the peer, 127.0.0.1, is what counts.
        Assert.Equal(HttpStatusCode.TooManyRequests, await AdminCall(site, "192.0.2.3"));
    }

    [Fact]
    public async Task Without_trusted_proxies_forwarded_headers_are_ignored()
    {
        using var site = new TestSite(c => c["admin-requests-per-minute"] = 1);
        site.AddProdKernel();

        Assert.Equal(HttpStatusCode.OK, await AdminCall(site, "192.0.2.1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await AdminCall(site, "192.0.2.2"));
    }

    [Fact]
    public async Task With_kernel_scheme_https_the_unsecure_host_rule_holds_behind_a_proxy_that_sends_no_scheme()
    {
        using var site = new TestSite(c => { c["trusted-proxies"] = new[] { "127.0.0.1" }; c["kernel-scheme"] = "https"; });
        site.AddProdKernel();
        var client = site.Client("internal.test");
        client.DefaultRequestHeaders.Add("X-Forwarded-Host", "boot-unsecure.example.test");
        client.DefaultRequestHeaders.Add("X-Original-Proto", "https");   // posing as the middleware: ignored

        var script = await client.GetStringAsync("/ipxe/prod");

        Assert.Contains("echo Kernel: http://boot-unsecure.example.test/kernel/net/prod.efi", Scripts.Lines(Scripts.AsSeenBy(script)));
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_that_says_https_kernels_are_fetched_over_https()
    {
        using var site = new TestSite(c => c["trusted-proxies"] = new[] { "127.0.0.1" });
        site.AddProdKernel();
        var client = site.Client("internal.test:5555");
        client.DefaultRequestHeaders.Add("X-Forwarded-Host", "boot.example.test");
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");

        var script = await client.GetStringAsync("/ipxe/prod");

        Assert.Contains("echo Kernel: https://boot.example.test/kernel/net/prod.efi", Scripts.Lines(Scripts.AsSeenBy(script)));
    }
}
