using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Bootstrap.Builder.Images.Caching;
using Bootstrap.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bootstrap.Tests.Http;

public sealed class ImageRouteTests : IDisposable
{
    private readonly TestSite _site;

    public ImageRouteTests()
    {
        _site = new TestSite(c => c["ipxe-template"] = RepoTemplate.Folder);
        _site.AddProdKernel();
    }

    public void Dispose() => _site.Dispose();

    private ArtifactCache Cache => _site.Factory.Services.GetRequiredService<ArtifactCache>();

    [Theory]
    [InlineData("/iso/prod/1234/console=ttyS0", "ipxe-prod.iso")]
    [InlineData("/usb/prod/1234", "ipxe-prod.img")]
    [InlineData("/uefimg/prod", "uefiusb-prod.img")]
    [InlineData("/debug/prod/1234", "uefiusb-debug-prod.img")]
    public async Task Image_downloads_under_its_original_file_name(string path, string fileName)
    {
        var response = await _site.Client().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal(fileName, response.Content.Headers.ContentDisposition.FileName);
        Assert.Matches("^\"[0-9a-f]{64}\"$", response.Headers.ETag!.Tag);
        Assert.Equal("built", response.Headers.GetValues("X-Build").Single());
        Assert.Equal(0, (await response.Content.ReadAsByteArrayAsync()).Length % 2048);
    }

    [Fact]
    public async Task Iso_carries_the_boot_script_of_the_same_request()
    {
        // An image tries every architecture's link (it outlives today's links): with a kernel for each, /ipxe answers the same.
        _site.AddLink("arm64/prod.efi", "zos.efi");
        var client = _site.Client();
        var script = await client.GetStringAsync("/ipxe/prod/1234/console=ttyS0");
        var iso = Tool.TempFile(await client.GetByteArrayAsync("/iso/prod/1234/console=ttyS0"), ".iso");

        Assert.Equal(script, Tool.Ok("isoinfo", "-i", iso, "-x", "/BOOT.IPXE;1"));
        var volumeBlocks = long.Parse(Tool.Ok("isoinfo", "-d", "-i", iso).Split('\n').Single(l => l.StartsWith("Volume size is: "))[16..]);
        Assert.Equal(script, Tool.Ok("mtype", "-i", $"{iso}@@{volumeBlocks * 2048}", "::/autoexec.ipxe"));
    }

    [Fact]
    public async Task Debug_image_carries_the_debug_script()
    {
        var img = Tool.TempFile(await _site.Client().GetByteArrayAsync("/debug/prod/1234"));

        var script = Tool.Ok("mtype", "-i", $"{img}@@1M", "::/autoexec.ipxe");

        Assert.Contains("\nifstat\nroute\n", script);
        Assert.Contains("\nprompt --timeout 60000 Press a key to download the kernel (continuing in 60 seconds) ||\n", script);
        Assert.Contains("imgfetch --name kernel http://bootstrap.test/kernel/net/prod.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=1234 && goto boot ||", Scripts.AsSeenBy(script));
    }

