using System.Net;
using System.Text;
using Bootstrap.Builder.Images.Templates;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Source;

/// <summary>
/// The patch path of a source template, with a stand-in snponly.efi (see <see cref="FakeSourceTemplate"/>):
/// a script that fits is written over the placeholder (X-Build: patched), a longer one goes to make,
/// and a precompiled file without its placeholder at the manifest's offset stops the template.
/// </summary>
public sealed class PatchedSourceTemplateTests : IDisposable
{
    private readonly TestSite _site;
    private string Template => Path.Combine(_site.Root, "source-template");

    public PatchedSourceTemplateTests()
    {
        _site = FakeSourceTemplate.Site(workers: 1, patchableSnponly: true);
    }

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task A_script_that_fits_is_written_over_the_placeholder()
    {
        var client = _site.Client();
        var script = await client.GetStringAsync("/ipxe/prod/1234");

        var response = await client.GetAsync("/snponly/prod/1234");

        Assert.Equal("patched", response.Headers.GetValues("X-Build").Single());
        var padding = FakeSourceTemplate.PlaceholderBytes - Encoding.UTF8.GetByteCount(script);
        Assert.Equal(FakeSourceTemplate.EfiHead + script + "#" + new string(' ', padding - 2) + "\n" + FakeSourceTemplate.EfiTail,
            Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()));
        Assert.Equal("cached", (await client.GetAsync("/snponly/prod/1234")).Headers.GetValues("X-Build").Single());
    }

    [Fact]
    public async Task A_longer_script_is_built_by_make_and_counted()
    {
        var client = _site.Client();
        var args = "console=ttyS0 p=" + new string('x', 1000);
        var script = await client.GetStringAsync($"/ipxe/prod/1234/{args}");

        var response = await client.GetAsync($"/snponly/prod/1234/{args}");

        Assert.True(Encoding.UTF8.GetByteCount(script) > FakeSourceTemplate.PlaceholderBytes);
        Assert.Equal("make", response.Headers.GetValues("X-Build").Single());
        Assert.Equal("BUILT:bin-x86_64-efi/snponly.efi:" + script, Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()));
        var metrics = await _site.AdminClient().GetStringAsync("/metrics");
        Assert.True(metrics.Contains("bootstrap_builds_total{method=\"make\",target=\"snponly\",template=\"source\"} 1\n"), metrics);
        Assert.Equal("make", (await client.GetAsync("/krn/prod/1234")).Headers.GetValues("X-Build").Single());   // no patchable .lkrn here
    }

    [Fact]
    public async Task A_precompiled_file_without_its_placeholder_stops_the_template_with_the_reason()
    {
        var image = Path.Combine(Template, "source", "patch", "snponly.efi");
        var bytes = File.ReadAllBytes(image);
        bytes[FakeSourceTemplate.EfiHead.Length + 100] = (byte)'X';
        File.WriteAllBytes(image, bytes);
        var manifest = File.ReadAllText(Path.Combine(Template, "manifest.json"));
        File.WriteAllText(Path.Combine(Template, "manifest.json"), System.Text.RegularExpressions.Regex.Replace(manifest,
            "(\"source/patch/snponly.efi\":\\{\"sha256\":\")[0-9a-f]+", m => m.Groups[1].Value
                + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))));

        var problem = Assert.Throws<TemplateUnavailableException>(() => BinaryTemplate.Load(Template));

        Assert.Equal($"source/patch/snponly.efi holds no placeholder at {FakeSourceTemplate.EfiHead.Length}: run setup/template.sh --source", problem.Message);
    }
}
