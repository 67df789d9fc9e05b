using System.Net;
using Bootstrap.Builder.Configuration;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

public sealed class ScriptRouteTests : IDisposable
{
    private readonly TestSite _site = new();

    public ScriptRouteTests()
    {
        _site.AddKernel("zos-v3.efi");
        _site.AddLink("prod.efi", "zos-v3.efi");
        _site.AddLink("test.efi", "zos-v3.efi");
        _site.AddKernel("zos-custom.efi", seed: 2);
    }

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task Full_request_answers_the_reference_script_as_plain_text()
    {
        var response = await _site.Client().GetAsync("/ipxe/prod/1234/console=ttyS0");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(Scripts.Reference("boot-prod-1234.ipxe"), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_grub_route_answers_the_same_boot_for_grub_over_plain_http()
    {
        var response = await _site.Client().GetAsync("/grub/prod/1234/console=ttyS0");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Scripts.Reference("grub-prod-1234.cfg"), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/ipxe/prod", "imgfetch --name kernel http://bootstrap.test/kernel/net/prod.efi nomodeset version=v3 runmode=prod panic=7200 && goto boot ||")]
    [InlineData("/ipxe/test/77", "imgfetch --name kernel http://bootstrap.test/kernel/net/test.efi nomodeset version=v3 runmode=test panic=7200 farmer_id=77 && goto boot ||")]
    [InlineData("/ipxe/prod/5/console=ttyS0,115200n8%20root=___dev___ram0", "imgfetch --name kernel http://bootstrap.test/kernel/net/prod.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=5 console=ttyS0,115200n8 root=/dev/ram0 && goto boot ||")]
    [InlineData("/ipxe/prod/5/%20%20a=1%20%20%20b=2%20/zos-custom.efi", "imgfetch --name kernel http://bootstrap.test/kernel/zos-custom.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=5 a=1 b=2 && goto boot ||")]
    public async Task Segments_choose_the_kernel_and_its_command_line(string path, string imgfetchLine)
    {
        var script = await _site.Client().GetStringAsync(path);

        Assert.Single(Scripts.Lines(script), l => l.StartsWith("imgfetch "));
        Assert.Contains(imgfetchLine, Scripts.Lines(Scripts.AsSeenBy(script)));
    }

    [Fact]
    public async Task Banner_names_the_network_farm_and_parameters()
    {
        var lines = Scripts.Lines(Scripts.AsSeenBy(await _site.Client().GetStringAsync("/ipxe/prod")));
        var banner = Array.IndexOf(lines, "echo Zero-OS boot loader") + 1;

        Assert.Equal(
            [
                "echo Network: Production (prod)",
                "echo Farm: (none)",
                "echo Kernel: http://bootstrap.test/kernel/net/prod.efi",
                "echo Parameters: nomodeset version=v3 runmode=prod panic=7200",
            ],
            lines[banner..(banner + 4)]);
    }

    [Theory]
    [InlineData("/ipxe/mainnet", 404, "unknown network 'mainnet'; configured networks: dev, prod, qa, test")]
    [InlineData("/ipxe/dev", 404, "kernel 'net/dev.efi' is not in the kernels folder (network 'dev' has no runmode link yet: POST /api/symlink/dev.efi/<kernel>)")]
    [InlineData("/ipxe/prod/1/a/nope.efi", 404, "kernel 'nope.efi' is not in the kernels folder")]
    [InlineData("/ipxe/prod/12a", 400, "farmer: character 'a' (U+0061) is not allowed; a farm id is digits only")]
    [InlineData("/ipxe/prod/-1", 400, "farmer: character '-' (U+002D) is not allowed; a farm id is digits only")]
    [InlineData("/ipxe/prod/123456789012345678901", 400, "farmer: a farm id is 1 to 20 digits")]
    [InlineData("/ipxe/prod/1/a%0Ashell", 400, "args: character U+000A (line feed) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/a%0D", 400, "args: character U+000D (carriage return) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/a%09b", 400, "args: character U+0009 (tab) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/x=$%7Bnet0%2Fmac%7D", 400, "args: character '$' (U+0024) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/a%7Cb", 400, "args: character '|' (U+007C) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/a&b", 400, "args: character '&' (U+0026) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/a;reboot", 400, "args: character ';' (U+003B) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/%23x", 400, "args: character '#' (U+0023) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/a%22b", 400, "args: character '\"' (U+0022) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/a'b", 400, "args: character ''' (U+0027) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/a%5Cb", 400, "args: character '\\' (U+005C) is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/caf%C3%A9", 400, "args: character U+00E9 is not allowed; allowed are letters, digits, space and = _ . , : - + (write / as ___)")]
    [InlineData("/ipxe/prod/1/a/..%2E", 400, "kernel: a file name must not start with '.' or contain '..'")]
    [InlineData("/ipxe/prod/1/a/.hidden", 400, "kernel: a file name must not start with '.' or contain '..'")]
    public async Task Bad_input_gets_a_clear_error(string path, int status, string body)
    {
        var response = await _site.Client().GetAsync(path);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(body + "\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Args_longer_than_1024_characters_are_refused()
    {
        var response = await _site.Client().GetAsync("/ipxe/prod/1/" + new string('a', 1025));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("args: 1025 characters is more than the 1024 allowed\n", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("http://localhost/", "bootstrap.test", "http://bootstrap.test/kernel/net/prod.efi")]
    [InlineData("http://localhost/", "10.77.0.1:5555", "http://10.77.0.1:5555/kernel/net/prod.efi")]
    [InlineData("http://localhost/", "[::1]:5555", "http://[::1]:5555/kernel/net/prod.efi")]
    [InlineData("https://localhost/", "bootstrap.test", "https://bootstrap.test/kernel/net/prod.efi")]
    public async Task Kernel_url_uses_the_scheme_the_request_came_in_on(string requestBase, string host, string url)
    {
        var client = _site.Factory.CreateClient(new() { BaseAddress = new Uri(requestBase) });
        client.DefaultRequestHeaders.Host = host;

        var lines = Scripts.Lines(Scripts.AsSeenBy(await client.GetStringAsync("/ipxe/prod")));

        Assert.Contains($"echo Kernel: {url}", lines);
    }

    [Theory]
    [InlineData("bootstrap.test", "https://bootstrap.test/kernel/net/prod.efi")]
    [InlineData("unsecure.bootstrap.test", "http://unsecure.bootstrap.test/kernel/net/prod.efi")]
    [InlineData("boot-unsecure.test:8080", "http://boot-unsecure.test:8080/kernel/net/prod.efi")]
    [InlineData("[::1]:5555", "https://[::1]:5555/kernel/net/prod.efi")]
    public async Task Kernel_scheme_https_keeps_the_host_rule_of_the_original(string host, string url)
    {
        using var site = new TestSite(c => c["kernel-scheme"] = "https");
        site.AddProdKernel();

        var lines = Scripts.Lines(Scripts.AsSeenBy(await site.Client(host).GetStringAsync("/ipxe/prod")));

        Assert.Contains($"echo Kernel: {url}", lines);
    }

    [Fact]
    public async Task A_kernel_scheme_other_than_request_or_https_stops_the_service()
    {
        using var site = new TestSite(c => c["kernel-scheme"] = "ftp");

        var problem = Assert.Throws<ConfigException>(() => ConfigLoader.Load(site.ConfigFile));

        Assert.Equal("""config key 'kernel-scheme': 'ftp' is not "request" (the scheme the machine used) or "https" (https unless the host contains 'unsecure')""", problem.Message);
    }

    [Theory]
    [InlineData("/ipxe/prod")]
    [InlineData("/ipxe-generic")]
    [InlineData("/grub/prod/1")]
    [InlineData("/menu")]
    public async Task Every_script_of_a_default_site_asked_over_http_points_at_http(string route)
    {
        var script = await _site.Client("10.77.0.1:5555").GetStringAsync(route);

        Assert.Contains("10.77.0.1:5555/", script);
        Assert.Contains("http://", script);
        Assert.DoesNotContain("https://", script);
    }
}
