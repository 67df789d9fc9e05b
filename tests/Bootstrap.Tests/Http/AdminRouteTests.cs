using System.Net;
using System.Net.Http.Headers;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

public sealed class AdminRouteTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private static MultipartFormDataContent KernelForm(byte[] bytes, string fileName, string field = "kernel")
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { file, field, fileName } };
    }

    [Fact]
    public async Task Upload_stores_the_kernel_and_leaves_no_temp_file()
    {
        var bytes = new byte[3_000_000];
        new Random(5).NextBytes(bytes);

        var response = await _site.AdminClient().PostAsync("/api/kernel", KernelForm(bytes, "zos-v3.1.efi"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/kernel/zos-v3.1.efi", response.Headers.Location!.ToString());
        Assert.Equal("""{"name":"zos-v3.1.efi","size":3000000,"architecture":null}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(bytes, _site.KernelBytes("zos-v3.1.efi"));
        Assert.Equal(["zos-v3.1.efi"], _site.KernelNames());
    }

    [Fact]
    public async Task Upload_replaces_a_kernel_of_the_same_name_that_no_network_boots()
    {
        _site.AddKernel("zos.efi", size: 50);

        await _site.AdminClient().PostAsync("/api/kernel", KernelForm([1, 2, 3], "zos.efi"));

        Assert.Equal([1, 2, 3], _site.KernelBytes("zos.efi"));
    }

    [Fact]
    public async Task Upload_over_the_kernel_a_network_boots_is_refused_unless_replace_is_true()
    {
        _site.AddKernel("zos.efi", size: 50);
        _site.AddLink("prod.efi", "zos.efi");
        _site.AddLink("test.efi", "zos.efi");
        var live = _site.KernelBytes("zos.efi");

        var refused = await _site.AdminClient().PostAsync("/api/kernel", KernelForm([1, 2, 3], "zos.efi"));
        var kept = _site.KernelBytes("zos.efi");
        var replaced = await _site.AdminClient().PostAsync("/api/kernel?replace=true", KernelForm([4, 5, 6], "zos.efi"));

        Assert.Equal((HttpStatusCode.Conflict, "kernel 'zos.efi' is what prod, test boot: upload under another name and switch the link, or replace it on purpose (replace=true)\n"),
            (refused.StatusCode, await refused.Content.ReadAsStringAsync()));
        Assert.Equal(live, kept);
        Assert.Equal(HttpStatusCode.Created, replaced.StatusCode);
        Assert.Equal([4, 5, 6], _site.KernelBytes("zos.efi"));
    }

    [Theory]
    [InlineData("../evil.efi", "kernel: character '/' (U+002F) is not allowed in a file name (A-Z a-z 0-9 . _ -)")]
    [InlineData("bad name.efi", "kernel: character ' ' (U+0020) is not allowed in a file name (A-Z a-z 0-9 . _ -)")]
    public async Task Upload_with_a_bad_name_is_refused(string fileName, string body)
    {
        var response = await _site.AdminClient().PostAsync("/api/kernel", KernelForm([1], fileName));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(body + "\n", await response.Content.ReadAsStringAsync());
        Assert.Empty(_site.KernelNames());
    }

    [Fact]
    public async Task Upload_without_the_kernel_field_is_refused()
    {
        var response = await _site.AdminClient().PostAsync("/api/kernel", KernelForm([1], "zos.efi", field: "file"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("no file field named 'kernel' in the form (curl -F kernel=@FILE)\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Wrong_or_missing_token_is_401()
    {
        var client = _site.Client();
        var missing = await client.PostAsync("/api/symlink/prod.efi/zos.efi", null);
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestSite.Token + "x");
        var wrong = await client.PostAsync("/api/kernel", KernelForm([1], "zos.efi"));

        foreach (var response in new[] { missing, wrong })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().ToString());
            Assert.Equal("admin API: missing or wrong 'Authorization: Bearer <api-token>' header\n", await response.Content.ReadAsStringAsync());
        }
        Assert.Empty(_site.KernelNames());
    }

    [Fact]
    public async Task Without_a_configured_token_the_admin_api_is_off()
    {
        using var site = new TestSite(c => c["api-token"] = "");
        var client = site.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", "");

        var response = await client.GetAsync("/api/symlink/prod.efi/zos.efi");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("the admin API is off: set api-token in config.json to turn it on\n", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("GET")]
    public async Task Symlink_points_the_runmode_at_the_kernel(string method)
    {
        var old = _site.AddKernel("zos-old.efi", seed: 1);
        var fresh = _site.AddKernel("zos-new.efi", seed: 2);
        _site.AddLink("prod.efi", "zos-old.efi");
        var client = _site.AdminClient();
        Assert.Equal(old, await client.GetByteArrayAsync("/kernel/net/prod.efi"));

        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/api/symlink/prod.efi/zos-new.efi"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("net/prod.efi -> zos-new.efi\n", await response.Content.ReadAsStringAsync());
        Assert.Equal("zos-new.efi", _site.LinkTarget("prod.efi"));
        Assert.Equal(fresh, await client.GetByteArrayAsync("/kernel/net/prod.efi"));
        Assert.Equal(["prod.efi"], _site.LinkNames());
    }

    [Theory]
    [InlineData("/api/symlink/prod.efi/missing.efi", 404, "target: no kernel file 'missing.efi' in the kernels folder")]
    [InlineData("/api/symlink/prod.efi/..%2Fetc", 400, "target: character '%' (U+0025) is not allowed in a file name (A-Z a-z 0-9 . _ -)")]
    [InlineData("/api/symlink/..prod/zos.efi", 400, "link: '..prod' is not the link of a configured network; one of prod.efi, test.efi, dev.efi, qa.efi")]
    [InlineData("/api/symlink/junk.efi/zos.efi", 400, "link: 'junk.efi' is not the link of a configured network; one of prod.efi, test.efi, dev.efi, qa.efi")]
    [InlineData("/api/symlink/prod/zos.efi", 400, "link: 'prod' is not the link of a configured network; one of prod.efi, test.efi, dev.efi, qa.efi")]
    [InlineData("/api/symlink/PROD.efi/zos.efi", 400, "link: 'PROD.efi' is not the link of a configured network; one of prod.efi, test.efi, dev.efi, qa.efi")]
    public async Task Symlink_with_a_bad_name_or_target_is_refused(string path, int status, string body)
    {
        _site.AddKernel("zos.efi");

        var response = await _site.AdminClient().PostAsync(path, null);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(body + "\n", await response.Content.ReadAsStringAsync());
        Assert.Empty(_site.LinkNames());
    }

    /// <summary>A machine downloading while an operator flips the link 1,000 times never sees a gap or a mix.</summary>
    [Fact]
    public async Task Reader_during_1000_link_switches_always_gets_a_whole_kernel()
    {
        var a = _site.AddKernel("zos-a.efi", size: 64 * 1024, seed: 1);
        var b = _site.AddKernel("zos-b.efi", size: 96 * 1024, seed: 2);
        _site.AddLink("prod.efi", "zos-a.efi");
        var admin = _site.AdminClient();
        var reader = _site.Client();
        using var done = new CancellationTokenSource();
        var reads = 0;

        var readerLoop = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var response = await reader.GetAsync("/kernel/net/prod.efi");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = await response.Content.ReadAsByteArrayAsync();
                Assert.True(body.AsSpan().SequenceEqual(a) || body.AsSpan().SequenceEqual(b), $"torn body of {body.Length} bytes");
                reads++;
            }
        });
        for (var i = 0; i < 1000; i++)
        {
            var response = await admin.PostAsync($"/api/symlink/prod.efi/{(i % 2 == 0 ? "zos-b.efi" : "zos-a.efi")}", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        done.Cancel();
        await readerLoop;

        Assert.True(reads > 10, $"the reader only got {reads} answers in");
        Assert.Equal(["prod.efi"], _site.LinkNames());
    }
}
