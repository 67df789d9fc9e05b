using System.Collections.Concurrent;

namespace Bootstrap.Builder.Images.Caching;

/// <summary>Too many cold builds are waiting already; the caller should come back later.</summary>
public sealed class BuildQueueFullException(int limit) : Exception($"the build queue is full ({limit} image builds waiting); try again in a few seconds");

/// <summary>
/// A built image handed to one caller, holding a reference of its own to the bytes: open it (the
/// stream then holds the reference until it is disposed) or dispose it.
/// </summary>
public sealed class Artifact : IDisposable
{
    private HeldImage? _image;

    internal Artifact(string key, HeldImage image, bool built, double? buildMilliseconds)
    {
        (Key, _image, Built, BuildMilliseconds, Length) = (key, image, built, buildMilliseconds, image.Length);
    }

    public string Key { get; }
    /// <summary>Whether this request had to wait for the image's build.</summary>
    public bool Built { get; }
    /// <summary>How long the build took, when there was one.</summary>
    public double? BuildMilliseconds { get; }
    public int Length { get; }

    /// <summary>The bytes as a seekable stream that takes over this artifact's reference; once.</summary>
    public Stream OpenRead() =>
        (Interlocked.Exchange(ref _image, null) ?? throw new ObjectDisposedException(nameof(Artifact))).OpenReadOwning();

    /// <summary>A copy of the bytes (for tests); the artifact stays open.</summary>
    public byte[] ToArray() => (_image ?? throw new ObjectDisposedException(nameof(Artifact))).Span.ToArray();

    public void Dispose() => Interlocked.Exchange(ref _image, null)?.Release();
}

