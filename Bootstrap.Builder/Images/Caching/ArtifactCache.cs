using System.Collections.Concurrent;

namespace Bootstrap.Builder.Images.Caching;

/// <summary>Too many cold builds are waiting already; the caller should come back later.</summary>
public sealed class BuildQueueFullException(int limit) : Exception($"the build queue is full ({limit} image builds waiting); try again in a few seconds");

/// <summary>A built image, whether this request had to wait for its build, and how long the build took.</summary>
public sealed record Artifact(string Key, byte[] Bytes, bool Built, double? BuildMilliseconds = null);

/// <summary>
/// Content-addressed store of built images: the key is a hash of everything the image depends on,
/// so an entry never goes stale. Entries live in memory up to a byte budget (least recently used
/// dropped first) and, when a <see cref="DiskTier"/> is given, on disk under <c>cache-path</c> up to
/// its own bound. Concurrent requests for one key share one build; at most
/// <c>maxConcurrentBuilds</c> builds run at once and at most <c>queueLimit</c> wait.
/// </summary>
public sealed class ArtifactCache
{
    private readonly long _memoryBudget;
    private readonly DiskTier? _disk;
    private readonly int _queueLimit;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Lazy<Task<Artifact>>> _inFlight = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, byte[] Bytes)>> _memory = new();
    private readonly LinkedList<(string Key, byte[] Bytes)> _recency = new();
    private long _memoryBytes;
    private int _waiting;

    public ArtifactCache(long memoryBudget, DiskTier? disk, int maxConcurrentBuilds, int queueLimit)
    {
        _memoryBudget = memoryBudget;
        _disk = disk;
        _queueLimit = queueLimit;
        _slots = new SemaphoreSlim(maxConcurrentBuilds, maxConcurrentBuilds);
    }

    /// <summary>The disk tier, if any (its size and evictions are exported as metrics).</summary>
    public DiskTier? Disk => _disk;

    /// <summary>Builds actually run (not answered from memory or disk).</summary>
    public long Builds => Interlocked.Read(ref _builds);
    private long _builds;

    public long MemoryHits => Interlocked.Read(ref _memoryHits);
    private long _memoryHits;

    public long DiskHits => Interlocked.Read(ref _diskHits);
    private long _diskHits;

    public long Evictions => Interlocked.Read(ref _evictions);
    private long _evictions;

    /// <summary>Builds waiting for a slot right now.</summary>
    public int QueueDepth => Volatile.Read(ref _waiting);

    public long MemoryBytes
    {
        get { lock (_lock) return _memoryBytes; }
    }

    /// <summary>True when <paramref name="key"/> is ready without a build (in memory or on disk).</summary>
    public bool Contains(string key)
    {
        lock (_lock)
        {
            if (_memory.ContainsKey(key))
                return true;
        }
        return _disk?.Contains(key) == true;
    }

    /// <summary>
    /// The artifact for <paramref name="key"/>: from memory, from disk, from a build already
    /// running, or from a new build. <paramref name="cancel"/> only stops this caller's wait: the
    /// build itself goes on for the others and for the cache.
    /// </summary>
    public async Task<Artifact> GetOrBuildAsync(string key, Func<CancellationToken, Task<byte[]>> build, CancellationToken cancel)
    {
        if (FromMemory(key) is { } bytes)
            return new Artifact(key, bytes, Built: false);
        var shared = _inFlight.GetOrAdd(key, k => new Lazy<Task<Artifact>>(() => Task.Run(() => LoadOrBuild(k, build))));
        return await shared.Value.WaitAsync(cancel);
    }

    private async Task<Artifact> LoadOrBuild(string key, Func<CancellationToken, Task<byte[]>> build)
    {
        try
        {
            // Another caller may have finished this key between our memory check and joining.
            if (FromMemory(key) is { } hot)
                return new Artifact(key, hot, Built: false);
            if (_disk?.Read(key) is { } stored)
            {
                Interlocked.Increment(ref _diskHits);
                Remember(key, stored);
                return new Artifact(key, stored, Built: false);
            }
            if (!_slots.Wait(0))
            {
                // No free slot: wait in the queue, if it has room.
                if (Interlocked.Increment(ref _waiting) > _queueLimit)
                {
                    Interlocked.Decrement(ref _waiting);
                    throw new BuildQueueFullException(_queueLimit);
                }
                await _slots.WaitAsync();
                Interlocked.Decrement(ref _waiting);
            }
            byte[] bytes;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                Interlocked.Increment(ref _builds);
                bytes = await build(CancellationToken.None);
            }
            finally
            {
                _slots.Release();
            }
            // Disk first: once an entry can be found in memory, its disk copy is complete.
            _disk?.Write(key, bytes);
            Remember(key, bytes);
            return new Artifact(key, bytes, Built: true, Math.Round(clock.Elapsed.TotalMilliseconds, 1));
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }

    private byte[]? FromMemory(string key)
    {
        byte[] bytes;
        lock (_lock)
        {
            if (!_memory.TryGetValue(key, out var node))
                return null;
            _recency.Remove(node);
            _recency.AddFirst(node);
            Interlocked.Increment(ref _memoryHits);
            bytes = node.Value.Bytes;
        }
        _disk?.Touch(key);   // a hot entry is the last the disk tier should drop
        return bytes;
    }

    private void Remember(string key, byte[] bytes)
    {
        if (bytes.Length > _memoryBudget)
            return;
        lock (_lock)
        {
            if (_memory.ContainsKey(key))
                return;
            _memory[key] = _recency.AddFirst((key, bytes));
            _memoryBytes += bytes.Length;
            while (_memoryBytes > _memoryBudget && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _memory.Remove(oldest.Value.Key);
                _memoryBytes -= oldest.Value.Bytes.Length;
                Interlocked.Increment(ref _evictions);
            }
        }
    }
}
