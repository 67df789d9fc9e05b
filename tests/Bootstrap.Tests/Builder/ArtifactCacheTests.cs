using Bootstrap.Builder.Images.Caching;

namespace Bootstrap.Tests.Builder;

public sealed class ArtifactCacheTests : IDisposable
{
    private readonly string _disk = Directory.CreateTempSubdirectory("bootstrap-cache-").FullName;

    public void Dispose() => Directory.Delete(_disk, recursive: true);

    private static string Key(int n) => n.ToString("x64");

    private DiskTier Disk(long bound = 1 << 20, List<string>? warnings = null) => new(_disk, bound, warnings == null ? null : warnings.Add);

    private static Func<CancellationToken, Task<PackedImage>> Bytes(int length) => _ => Task.FromResult(PackedImage.Of(new byte[length]));

    private static Func<CancellationToken, Task<PackedImage>> Holding(params byte[] bytes) => _ => Task.FromResult(PackedImage.Of(bytes));

    private string[] OnDisk() => Directory.GetFiles(_disk, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(_disk, f)).Order(StringComparer.Ordinal).ToArray();

    private static string Entry(int n) => Path.Combine(Key(n)[..2], Key(n));

    [Fact]
    public async Task Sixteen_simultaneous_requests_for_one_key_run_one_build()
    {
        var cache = new ArtifactCache(1 << 20, Disk(), maxConcurrentBuilds: 2, queueLimit: 8);
        var release = new TaskCompletionSource();
        var calls = 0;
        async Task<PackedImage> Build(CancellationToken _)
        {
            Interlocked.Increment(ref calls);
            await release.Task;
            return PackedImage.Of([1, 2, 3]);
        }

        var requests = Enumerable.Range(0, 16).Select(_ => cache.GetOrBuildAsync(Key(1), Build, default)).ToList();
        await Task.Delay(100);
        release.SetResult();
        var results = await Task.WhenAll(requests);

        Assert.Equal(1, calls);
        Assert.Equal(1, cache.Builds);
        Assert.All(results, r => Assert.Equal([1, 2, 3], r.ToArray()));
    }