/// <summary>
/// Content-addressed store of built images: the key is a hash of everything the image depends on,
/// so an entry never goes stale. Entries live in memory up to a byte budget (least recently used
/// dropped first), outside the GC heap (<see cref="HeldImage"/>), and, when a
/// <see cref="DiskTier"/> is given, on disk under <c>cache-path</c> up to its own bound. Concurrent
/// requests for one key share one build; at most <c>maxConcurrentBuilds</c> builds run at once
/// and at most <c>queueLimit</c> wait. Memory is counted exactly: an image leaves memory when its
/// last holder (the cache, an answer being sent) lets go.
/// </summary>
public sealed class ArtifactCache
{
    private readonly long _memoryBudget;
    private readonly DiskTier? _disk;
    private readonly int _queueLimit;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Flight> _inFlight = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, HeldImage Image)>> _memory = new();
    private readonly LinkedList<(string Key, HeldImage Image)> _recency = new();
    private long _memoryBytes;
    private int _waiting;

    public ArtifactCache(long memoryBudget, DiskTier? disk, int maxConcurrentBuilds, int queueLimit)
    {
        _memoryBudget = memoryBudget;
        _disk = disk;
        _queueLimit = queueLimit;
        _slots = new SemaphoreSlim(maxConcurrentBuilds, maxConcurrentBuilds);
    }

    /// <summary>What one load or build of a key gave, and to how many waiters.</summary>
    private sealed class Flight
    {
        public readonly TaskCompletionSource<(HeldImage Image, bool Built, double? Milliseconds)> Result =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
        /// <summary>Callers waiting; each is given a reference of its own when the flight lands. Under a lock on the flight.</summary>
        public int Waiters;
        public bool Landed;
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
    /// running, or from a new build; the caller disposes it (or the stream it opens).
    /// <paramref name="cancel"/> only stops this caller's wait: the build itself goes on for the
    /// others and for the cache.
    /// </summary>
    public async Task<Artifact> GetOrBuildAsync(string key, Func<CancellationToken, Task<PackedImage>> build, CancellationToken cancel)
    {
        while (true)
        {
            if (FromMemory(key) is { } held)
                return new Artifact(key, held, built: false, null);
            var mine = new Flight();
            var flight = _inFlight.GetOrAdd(key, mine);
            lock (flight)
            {
                // A flight that landed already has handed out its references: look again.
                if (flight.Landed)
                    continue;
                flight.Waiters++;
            }
            if (flight == mine)
                _ = Task.Run(() => Fly(key, mine, build));
            try
            {
                var (image, built, milliseconds) = await flight.Result.Task.WaitAsync(cancel);
                return new Artifact(key, image, built, milliseconds);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                lock (flight)
                {
                    if (!flight.Landed)
                        flight.Waiters--;
                    else if (flight.Result.Task.IsCompletedSuccessfully)
                        flight.Result.Task.Result.Image.Release();   // the reference it was given
                }
                throw;
            }
        }
    }

    private async Task Fly(string key, Flight flight, Func<CancellationToken, Task<PackedImage>> build)
    {
        (HeldImage Image, bool Built, double? Milliseconds) result;
        try
        {
            result = await LoadOrBuild(key, build);
        }
        catch (Exception e)
        {
            Land(key, flight, () => flight.Result.SetException(e));
            return;
        }
        Land(key, flight, () =>
        {
            for (var i = 0; i < flight.Waiters; i++)
                result.Image.TryAddReference();
            // The flight's own goes before any waiter runs: a waiter that lets go of its reference at once
            // frees the image then, not a moment later (a CI run saw the bytes still counted).
            result.Image.Release();
            flight.Result.SetResult(result);
        });
    }

    private void Land(string key, Flight flight, Action hand)
    {
        // Out of the table first: a caller that comes now finds the memory entry or starts anew.
        _inFlight.TryRemove(new KeyValuePair<string, Flight>(key, flight));
        lock (flight)
        {
            flight.Landed = true;
            hand();
        }
    }

    /// <summary>The image with one reference (the flight's), and whether it was built now.</summary>
    private async Task<(HeldImage Image, bool Built, double? Milliseconds)> LoadOrBuild(string key, Func<CancellationToken, Task<PackedImage>> build)
    {
        // Another caller may have finished this key between our memory check and joining.
        if (FromMemory(key) is { } hot)
            return (hot, false, null);
        if (_disk?.Read(key) is { } stored)
        {
            Interlocked.Increment(ref _diskHits);
            Remember(key, stored);
            return (stored, false, null);
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
        HeldImage built;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            Interlocked.Increment(ref _builds);
            built = HeldImage.Write(await build(CancellationToken.None));
        }
        finally
        {
            _slots.Release();
        }
        try
        {
            // Disk first: once an entry can be found in memory, its disk copy is complete.
            _disk?.Write(key, built);
            Remember(key, built);
        }
        catch
        {
            built.Release();
            throw;
        }
        return (built, true, Math.Round(clock.Elapsed.TotalMilliseconds, 1));
    }

    /// <summary>The entry with a reference for the caller, or null.</summary>
    private HeldImage? FromMemory(string key)
    {
        HeldImage image;
        lock (_lock)
        {
            if (!_memory.TryGetValue(key, out var node))
                return null;
            _recency.Remove(node);
            _recency.AddFirst(node);
            Interlocked.Increment(ref _memoryHits);
            image = node.Value.Image;
            image.TryAddReference();   // cannot fail: the cache holds one
        }
        _disk?.Touch(key);   // a hot entry is the last the disk tier should drop
        return image;
    }

    private void Remember(string key, HeldImage image)
    {
        if (image.Length > _memoryBudget)
            return;
        var dropped = new List<HeldImage>();
        lock (_lock)
        {
            if (_memory.ContainsKey(key) || !image.TryAddReference())
                return;
            _memory[key] = _recency.AddFirst((key, image));
            _memoryBytes += image.Length;
            while (_memoryBytes > _memoryBudget && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _memory.Remove(oldest.Value.Key);
                _memoryBytes -= oldest.Value.Image.Length;
                dropped.Add(oldest.Value.Image);
                Interlocked.Increment(ref _evictions);
            }
        }
        foreach (var image1 in dropped)
            image1.Release();
    }
}
