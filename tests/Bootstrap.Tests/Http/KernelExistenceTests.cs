using System.Diagnostics;
using System.Net;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>Boot scripts remember which kernels exist; every change to the folders is seen, by the next request or within a second.</summary>
[Trait("engine", "sqlite")]   // the kernels folder itself
public sealed class KernelExistenceTests : IDisposable
{
    private readonly TestSite _site = new();

    public KernelExistenceTests() => _site.AddProdKernel();

    public void Dispose() => _site.Dispose();

    /// <summary>Asks until the answer is <paramref name="expected"/>; returns how long that took.</summary>
    private async Task<TimeSpan> Until(HttpClient client, string path, HttpStatusCode expected)
    {
        var clock = Stopwatch.StartNew();
        while ((await client.GetAsync(path)).StatusCode != expected)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{path} did not become {expected}");
            await Task.Delay(10);
        }
        return clock.Elapsed;
    }

    [Fact]
    public async Task A_link_made_through_the_api_is_seen_by_the_very_next_script()
    {
        var client = _site.AdminClient();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/ipxe/test/1")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/symlink/test.efi/zos.efi", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ipxe/test/1")).StatusCode);
    }

    [Fact]
    public async Task A_link_removed_by_hand_is_seen_within_a_second()
    {
        var client = _site.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ipxe/prod/1")).StatusCode);

        File.Delete(Path.Combine(_site.NetLinks, "prod.efi"));

        Assert.InRange(await Until(client, "/ipxe/prod/1", HttpStatusCode.NotFound), TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
        _site.AddLink("prod.efi", "zos.efi");
        Assert.InRange(await Until(client, "/ipxe/prod/1", HttpStatusCode.OK), TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task The_kernels_folder_moved_away_after_a_script_is_seen_within_a_second()
    {
        var client = _site.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ipxe/prod/1")).StatusCode);
        var moved = _site.Kernels + ".away";

        Directory.Move(_site.Kernels, moved);
        Assert.InRange(await Until(client, "/ipxe/prod/1", HttpStatusCode.ServiceUnavailable), TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
        Directory.Move(moved, _site.Kernels);

        Assert.InRange(await Until(client, "/ipxe/prod/1", HttpStatusCode.OK), TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
    }

    [Fact]
    public async Task Another_folder_put_in_its_place_is_the_one_that_counts()
    {
        var client = _site.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ipxe/prod/1")).StatusCode);
        var replacement = _site.Kernels + ".new";
        Directory.CreateDirectory(Path.Combine(replacement, "net"));

        Directory.Move(_site.Kernels, _site.Kernels + ".old");
        Directory.Move(replacement, _site.Kernels);

        Assert.InRange(await Until(client, "/ipxe/prod/1", HttpStatusCode.NotFound), TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
    }
}
