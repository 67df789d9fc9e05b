using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Bootstrap.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bootstrap.Tests.Http;

public sealed class ObservabilityTests : IDisposable
{
    private readonly TestSite _site = new(c => c["ipxe-template"] = RepoTemplate.Folder);
    private readonly CapturedLogs _logs = new();
    private readonly WebApplicationFactory<Program> _factory;

    public ObservabilityTests()
    {
        _site.AddKernel("zos.efi", size: 10_000);
        _site.AddLink("prod.efi", "zos.efi");
        _factory = _site.Factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(_logs)));
    }

    public void Dispose()
    {
        _factory.Dispose();
        _site.Dispose();
    }

    private HttpClient Client()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Host = "bootstrap.test";
        return client;
    }

    [Fact]
    public async Task Metrics_count_requests_builds_cache_kernel_bytes_and_unknown_macs()
    {
        var client = Client();
        await client.GetAsync("/ipxe/prod/1");
        await client.GetAsync("/ipxe/prod/1");
        await client.GetAsync("/ipxe/nowhere");
        await client.GetAsync("/iso/prod/1");
        await client.GetAsync("/iso/prod/1");
        var range = new HttpRequestMessage(HttpMethod.Get, "/kernel/net/prod.efi");
        range.Headers.Range = new RangeHeaderValue(0, 99);
        await client.SendAsync(range);
        await client.GetAsync("/kernel/zos.efi");
        await client.GetAsync("/provision/52:54:00:00:00:01");

        var response = await client.GetAsync("/metrics");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n');

        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Contains("""bootstrap_requests_total{family="ipxe",status="200"} 2""", lines);
        Assert.Contains("""bootstrap_requests_total{family="ipxe",status="404"} 1""", lines);
        Assert.Contains("""bootstrap_requests_total{family="iso",status="200"} 2""", lines);
        Assert.Contains("""bootstrap_requests_total{family="kernel",status="206"} 1""", lines);
        Assert.Contains("""bootstrap_requests_total{family="provision",status="404"} 1""", lines);
        Assert.Contains("""bootstrap_builds_total{method="built",target="iso",template="binary"} 1""", lines);
        Assert.Contains("""bootstrap_build_duration_seconds_count{target="iso"} 1""", lines);
        Assert.Contains("""bootstrap_build_duration_seconds_bucket{target="iso",le="+Inf"} 1""", lines);
        Assert.Contains("bootstrap_cache_misses_total 1", lines);
        Assert.Contains("""bootstrap_cache_hits_total{tier="memory"} 1""", lines);
        Assert.Contains("bootstrap_build_queue_depth 0", lines);
        Assert.Contains("bootstrap_kernel_bytes_served_total 10100", lines);
        Assert.Contains("bootstrap_provision_unknown_total 1", lines);
        Assert.Contains("# TYPE bootstrap_build_duration_seconds histogram", lines);
        Assert.Contains("# TYPE bootstrap_cache_memory_bytes gauge", lines);
    }

    [Fact]
    public async Task Every_request_gets_one_log_line_with_its_facts()
    {
        var client = Client();
        await client.GetAsync("/iso/prod/4242");
        await client.GetAsync("/iso/prod/4242");

        var lines = _logs.Lines("Bootstrap.Requests");

        Assert.Equal(2, lines.Count);
        // 2596864 bytes: the ISO's EFI volume carries BOOTAA64.EFI (ipxe-arm64.efi, 1011712 bytes) beside BOOTX64.EFI.
        Assert.Matches(@"^iso GET /iso/prod/4242 200 network=prod farm=4242 target=iso cache=miss build_ms=\d+(\.\d)? bytes=2596864 ms=\d+\.\d$", lines[0]);
        Assert.Matches(@"^iso GET /iso/prod/4242 200 network=prod farm=4242 target=iso cache=hit build_ms=- bytes=2596864 ms=\d+\.\d$", lines[1]);
    }
}
