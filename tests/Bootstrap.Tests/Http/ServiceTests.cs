using Bootstrap.Builder.Configuration;
using System.Net;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

public sealed class ServiceTests
{
    [Fact]
    public async Task Healthz_is_200_when_config_kernels_and_database_work()
    {
        using var site = new TestSite();

        var response = await site.AdminClient().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($$$"""
            {"status":"ok","checks":{"config":"{{{site.ConfigFile}}}","kernels":"ok","kernel-store":"{{{site.KernelStoreCheck}}}","database":"ok","storage":"{{{site.StorageCheck}}}","template":"no iPXE template in {{{site.Root}}}/ipxe-template: run setup/template.sh","secure-boot-images":"unavailable until the iPXE template is fixed","secure-boot-signing":"no site key: EFI files and kernels are served as they are","pxe":"off (pxe.enabled is false)"}}
            """,
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthz_shows_only_the_status_without_the_admin_token()
    {
        using var site = new TestSite();
        var stranger = site.Client();
        stranger.DefaultRequestHeaders.Authorization = new("Bearer", "wrong");

        foreach (var client in new[] { site.Client(), stranger })
        {
            var response = await client.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("{\"status\":\"ok\"}", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    [Trait("engine", "sqlite")]
    public async Task Healthz_is_503_when_the_database_is_unusable()
    {
        using var site = new TestSite();
        var client = site.AdminClient();
        await client.GetAsync("/healthz");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.WriteAllText(site.Database, "this is not a database, it is a text file of some length........................................");

        var response = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains($"\"database\":\"cannot query {site.Database}\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Base_host_replaces_scheme_and_host()
    {
        using var site = new TestSite(c => c["base-host"] = "http://10.0.2.100/boot/");
        site.AddProdKernel();

        var lines = Scripts.Lines(Scripts.AsSeenBy(await site.Client("anything.test").GetStringAsync("/ipxe/prod/1")));

        Assert.Contains("echo Kernel: http://10.0.2.100/boot/kernel/net/prod.efi", lines);
        // Reached by IP address: no DNS server is required of the DHCP answer.
        Assert.Contains("# the service is addressed by IP: no DNS server needed", lines);
        Assert.DoesNotContain("isset ${net${nic}/dns} || goto incomplete", lines);
    }

    [Fact]
    public async Task Forwarded_headers_count_only_from_trusted_proxies()
    {
        using var trusting = new TestSite(c => c["trusted-proxies"] = new[] { "127.0.0.1", "::1" });
        using var untrusting = new TestSite();
        foreach (var site in new[] { trusting, untrusting })
        {
            site.AddProdKernel();
        }

        string KernelLine(string script) => Scripts.Lines(Scripts.AsSeenBy(script)).Single(l => l.StartsWith("echo Kernel: "));
        async Task<string> Ask(TestSite site)
        {
            var client = site.Client("internal.test:5555");
            client.DefaultRequestHeaders.Add("X-Forwarded-Host", "spoofed.test, boot.public.test");
            client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
            return KernelLine(await client.GetStringAsync("/ipxe/prod"));
        }

        // TestServer's peer address is loopback, so only the first site trusts it.
        Assert.Equal("echo Kernel: https://boot.public.test/kernel/net/prod.efi", await Ask(trusting));
        Assert.Equal("echo Kernel: http://internal.test:5555/kernel/net/prod.efi", await Ask(untrusting));
    }

    [Fact]
    public async Task Hostile_host_header_is_refused_rather_than_written_into_the_script()
    {
        using var site = new TestSite(c => c["trusted-proxies"] = new[] { "127.0.0.1", "::1" });
        site.AddProdKernel();
        var client = site.Client();
        client.DefaultRequestHeaders.Add("X-Forwarded-Host", "evil.test/${net0/mac}");

        var response = await client.GetAsync("/ipxe/prod");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("the Host header is missing or is not a host name with an optional port (1-65535); set base-host in config.json\n", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/ipxe/prod")]
    [InlineData("/grub/prod/1")]
    [InlineData("/iso/prod/1")]
    [InlineData("/iso-sb/prod/1")]
    [InlineData("/ipxe-generic")]
    [InlineData("/discovery")]
    public async Task A_host_with_a_port_above_65535_is_refused_with_400(string route)
    {
        using var site = new TestSite();
        site.AddProdKernel();
        Directory.CreateDirectory(Path.Combine(site.Root, "discovery"));
        foreach (var file in ConfigLoader.DiscoveryFiles)
            File.WriteAllBytes(Path.Combine(site.Root, "discovery", file), [1]);
        site.Restart(c => c["discovery-image"] = "discovery");

        using var request = new HttpRequestMessage(HttpMethod.Get, route);
        request.Headers.TryAddWithoutValidation("Host", "evil.test:99999");   // HttpClient itself refuses to send it

        var response = await site.Factory.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("the Host header is missing or is not a host name with an optional port (1-65535); set base-host in config.json\n", await response.Content.ReadAsStringAsync());
    }
}
