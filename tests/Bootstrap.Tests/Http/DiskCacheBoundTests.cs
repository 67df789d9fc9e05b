using System.Net;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>Issue 18, point 1: distinct images cannot fill the disk, before or after a restart.</summary>
public sealed class DiskCacheBoundTests : IDisposable
{
    private const long Bound = 12L * 1024 * 1024;
    private readonly TestSite _site = new(c =>
    {
        c["ipxe-template"] = RepoTemplate.Folder;
        c["cache-disk-bytes"] = Bound;
        c["cache-memory-bytes"] = 0;   // every repeat must come from the disk tier
    });

    private string Cache => Path.Combine(_site.Root, "cache");

    public void Dispose() => _site.Dispose();

    private long CacheBytes() => Directory.GetFiles(Cache, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    private async Task<HttpResponseMessage> Uefi(int farm)
    {
        var response = await _site.Client().GetAsync($"/uefi/prod/{farm}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }

    [Fact]
    public async Task Five_hundred_distinct_images_keep_the_cache_under_its_bound_and_a_restart_keeps_the_recent_ones()
    {
        _site.AddProdKernel();
        var foreign = Path.Combine(Cache, "operator-notes.txt");
        Directory.CreateDirectory(Cache);
        await File.WriteAllTextAsync(foreign, "not the cache's file");
        var largest = 0L;
        for (var farm = 1; farm <= 500; farm++)
        {
            await Uefi(farm);
            largest = Math.Max(largest, CacheBytes());
        }
        var entrySize = (await (await Uefi(500)).Content.ReadAsByteArrayAsync()).Length;
        Assert.InRange(largest, Bound - entrySize - 100, Bound + "not the cache's file".Length);
        Assert.Equal("cached", (await Uefi(500)).Headers.GetValues("X-Build").Single());
        Assert.Equal("built", (await Uefi(1)).Headers.GetValues("X-Build").Single());   // long gone

        _site.Restart(c => c["cache-disk-bytes"] = Bound / 2);
        Assert.Equal("cached", (await Uefi(1)).Headers.GetValues("X-Build").Single());      // used last: kept
        Assert.Equal("cached", (await Uefi(500)).Headers.GetValues("X-Build").Single());
        Assert.Equal("built", (await Uefi(480)).Headers.GetValues("X-Build").Single());     // least recent: trimmed at start

        Assert.InRange(CacheBytes() - "not the cache's file".Length, 1, Bound / 2);
        Assert.Equal("not the cache's file", await File.ReadAllTextAsync(foreign));
        var metrics = await _site.Client().GetStringAsync("/metrics");
        Assert.Contains($"bootstrap_cache_disk_bytes {CacheBytes() - "not the cache's file".Length}", metrics);
    }
}
