namespace Bootstrap.Builder.Kernels;

/// <summary>
/// Counts changes in the kernels folders through inotify (FileSystemWatcher): any file or link
/// created, renamed, deleted or written there, and the folders themselves moved or replaced,
/// raises <see cref="Generation"/>. When the watchers cannot be set up (the folder is missing, the
/// inotify limit is reached) or report an error, <see cref="Reliable"/> is false and callers check
/// the folders themselves.
/// </summary>
internal sealed class FolderWatch : IDisposable
{
    private readonly string[] _folders;
    private readonly Lock _lock = new();
    private List<FileSystemWatcher> _watchers = [];
    private long _generation;
    private volatile bool _reliable;

    public FolderWatch(params string[] folders)
    {
        _folders = folders;
        Start();
    }

    public long Generation => Interlocked.Read(ref _generation);

    public bool Reliable => _reliable;

    private void Start()
    {
        lock (_lock)
        {
            Stop();
            try
            {
                foreach (var folder in _folders.Distinct())
                {
                    var nested = _folders.Any(f => f != folder && folder.StartsWith(f + Path.DirectorySeparatorChar, StringComparison.Ordinal));
                    if (!nested)
                        _watchers.Add(Watch(folder, "*", subfolders: _folders.Any(f => f.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))));
                    // The parent sees the folder itself moved away, deleted or put back.
                    _watchers.Add(Watch(Path.GetDirectoryName(folder)!, Path.GetFileName(folder), subfolders: false, restartOnChange: true));
                }
                _reliable = true;
            }
            catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
            {
                _reliable = false;
            }
            Interlocked.Increment(ref _generation);
        }
    }

    private FileSystemWatcher Watch(string folder, string filter, bool subfolders, bool restartOnChange = false)
    {
        var watcher = new FileSystemWatcher(folder, filter)
        {
            IncludeSubdirectories = subfolders,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Attributes,
        };
        FileSystemEventHandler changed = restartOnChange ? (_, _) => Restart() : (_, _) => Interlocked.Increment(ref _generation);
        watcher.Created += changed;
        watcher.Deleted += changed;
        watcher.Changed += changed;
        watcher.Renamed += (s, e) => changed(s, e);
        watcher.Error += (_, _) =>
        {
            _reliable = false;
            Interlocked.Increment(ref _generation);
        };
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    /// <summary>A folder was moved or replaced: watch whatever stands at its path now.</summary>
    private void Restart()
    {
        Interlocked.Increment(ref _generation);
        Start();
    }

    private void Stop()
    {
        foreach (var watcher in _watchers)
            watcher.Dispose();
        _watchers = [];
    }

    public void Dispose()
    {
        lock (_lock)
            Stop();
    }
}
