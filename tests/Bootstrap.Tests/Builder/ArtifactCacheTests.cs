using Bootstrap.Builder.Caching;

namespace Bootstrap.Tests.Builder;

public sealed class ArtifactCacheTests : IDisposable
{
    private readonly string _disk = Directory.CreateTempSubdirectory("bootstrap-cache-").FullName;

    public void Dispose() => Directory.Delete(_disk, recursive: true);

    private static string Key(int n) => n.ToString("x64");

    [Fact]
    public async Task Sixteen_simultaneous_requests_for_one_key_run_one_build()
    {
        var cache = new ArtifactCache(1 << 20, _disk, maxConcurrentBuilds: 2, queueLimit: 8);
        var release = new TaskCompletionSource();
        var calls = 0;
        async Task<byte[]> Build(CancellationToken _)
        {
            Interlocked.Increment(ref calls);
            await release.Task;
            return [1, 2, 3];
        }

        var requests = Enumerable.Range(0, 16).Select(_ => cache.GetOrBuildAsync(Key(1), Build, default)).ToList();
        await Task.Delay(100);
        release.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.Equal(1, calls);
        Assert.Equal(1, cache.Builds);
        Assert.All(results, r => Assert.Equal([1, 2, 3], r.Bytes));
    }

    [Fact]
    public async Task Entries_survive_a_restart_on_disk()
    {
        await new ArtifactCache(1 << 20, _disk, 1, 1).GetOrBuildAsync(Key(2), _ => Task.FromResult(new byte[] { 9 }), default);
        var restarted = new ArtifactCache(1 << 20, _disk, 1, 1);

        var artifact = await restarted.GetOrBuildAsync(Key(2), _ => throw new InvalidOperationException("must not build"), default);

        Assert.Equal([9], artifact.Bytes);
        Assert.False(artifact.Built);
        Assert.Equal((0L, 1L), (restarted.Builds, restarted.DiskHits));
        Assert.Equal([Key(2)], Directory.GetFiles(Path.Combine(_disk, "00")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Memory_budget_drops_the_least_recently_used()
    {
        var cache = new ArtifactCache(250, diskPath: null, 1, 1);
        foreach (var n in new[] { 1, 2, 1, 3 })
            await cache.GetOrBuildAsync(Key(n), _ => Task.FromResult(new byte[100]), default);

        Assert.Equal((1L, 200L, 3L), (cache.Evictions, cache.MemoryBytes, cache.Builds));
        await cache.GetOrBuildAsync(Key(1), _ => Task.FromResult(new byte[100]), default);
        Assert.Equal(3L, cache.Builds);
        await cache.GetOrBuildAsync(Key(2), _ => Task.FromResult(new byte[100]), default);
        Assert.Equal(4L, cache.Builds);
    }

    [Fact]
    public async Task Full_queue_refuses_at_once()
    {
        var cache = new ArtifactCache(1 << 20, null, maxConcurrentBuilds: 1, queueLimit: 1);
        var release = new TaskCompletionSource();
        Func<CancellationToken, Task<byte[]>> slow = async _ =>
        {
            await release.Task;
            return [1];
        };

        var running = cache.GetOrBuildAsync(Key(1), slow, default);
        var queued = cache.GetOrBuildAsync(Key(2), slow, default);
        await Task.Delay(100);
        var refused = await Assert.ThrowsAsync<BuildQueueFullException>(() => cache.GetOrBuildAsync(Key(3), slow, default));

        Assert.Equal("the build queue is full (1 image builds waiting); try again in a few seconds", refused.Message);
        Assert.Equal(1, cache.QueueDepth);
        release.SetResult();
        await Task.WhenAll(running, queued);
        Assert.Equal(0, cache.QueueDepth);
    }

    [Fact]
    public async Task Cancelled_waiter_leaves_the_build_running_and_no_temp_file()
    {
        var cache = new ArtifactCache(1 << 20, _disk, 1, 1);
        var release = new TaskCompletionSource();
        using var cancel = new CancellationTokenSource();
        var built = new TaskCompletionSource();
        Func<CancellationToken, Task<byte[]>> build = async _ =>
        {
            await release.Task;
            built.SetResult();
            return [7];
        };

        var waiting = cache.GetOrBuildAsync(Key(4), build, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        release.SetResult();
        await built.Task;
        var again = await cache.GetOrBuildAsync(Key(4), _ => throw new InvalidOperationException("built twice"), default);

        Assert.Equal([7], again.Bytes);
        Assert.Equal([Key(4)], Directory.GetFiles(_disk, "*", SearchOption.AllDirectories).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Unwritable_cache_folder_still_serves_the_build_and_warns()
    {
        var blocked = Path.Combine(_disk, "blocked");
        File.WriteAllText(blocked, "a file where the cache folder should be");
        var warnings = new List<string>();
        var cache = new ArtifactCache(1 << 20, blocked, 1, 1, warnings.Add);

        var artifact = await cache.GetOrBuildAsync(Key(5), _ => Task.FromResult(new byte[] { 5 }), default);

        Assert.Equal([5], artifact.Bytes);
        Assert.StartsWith($"cache folder {blocked} is not writable", Assert.Single(warnings));
        Assert.Equal(["blocked"], Directory.GetFileSystemEntries(_disk).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Failed_build_is_not_cached_and_the_next_request_builds_again()
    {
        var cache = new ArtifactCache(1 << 20, _disk, 1, 1);

        await Assert.ThrowsAsync<IOException>(() => cache.GetOrBuildAsync(Key(6), _ => throw new IOException("disk error"), default));
        var artifact = await cache.GetOrBuildAsync(Key(6), _ => Task.FromResult(new byte[] { 6 }), default);

        Assert.Equal([6], artifact.Bytes);
        Assert.True(artifact.Built);
    }
}