    [Fact]
    public async Task Second_request_is_served_from_the_cache_with_the_same_bytes()
    {
        var client = _site.Client();
        var first = await client.GetAsync("/iso/prod/1234");
        var second = await client.GetAsync("/iso/prod/1234");
        var usb = await client.GetAsync("/usb/prod/1234");

        Assert.Equal("cached", second.Headers.GetValues("X-Build").Single());
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        // /usb is the same hybrid image under another name: one build serves both.
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await usb.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, Cache.Builds);
    }

    [Fact]
    public async Task Matching_if_none_match_gets_304_without_a_build()
    {
        var client = _site.Client();
        var etag = (await client.GetAsync("/uefimg/prod/7")).Headers.ETag!;
        var buildsBefore = Cache.Builds;
        var request = new HttpRequestMessage(HttpMethod.Get, "/uefimg/prod/7");
        request.Headers.IfNoneMatch.Add(etag);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(etag, response.Headers.ETag);
        Assert.Equal(buildsBefore, Cache.Builds);
    }

    [Fact]
    public async Task Range_of_an_image_is_honoured()
    {
        var client = _site.Client();
        var whole = await client.GetByteArrayAsync("/iso/prod/1");
        var request = new HttpRequestMessage(HttpMethod.Get, "/iso/prod/1");
        request.Headers.Range = new RangeHeaderValue(0x8000, 0x8005);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(whole[0x8000..0x8006], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("CD001"u8.ToArray(), whole[0x8001..0x8006]);
    }

    [Fact]
    public async Task Sixteen_simultaneous_identical_requests_build_once()
    {
        var client = _site.Client();

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => client.GetAsync("/iso/prod/4242/console=ttyS0")));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsByteArrayAsync()));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(bodies, b => Assert.Equal(bodies[0], b));
        Assert.Equal(1, Cache.Builds);
    }

    [Fact]
    public async Task Bad_input_is_refused_before_any_build()
    {
        var client = _site.Client();

        var unknown = await client.GetAsync("/iso/mainnet/1");
        var bad = await client.GetAsync("/usb/prod/1/a%0Ab");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown network 'mainnet'; configured networks: dev, prod, qa, test\n", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(0, Cache.Builds);
    }

    [Theory]
    [InlineData("/krn/prod/1")]
    [InlineData("/krn-generic")]
    [InlineData("/krn-provision")]
    public async Task Bios_kernel_targets_answer_501_with_the_alternatives(string path)
    {
        var response = await _site.Client().GetAsync(path);

        Assert.Equal(HttpStatusCode.NotImplemented, response.StatusCode);
        Assert.Equal($"/{path.Split('/')[1]}: a BIOS .lkrn that carries its script needs iPXE built from source with the script embedded " +
                     "(a source template: setup/template.sh --source); this service has the binary template. " +
                     "For BIOS machines use /iso/... (CD or virtual media) or /usb/... (USB stick), which run the same script\n",
            await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/uefi/prod/1234/console=ttyS0", "ipxe-prod.efi", "ipxe-amd64.efi", "Farm: 1234")]
    [InlineData("/snponly/prod/1234/console=ttyS0", "ipxe-snp-prod.efi", "snponly.efi", "Farm: 1234")]
    [InlineData("/uefi-provision", "ipxe-provision.efi", "ipxe-amd64.efi", "Farm: (none)")]
    [InlineData("/uefi-generic", "ipxe-generic.efi", "ipxe-amd64.efi", "chain http://bootstrap.test/provision/${net${mac_index}/mac}?uuid=${uuid}&serial=${serial:uristring}&manufacturer=${manufacturer:uristring}&product=${product:uristring}&asset=${asset:uristring}&platform=${platform:uristring}&arch=${buildarch:uristring}&ip=${net${nic}/ip} ||")]
    public async Task Single_efi_file_carries_ipxe_and_the_script(string path, string fileName, string ipxe, string scriptLine)
    {
        var response = await _site.Client().GetAsync(path);
        var efi = Tool.TempFile(await response.Content.ReadAsByteArrayAsync(), ".efi");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(fileName, response.Content.Headers.ContentDisposition!.FileName);
        var script = Encoding.UTF8.GetString(Tool.PeSection(efi, ".script")).TrimEnd('\0');
        Assert.StartsWith("#!ipxe\n", script);
        Assert.Contains("\n" + (scriptLine.StartsWith("chain") ? "" : "echo ") + scriptLine + "\n", script);
        Assert.Equal(RepoTemplate.File(ipxe), Tool.PeSection(efi, ".ipxe")[..RepoTemplate.File(ipxe).Length]);
    }


    [Fact]
    public async Task Without_a_template_images_are_503_and_scripts_still_work()
    {
        using var site = new TestSite(c => c["ipxe-template"] = "no-template-here");
        site.AddProdKernel();
        var client = site.Client();

        var image = await client.GetAsync("/iso/prod/1");
        var script = await client.GetAsync("/ipxe/prod/1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, image.StatusCode);
        Assert.Equal($"images are unavailable: no iPXE template in {site.Root}/no-template-here: run setup/template.sh\n",
            await image.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    [Fact]
    public async Task Template_file_that_does_not_match_its_manifest_is_named()
    {
        var copy = Path.Combine(_site.Root, "template-copy");
        RepoTemplate.CopyTo(copy);
        File.AppendAllText(Path.Combine(copy, "ipxe.lkrn"), "tampered");
        using var site = new TestSite(c => c["ipxe-template"] = copy);
        site.AddProdKernel();

        var response = await site.Client().GetAsync("/iso/prod/1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal($"images are unavailable: template file {copy}/ipxe.lkrn does not match its sha256 in the manifest: run setup/template.sh\n",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Full_build_queue_answers_503_with_retry_after()
    {
        using var site = new TestSite(c =>
        {
            c["ipxe-template"] = RepoTemplate.Folder;
            c["max-concurrent-builds"] = 1;
            c["build-queue-limit"] = 0;
        });
        site.AddProdKernel();
        var client = site.Client();
        var cache = site.Factory.Services.GetRequiredService<ArtifactCache>();
        var release = new TaskCompletionSource();
        var occupying = cache.GetOrBuildAsync(new string('0', 64), async _ =>
        {
            await release.Task;
            return PackedImage.Of([0]);
        }, default);

        var response = await client.GetAsync("/iso/prod/1");
        release.SetResult();
        await occupying;
        var retried = await client.GetAsync("/iso/prod/1");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("5", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("the build queue is full (0 image builds waiting); try again in a few seconds\n", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
    }
}
