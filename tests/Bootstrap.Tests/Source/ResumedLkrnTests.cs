using System.Diagnostics;
using System.Text.Json;
using Bootstrap.Builder.Images.Formats.Zbin;
using Bootstrap.Builder.Images.Templates;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Source;

/// <summary>
/// A source template's .lkrn repacked through the lzma-resume helper, on a stand-in link output
/// (<see cref="FakeSourceTemplate"/>): the service's bytes are zbin's packing of the patched image
/// compressed whole in-process, /healthz says which way it packs, and a helper that dies costs
/// speed, not a request or a byte. The real tree's proof is in RealSourceTreeTests.
/// </summary>
public sealed class ResumedLkrnTests : IDisposable
{
    private readonly TestSite _site = FakeSourceTemplate.Site(workers: 1, patchableLkrn: true);

    public void Dispose() => _site.Dispose();

    private async Task<string> LkrnPacking()
    {
        var health = JsonDocument.Parse(await _site.AdminClient().GetStringAsync("/healthz")).RootElement;
        return health.GetProperty("checks").GetProperty("lkrn-packing").GetString()!;
    }

    private async Task<string> AwaitLkrnPacking(Func<string, bool> done)
    {
        var packing = await LkrnPacking();
        for (var tries = 0; tries < 300 && !done(packing); tries++, await Task.Delay(100))
            packing = await LkrnPacking();
        return packing;
    }

    /// <summary>What our zbin makes of the stand-in with this farm's boot script, compressing everything in-process.</summary>
    private async Task<byte[]> Expected(int farm)
    {
        var script = await _site.Client().GetStringAsync($"/ipxe/prod/{farm}");
        var image = FakeSourceTemplate.LkrnImage(FakeSourceTemplate.Placeholder);
        EmbeddedScript.Padded(script, FakeSourceTemplate.PlaceholderBytes)!.CopyTo(image, FakeSourceTemplate.LkrnPlaceholderOffset);
        return ZbinPacker.Pack(image, FakeSourceTemplate.LkrnZinfo(image.Length));
    }

    [Fact]
    public async Task The_helper_repacks_each_script_into_the_bytes_of_packing_it_whole()
    {
        Assert.Equal("lzma-resume", await AwaitLkrnPacking(p => p == "lzma-resume"));

        foreach (var farm in new[] { 11, 12, 13 })
        {
            using var response = await _site.Client().GetAsync($"/krn/prod/{farm}");
            Assert.Equal("patched", response.Headers.GetValues("X-Build").Single());
            Assert.Equal(await Expected(farm), await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task A_helper_that_dies_leaves_requests_patched_in_process_with_the_same_bytes()
    {
        Assert.Equal("lzma-resume", await AwaitLkrnPacking(p => p == "lzma-resume"));
        var helper = Path.Combine(_site.Root, "source-template", "source", "patch", "lzma-resume");
        var pid = Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => p!.All(char.IsAsciiDigit))
            .Single(p => ProcFile.Read($"/proc/{p}/cmdline").StartsWith(helper + "\0"));
        Process.GetProcessById(int.Parse(pid!)).Kill();

        var packing = await AwaitLkrnPacking(p => p != "lzma-resume");
        using var response = await _site.Client().GetAsync("/krn/prod/21");

        Assert.Equal("in-process (lzma-resume exited (exit code 137))", packing);
        Assert.Equal("patched", response.Headers.GetValues("X-Build").Single());
        Assert.Equal(await Expected(21), await response.Content.ReadAsByteArrayAsync());
    }
}
