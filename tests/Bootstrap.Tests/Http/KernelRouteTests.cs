using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

public sealed class KernelRouteTests : IDisposable
{
    private readonly TestSite _site = new();
    private readonly byte[] _kernel;

    public KernelRouteTests()
    {
        _kernel = _site.AddKernel("zos-v3.efi", size: 100_000);
        _site.AddLink("prod.efi", "zos-v3.efi");
    }

    public void Dispose() => _site.Dispose();

    [Theory]
    [InlineData("/kernel/zos-v3.efi")]
    [InlineData("/kernel/net/prod.efi")]
    [Trait("engine", "sqlite")]
    public async Task Kernel_is_served_whole_with_validators(string path)
    {
        var response = await _site.Client().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(_kernel, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("bytes", response.Headers.AcceptRanges.Single());
        Assert.NotNull(response.Headers.ETag);
        Assert.Equal(File.GetLastWriteTimeUtc(Path.Combine(_site.Kernels, "zos-v3.efi")).ToString("R"),
            response.Content.Headers.LastModified!.Value.ToString("R"));
    }

    [Fact]
    public async Task Range_request_gets_206_with_exactly_those_bytes()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/kernel/net/prod.efi");
        request.Headers.Range = new RangeHeaderValue(1000, 1999);

        var response = await _site.Client().SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("bytes 1000-1999/100000", response.Content.Headers.ContentRange!.ToString());
        Assert.Equal(_kernel[1000..2000], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Matching_etag_gets_304()
    {
        var client = _site.Client();
        var etag = (await client.GetAsync("/kernel/zos-v3.efi")).Headers.ETag!;
        var request = new HttpRequestMessage(HttpMethod.Get, "/kernel/zos-v3.efi");
        request.Headers.IfNoneMatch.Add(etag);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Head_gives_the_length_without_a_body()
    {
        var response = await _site.Client().SendAsync(new HttpRequestMessage(HttpMethod.Head, "/kernel/net/prod.efi"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(100_000, response.Content.Headers.ContentLength);
    }

    [Fact]
    [Trait("engine", "sqlite")]
    public async Task Nothing_outside_the_kernels_folder_is_served_even_through_symlinks()
    {
        var outside = Path.Combine(_site.Root, "secret.txt");
        File.WriteAllText(outside, "TOP-SECRET-CONTENT");
        File.CreateSymbolicLink(Path.Combine(_site.Kernels, "escape.efi"), outside);
        File.CreateSymbolicLink(Path.Combine(_site.NetLinks, "qa.efi"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(_site.NetLinks, "dev.efi"), "../../secret.txt");
        Directory.CreateDirectory(Path.Combine(_site.Kernels, "sub"));
        File.WriteAllText(Path.Combine(_site.Kernels, "sub", "inner.efi"), "x");
        var client = _site.Client();

        foreach (var path in new[]
                 {
                     "/kernel/escape.efi", "/kernel/net/qa.efi", "/kernel/net/dev.efi", "/kernel/sub",
                     "/kernel/net/..%2Fzos-v3.efi", "/kernel/..%2Fsecret.txt", "/kernel/net/..%2F..%2Fsecret.txt", "/kernel/net",
                 })
        {
            var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{path} answered {(int)response.StatusCode}");
            Assert.DoesNotContain("TOP-SECRET", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Missing_kernel_is_404_naming_it()
    {
        var response = await _site.Client().GetAsync("/kernel/net/test.efi");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("kernel 'net/test.efi' is not in the kernels folder\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    [Trait("engine", "sqlite")]
    public async Task Images_lists_kernels_newest_first_with_their_runmodes_and_architectures()
    {
        _site.AddKernel("zos-old.efi", size: 10);
        _site.PutKernel("zos-arm64.efi", KernelHeaders.Arm64Pe);
        File.SetLastWriteTimeUtc(Path.Combine(_site.Kernels, "zos-old.efi"), new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        File.SetLastWriteTimeUtc(Path.Combine(_site.Kernels, "zos-arm64.efi"), new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        File.SetLastWriteTimeUtc(Path.Combine(_site.Kernels, "zos-v3.efi"), new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        _site.AddLink("test.efi", "zos-v3.efi");
        _site.AddLink("qa.efi", "zos-old.efi");
        _site.AddLink("arm64/prod.efi", "zos-arm64.efi");

        var response = await _site.Client().GetAsync("/images");

        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal(
            """[{"name":"zos-v3.efi","size":100000,"updated":"2026-01-02T03:04:05+00:00","runmodes":["prod","test"],"architecture":null},""" +
            """{"name":"zos-arm64.efi","size":4096,"updated":"2025-01-02T03:04:05+00:00","runmodes":["arm64/prod"],"architecture":"arm64"},""" +
            """{"name":"zos-old.efi","size":10,"updated":"2024-01-02T03:04:05+00:00","runmodes":["qa"],"architecture":null}]""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_arm64_kernel_is_uploaded_linked_for_arm64_served_and_chosen_by_arm64_ipxe()
    {
        var admin = _site.AdminClient();
        var arm64 = KernelHeaders.Arm64Pe;
        var file = new ByteArrayContent(arm64);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        var uploaded = await admin.PostAsync("/api/kernel", new MultipartFormDataContent { { file, "kernel", "zos-arm64.efi" } });
        var wrongWay = await admin.PostAsync("/api/symlink/test.efi/zos-arm64.efi", null);
        var unknown = await admin.PostAsync("/api/symlink/sparc/prod.efi/zos-arm64.efi", null);
        var before = await _site.Client().GetStringAsync("/ipxe/prod/7");
        var linked = await admin.PostAsync("/api/symlink/arm64/prod.efi/zos-arm64.efi", null);
        var after = await _site.Client().GetStringAsync("/ipxe/prod/7");

        Assert.Equal((HttpStatusCode.Created, """{"name":"zos-arm64.efi","size":4096,"architecture":"arm64"}"""), (uploaded.StatusCode, await uploaded.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.BadRequest, "target: kernel 'zos-arm64.efi' is a arm64 kernel; link 'test.efi' is what x86_64 machines boot\n"),
            (wrongWay.StatusCode, await wrongWay.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.BadRequest, "architecture: 'sparc' is not one of x86_64, arm64\n"), (unknown.StatusCode, await unknown.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.OK, "net/arm64/prod.efi -> zos-arm64.efi\n"), (linked.StatusCode, await linked.Content.ReadAsStringAsync()));
        Assert.Equal(arm64, await _site.Client().GetByteArrayAsync("/kernel/net/arm64/prod.efi"));
        Assert.Equal(_kernel, await _site.Client().GetByteArrayAsync("/kernel/net/prod.efi"));
        // Before the link an ARM64 iPXE is told there is no kernel for it; after it, it fetches the ARM64 one.
        Assert.Contains("imgfetch --name kernel ${kernel_url} ", Scripts.AsSeenBy(before, "arm64"));
        Assert.Contains("imgfetch --name kernel http://bootstrap.test/kernel/net/arm64/prod.efi ", Scripts.AsSeenBy(after, "arm64"));
        Assert.Contains("imgfetch --name kernel http://bootstrap.test/kernel/net/prod.efi ", Scripts.AsSeenBy(after, "i386"));
        Assert.Contains("echo and prod boots x86_64 machines only. An operator links a kernel for this", before);
        Assert.Contains("echo and prod boots x86_64 and arm64 machines. An operator links a kernel for this", after);
    }
}
