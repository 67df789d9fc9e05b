using System.Text.RegularExpressions;
using Bootstrap.Builder.Storage;

namespace Bootstrap.Builder.Images.Caching;

/// <summary>
/// The disk side of <see cref="ArtifactCache"/>: entries at <c>&lt;folder&gt;/&lt;aa&gt;/&lt;key&gt;</c>
/// (key = 64 lowercase hex digits, <c>aa</c> its first two), at most <c>byteBound</c> bytes in all,
/// the least recently used deleted first. At start the folder is scanned and the bound enforced
/// again, so it holds across restarts; recency there is the file's mtime, which every write and
/// every read from disk sets. Only names of that exact shape (and our own leftover temp files)
/// are ever counted or deleted: anything else in the folder is left alone.
/// </summary>
public sealed partial class DiskTier
{
    private readonly string _folder;
    private readonly long _byteBound;
    private readonly Action<string> _warn;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, long Length)>> _entries = new();
    private readonly LinkedList<(string Key, long Length)> _recency = new();   // most recent first
    private long _bytes;
    private long _evictions;

    [GeneratedRegex("^[0-9a-f]{64}\\z")]
    private static partial Regex KeyShape();

    [GeneratedRegex(@"^\.[0-9a-f]{64}\.[0-9a-f]{32}\.tmp\z")]
    private static partial Regex LeftoverTempShape();   // AtomicFile's temp name for one of our entries

    private readonly TimeProvider _clock;

    public DiskTier(string folder, long byteBound, Action<string>? warn = null, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _folder = folder;
        _byteBound = byteBound;
        _warn = warn ?? (_ => { });
        Load();
    }

    /// <summary>Bytes of entries on disk now (never above the bound once a call returns).</summary>
    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>Entries deleted to keep the bound (at start included).</summary>
    public long Evictions => Interlocked.Read(ref _evictions);

    public bool Contains(string key)
    {
        lock (_lock) return _entries.ContainsKey(key);
    }

    /// <summary>Marks <paramref name="key"/> as just used (a memory hit), without touching the disk.</summary>
    public void Touch(string key)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
                MoveToFront(node);
        }
    }

    /// <summary>The entry's bytes with one reference (the caller's), or null when it is not on disk (or no longer readable).</summary>
    public HeldImage? Read(string key)
    {
        if (!Contains(key))
            return null;
        var path = PathOf(key);
        try
        {
            var bytes = HeldImage.Read(path);
            File.SetLastWriteTimeUtc(path, _clock.GetUtcNow().UtcDateTime);   // the recency a restart will see
            Touch(key);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _warn($"cache entry {path} is unreadable ({e.Message}); building again");
            Forget(key);
            return null;
        }
    }

    /// <summary>
    /// Stores an entry atomically and deletes the least recently used ones until the bound holds.
    /// An entry larger than the whole bound is not stored; a failing disk (read-only, full) only
    /// costs the disk copy.
    /// </summary>
    public void Write(string key, HeldImage bytes)
    {
        if (!KeyShape().IsMatch(key))
            throw new ArgumentException($"cache key must be 64 lowercase hex digits, not '{key}'", nameof(key));
        if (bytes.Length > _byteBound)
            return;
        var path = PathOf(key);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.WriteAsync(path, file =>
            {
                file.Write(bytes.Span);
                return Task.CompletedTask;
            }).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _warn($"cache folder {_folder} is not writable ({e.Message}); serving {key} from memory only");
            return;
        }
        List<string> victims;
        lock (_lock)
        {
            if (_entries.Remove(key, out var old))
            {
                _recency.Remove(old);
                _bytes -= old.Value.Length;
            }
            _entries[key] = _recency.AddFirst((key, bytes.Length));
            _bytes += bytes.Length;
            victims = TakeOverflow();
        }
        Delete(victims);
    }

    private string PathOf(string key) => Path.Combine(_folder, key[..2], key);

    /// <summary>Indexes what an earlier run left, oldest use last, and trims it to the bound.</summary>
    private void Load()
    {
        if (!Directory.Exists(_folder))
            return;
        var found = new List<(string Key, long Length, DateTime Used)>();
        try
        {
            foreach (var shard in new DirectoryInfo(_folder).EnumerateDirectories())
            {
                if (shard.Name.Length != 2 || shard.LinkTarget != null)
                    continue;
                foreach (var file in shard.EnumerateFiles())
                {
                    if (file.LinkTarget != null)
                        continue;
                    if (KeyShape().IsMatch(file.Name) && file.Name.StartsWith(shard.Name, StringComparison.Ordinal))
                        found.Add((file.Name, file.Length, file.LastWriteTimeUtc));
                    else if (LeftoverTempShape().IsMatch(file.Name))
                        DeleteQuietly(file.FullName);   // a write cut short by a crash
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _warn($"cache folder {_folder} could not be read ({e.Message}); its old entries are not counted");
        }
        List<string> victims;
        lock (_lock)
        {
            foreach (var (key, length, _) in found.OrderByDescending(f => f.Used))
            {
                _entries[key] = _recency.AddLast((key, length));
                _bytes += length;
            }
            victims = TakeOverflow();
        }
        Delete(victims);
    }

    /// <summary>Unlinks the least recently used entries past the bound from the index (caller holds the lock).</summary>
    private List<string> TakeOverflow()
    {
        var victims = new List<string>();
        while (_bytes > _byteBound && _recency.Last is { } oldest)
        {
            _recency.RemoveLast();
            _entries.Remove(oldest.Value.Key);
            _bytes -= oldest.Value.Length;
            victims.Add(oldest.Value.Key);
        }
        return victims;
    }

    private void Delete(List<string> victims)
    {
        foreach (var key in victims)
        {
            DeleteQuietly(PathOf(key));
            Interlocked.Increment(ref _evictions);
        }
    }

    private void Forget(string key)
    {
        lock (_lock)
        {
            if (_entries.Remove(key, out var node))
            {
                _recency.Remove(node);
                _bytes -= node.Value.Length;
            }
        }
    }

    private void MoveToFront(LinkedListNode<(string Key, long Length)> node)
    {
        _recency.Remove(node);
        _recency.AddFirst(node);
    }

    private void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _warn($"cache entry {path} could not be deleted ({e.Message})");
        }
    }
}
