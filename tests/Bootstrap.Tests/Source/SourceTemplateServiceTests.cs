using System.Net;
using System.Text;
using Bootstrap.Builder.Images.Templates;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Source;

/// <summary>The service with a source template whose make is a fake (see <see cref="FakeSourceTemplate"/>).</summary>
public sealed class SourceTemplateServiceTests : IDisposable
{
    private readonly TestSite _site;

    public SourceTemplateServiceTests()
    {
        _site = FakeSourceTemplate.Site(workers: 2);
    }

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task Krn_is_the_make_built_lkrn_with_the_script_embedded()
    {
        var client = _site.Client();
        var script = await client.GetStringAsync("/ipxe/prod/1234");

        var response = await client.GetAsync("/krn/prod/1234");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ipxe-prod.lkrn", response.Content.Headers.ContentDisposition!.FileName);
        Assert.Equal("BUILT:bin/ipxe.lkrn:" + script, Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()));
    }

    [Theory]
    [InlineData("/uefi/prod/1234", "bin-x86_64-efi/ipxe.efi")]
    [InlineData("/snponly/prod/1234", "bin-x86_64-efi/snponly.efi")]
    public async Task Efi_files_come_from_make_instead_of_the_wrapper(string path, string target)
    {
        var client = _site.Client();

        var body = Encoding.UTF8.GetString(await client.GetByteArrayAsync(path));

        Assert.Equal($"BUILT:{target}:" + await client.GetStringAsync("/ipxe/prod/1234"), body);
    }

    [Fact]
    public async Task Iso_carries_embedded_script_binaries()
    {
        var iso = Tool.TempFile(await _site.Client().GetByteArrayAsync("/iso/prod/7"), ".iso");

        Assert.StartsWith("BUILT:bin/ipxe.lkrn:#!ipxe\n", Tool.Ok("isoinfo", "-i", iso, "-x", "/IPXE.LKRN;1"));
    }

    [Fact]
    public async Task Four_different_scripts_at_once_share_two_trees_without_collision()
    {
        var client = _site.Client();

        var responses = await Task.WhenAll(Enumerable.Range(1, 4).Select(i => client.GetAsync($"/krn/prod/{i}")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        for (var i = 1; i <= 4; i++)
            Assert.Contains($"farmer_id={i} ", Encoding.UTF8.GetString(await responses[i - 1].Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task Failing_make_is_a_500_with_the_tail_of_its_errors()
    {
        var response = await _site.Client().GetAsync("/krn/prod/1/FAIL");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("building the image failed: ", body);
        Assert.EndsWith(" exited 2:\nembedded.c:1: error: the script asked to fail\n", body);
        Assert.Equal(HttpStatusCode.OK, (await _site.Client().GetAsync("/krn/prod/1/fine")).StatusCode);
    }

    [Fact]
    public async Task Hanging_make_is_stopped_at_its_timeout()
    {
        var response = await _site.Client().GetAsync("/krn/prod/1/HANG");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.EndsWith(" did not finish within 3 s and was stopped\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthz_reports_the_template_kind_and_version()
    {
        var body = await _site.AdminClient().GetStringAsync("/healthz");

        Assert.Contains("\"template\":\"source, iPXE fake\"", body);
        Assert.IsType<SourceTemplate>(BinaryTemplate.Load(Path.Combine(_site.Root, "source-template")));
    }
}