    [Fact]
    public async Task Entries_survive_a_restart_on_disk()
    {
        await new ArtifactCache(1 << 20, Disk(), 1, 1).GetOrBuildAsync(Key(2), Holding(9), default);
        var restarted = new ArtifactCache(1 << 20, Disk(), 1, 1);

        var artifact = await restarted.GetOrBuildAsync(Key(2), _ => throw new InvalidOperationException("must not build"), default);

        Assert.Equal([9], artifact.ToArray());
        Assert.False(artifact.Built);
        Assert.Equal((0L, 1L), (restarted.Builds, restarted.DiskHits));
        Assert.Equal([Key(2)], Directory.GetFiles(Path.Combine(_disk, "00")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Memory_budget_drops_the_least_recently_used()
    {
        var cache = new ArtifactCache(250, disk: null, 1, 1);
        foreach (var n in new[] { 1, 2, 1, 3 })
            await cache.GetOrBuildAsync(Key(n), Bytes(100), default);

        Assert.Equal((1L, 200L, 3L), (cache.Evictions, cache.MemoryBytes, cache.Builds));
        await cache.GetOrBuildAsync(Key(1), Bytes(100), default);
        Assert.Equal(3L, cache.Builds);
        await cache.GetOrBuildAsync(Key(2), Bytes(100), default);
        Assert.Equal(4L, cache.Builds);
    }

    [Fact]
    public async Task Full_queue_refuses_at_once()
    {
        var cache = new ArtifactCache(1 << 20, null, maxConcurrentBuilds: 1, queueLimit: 1);
        var release = new TaskCompletionSource();
        Func<CancellationToken, Task<PackedImage>> slow = async _ =>
        {
            await release.Task;
            return PackedImage.Of([1]);
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
        var cache = new ArtifactCache(1 << 20, Disk(), 1, 1);
        var release = new TaskCompletionSource();
        using var cancel = new CancellationTokenSource();
        var built = new TaskCompletionSource();
        Func<CancellationToken, Task<PackedImage>> build = async _ =>
        {
            await release.Task;
            built.SetResult();
            return PackedImage.Of([7]);
        };

        var waiting = cache.GetOrBuildAsync(Key(4), build, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        release.SetResult();
        await built.Task;
        var again = await cache.GetOrBuildAsync(Key(4), _ => throw new InvalidOperationException("built twice"), default);

        Assert.Equal([7], again.ToArray());
        Assert.Equal([Key(4)], Directory.GetFiles(_disk, "*", SearchOption.AllDirectories).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Unwritable_cache_folder_still_serves_the_build_and_warns()
    {
        var blocked = Path.Combine(_disk, "blocked");
        File.WriteAllText(blocked, "a file where the cache folder should be");
        var warnings = new List<string>();
        var cache = new ArtifactCache(1 << 20, new DiskTier(blocked, 1 << 20, warnings.Add), 1, 1);

        var artifact = await cache.GetOrBuildAsync(Key(5), Holding(5), default);

        Assert.Equal([5], artifact.ToArray());
        Assert.StartsWith($"cache folder {blocked} is not writable", Assert.Single(warnings));
        Assert.Equal(["blocked"], Directory.GetFileSystemEntries(_disk).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Failed_build_is_not_cached_and_the_next_request_builds_again()
    {
        var cache = new ArtifactCache(1 << 20, Disk(), 1, 1);

        await Assert.ThrowsAsync<IOException>(() => cache.GetOrBuildAsync(Key(6), _ => throw new IOException("disk error"), default));
        var artifact = await cache.GetOrBuildAsync(Key(6), Holding(6), default);

        Assert.Equal([6], artifact.ToArray());
        Assert.True(artifact.Built);
    }

    [Fact]
    public async Task Disk_tier_keeps_its_byte_bound_dropping_the_least_recently_used()
    {
        var disk = Disk(bound: 300);
        var cache = new ArtifactCache(0, disk, 1, 1);   // no memory tier: every hit is a disk hit
        foreach (var n in new[] { 1, 2, 3 })
            await cache.GetOrBuildAsync(Key(n), Bytes(100), default);
        await cache.GetOrBuildAsync(Key(1), Bytes(100), default);   // 1 is now more recent than 2
        await cache.GetOrBuildAsync(Key(4), Bytes(100), default);

        Assert.Equal([Entry(1), Entry(3), Entry(4)], OnDisk());
        Assert.Equal((300L, 3, 1L, 4L), (disk.Bytes, disk.Count, disk.Evictions, cache.Builds));
    }

    [Fact]
    public async Task Disk_bound_holds_across_a_restart_in_the_order_of_last_use()
    {
        var first = new ArtifactCache(0, Disk(), 1, 1);
        foreach (var n in new[] { 1, 2, 3, 4 })
        {
            await first.GetOrBuildAsync(Key(n), Bytes(100), default);
            File.SetLastWriteTimeUtc(Path.Combine(_disk, Entry(n)), new DateTime(2026, 1, 1, 0, 0, n, DateTimeKind.Utc));
        }
        File.SetLastWriteTimeUtc(Path.Combine(_disk, Entry(1)), new DateTime(2026, 1, 2, 0, 0, 0, DateTimeKind.Utc));   // used last

        var restarted = Disk(bound: 250);

        Assert.Equal([Entry(1), Entry(4)], OnDisk());
        Assert.Equal((200L, 2, 2L), (restarted.Bytes, restarted.Count, restarted.Evictions));
    }

    [Fact]
    public async Task Files_the_cache_did_not_write_are_neither_counted_nor_deleted()
    {
        string[] foreign = ["README", Path.Combine("00", "notes.txt"), Path.Combine("zz", Key(9)), Path.Combine("ab", Key(9))];
        foreach (var file in foreign)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_disk, file)) is { Length: > 0 } dir ? dir : _disk);
            File.WriteAllBytes(Path.Combine(_disk, file), new byte[500]);
        }
        var leftover = Path.Combine("00", $".{Key(8)}.{Guid.NewGuid():N}.tmp");   // a write a crash cut short
        File.WriteAllBytes(Path.Combine(_disk, leftover), new byte[500]);

        var disk = Disk(bound: 150);
        var cache = new ArtifactCache(0, disk, 1, 1);
        await cache.GetOrBuildAsync(Key(1), Bytes(100), default);
        await cache.GetOrBuildAsync(Key(2), Bytes(100), default);

        Assert.Equal(foreign.Append(Entry(2)).Order(StringComparer.Ordinal).ToArray(), OnDisk());
        Assert.Equal((100L, 1), (disk.Bytes, disk.Count));
    }

    [Fact]
    public async Task An_entry_larger_than_the_disk_bound_is_served_but_not_stored()
    {
        var cache = new ArtifactCache(1 << 20, Disk(bound: 50), 1, 1);

        var artifact = await cache.GetOrBuildAsync(Key(1), Bytes(100), default);

        Assert.Equal(100, artifact.Length);
        Assert.Empty(OnDisk());
    }

    [Fact]
    public async Task A_memory_hit_counts_as_use_for_the_disk_tier()
    {
        var disk = Disk(bound: 200);
        var cache = new ArtifactCache(1 << 20, disk, 1, 1);
        await cache.GetOrBuildAsync(Key(1), Bytes(100), default);
        await cache.GetOrBuildAsync(Key(2), Bytes(100), default);
        await cache.GetOrBuildAsync(Key(1), Bytes(100), default);   // from memory
        await cache.GetOrBuildAsync(Key(3), Bytes(100), default);

        Assert.Equal([Entry(1), Entry(3)], OnDisk());
    }

    [Fact]
    public async Task An_entry_deleted_behind_the_cache_is_built_again()
    {
        var disk = Disk();
        await new ArtifactCache(0, disk, 1, 1).GetOrBuildAsync(Key(1), Bytes(100), default);
        File.Delete(Path.Combine(_disk, Entry(1)));
        var warnings = new List<string>();
        var cache = new ArtifactCache(0, new DiskTier(_disk, 1 << 20, warnings.Add), 1, 1);

        var artifact = await cache.GetOrBuildAsync(Key(1), Bytes(100), default);

        Assert.True(artifact.Built);
        Assert.Empty(warnings);
        Assert.Equal([Entry(1)], OnDisk());
    }
}
