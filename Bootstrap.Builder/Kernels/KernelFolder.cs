using Bootstrap.Builder.Storage;
using System.Collections.Concurrent;
using Bootstrap.Builder.Boot;

namespace Bootstrap.Builder.Kernels;

/// <summary>
/// The kernels folder of a single instance (the embedded default): files in <c>kernel-path</c>, runmode links in <c>kernel-net-path</c>
/// (x86-64's) and its architecture folders (<c>kernel-net-path/arm64</c>).
/// Only regular files whose real path lies directly in the kernels folder are ever opened, whatever
/// symlinks point where. Uploads and link switches are atomic renames, so a machine downloading
/// during a change sees the whole old file or the whole new one.
/// </summary>
public sealed class KernelFolder : KernelStore
{
    private readonly string _kernelDir;
    private readonly string _netDir;

    public KernelFolder(string kernelPath, string kernelNetPath)
    {
        _kernelDir = Path.GetFullPath(kernelPath);
        _netDir = Path.GetFullPath(kernelNetPath);
        _linkDirs = KernelArchitecture.All.ToDictionary(a => a, a => a.LinkFolder.Length == 0 ? _netDir : Path.Combine(_netDir, a.LinkFolder.TrimEnd('/')));
        _watch = new FolderWatch([_kernelDir, .. _linkDirs.Values]);
    }

    /// <summary>The folder of each architecture's runmode links (x86-64's is the links folder itself).</summary>
    private readonly Dictionary<KernelArchitecture, string> _linkDirs;

    private string LinkDir(KernelArchitecture architecture) => _linkDirs[architecture];

    private readonly FolderWatch _watch;

    /// <summary>
    /// Resolves <c>NAME</c> (a kernel) or <c>net/NAME</c>, <c>net/arm64/NAME</c> (a runmode link)
    /// to the real file path, or null when there is no such file inside the kernels folder.
    /// </summary>
    public string? Resolve(string kernelPath)
    {
        var isLink = kernelPath.StartsWith("net/", StringComparison.Ordinal);
        string folder, name;
        if (isLink)
        {
            var (architecture, fileName, problem) = KernelArchitecture.SplitLink(kernelPath[4..]);
            if (problem != null)
                return null;
            (folder, name) = (LinkDir(architecture!), fileName);
        }
        else
        {
            if (KernelNames.Problem(kernelPath) != null)
                return null;
            (folder, name) = (_kernelDir, kernelPath);
        }
        var root = RealPath.Of(_kernelDir) ?? throw KernelsUnavailableException.Folder(_kernelDir);
        var real = RealPath.Of(Path.Combine(folder, name));
        if (real == null || Path.GetDirectoryName(real) != root || !File.Exists(real))
            return null;
        return real;
    }

    public override string Describe => $"folder {_kernelDir}";

    public override bool IsReadable
    {
        get
        {
            try
            {
                _ = Directory.EnumerateFileSystemEntries(_kernelDir).FirstOrDefault();
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="kernelPath"/> resolves (see <see cref="Resolve"/>), as every boot
    /// script asks. Answers are remembered until the folders change: inotify reports changes (no
    /// system call per request, where two realpaths cost a dozen), the folders' modification
    /// times are compared once a second besides (or on every call while inotify is unavailable),
    /// and the store's own uploads and link switches forget the answers at once.
    /// </summary>
    public override bool Exists(string kernelPath)
    {
        var known = _known;
        var generation = _watch.Generation;
        var now = Environment.TickCount64;
        if (known.Generation != generation || !_watch.Reliable || now - known.CheckedAt > 1000)
        {
            var stamp = FoldersStamp();
            if (known.Generation != generation || known.Stamp != stamp)
                _known = known = new KnownKernels(stamp, generation, new ConcurrentDictionary<string, bool>());
            known.CheckedAt = now;
        }
        if (known.Answers.TryGetValue(kernelPath, out var exists))
            return exists;
        exists = Resolve(kernelPath) != null;
        if (known.Answers.Count < MaxKnownKernels)
            known.Answers[kernelPath] = exists;
        return exists;
    }

    private const int MaxKnownKernels = 1024;
    private volatile KnownKernels _known = new(default, -1, new ConcurrentDictionary<string, bool>());

    private sealed record KnownKernels(string? Stamp, long Generation, ConcurrentDictionary<string, bool> Answers)
    {
        public long CheckedAt { get; set; }
    }

    /// <summary>The folders' modification times; a folder that is gone reads as a time no folder has.</summary>
    private string FoldersStamp() =>
        string.Join(' ', new[] { _kernelDir }.Concat(_linkDirs.Values).Select(d => Directory.GetLastWriteTimeUtc(d).Ticks));

    private void Forget() => _known = new KnownKernels(default, -1, new ConcurrentDictionary<string, bool>());

    public override void Dispose() => _watch.Dispose();

    public override Task<OpenedKernel?> OpenAsync(string kernelPath, CancellationToken cancel = default) => Task.FromResult(Open(kernelPath));

    /// <summary>Opens a kernel for reading; null when <see cref="Resolve"/> finds nothing.</summary>
    private OpenedKernel? Open(string kernelPath)
    {
        var real = Resolve(kernelPath);
        if (real == null)
            return null;
        FileStream stream;
        try
        {
            // FileShare.Delete: an upload may rename a new file over this one while it is served.
            stream = new FileStream(real, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.Asynchronous);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw KernelsUnavailableException.Folder(_kernelDir);
        }
        // Length and time come from the open handle, so they describe the bytes that will be sent.
        var length = stream.Length;
        var modified = new DateTimeOffset(File.GetLastWriteTimeUtc(stream.SafeFileHandle));
        var etag = $"\"{length:x}-{modified.ToUnixTimeMilliseconds():x}\"";
        return new OpenedKernel(stream, length, modified, etag);
    }

    /// <summary>Kernel files, newest first, with the runmode links that point at each.</summary>
    public override IReadOnlyList<KernelInfo> List()
    {
        var root = RealPath.Of(_kernelDir) ?? throw KernelsUnavailableException.Folder(_kernelDir);
        var runmodes = new Dictionary<string, List<string>>();
        foreach (var architecture in KernelArchitecture.All)
        {
            var folder = LinkDir(architecture);
            if (!Directory.Exists(folder))
                continue;
            foreach (var link in Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
            {
                var linkName = Path.GetFileName(link);
                var real = linkName.StartsWith('.') ? null : RealPath.Of(link);
                if (real != null && Path.GetDirectoryName(real) == root)
                {
                    var kernel = Path.GetFileName(real);
                    if (!runmodes.TryGetValue(kernel, out var names))
                        runmodes[kernel] = names = [];
                    names.Add(KernelArchitecture.Shown(architecture.LinkFolder + linkName));
                }
            }
        }
        return new DirectoryInfo(root).EnumerateFiles()
            .Where(f => !f.Name.StartsWith('.') && f.LinkTarget == null && KernelNames.Problem(f.Name) == null)
            .Select(f => new KernelInfo(f.Name, f.Length, new DateTimeOffset(f.LastWriteTimeUtc),
                runmodes.TryGetValue(f.Name, out var names) ? names : [], KernelArchitecture.DetectFile(f.FullName)?.Name))
            .OrderByDescending(k => k.Updated).ThenBy(k => k.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Stores <paramref name="content"/> as kernel <paramref name="name"/>: written to a hidden temp
    /// file in the same folder, flushed to disk, then renamed over any previous file of that name.
    /// On any failure (a cancelled upload included) the temp file is removed and nothing changes.
    /// </summary>
    public override async Task<long> StoreAsync(string name, Stream content, CancellationToken cancel)
    {
        ThrowIfBadName(name, "kernel");
        try
        {
            return await AtomicFile.WriteAsync(Path.Combine(_kernelDir, name), file => content.CopyToAsync(file, cancel), flushToDisk: true);
        }
        finally
        {
            Forget();
        }
    }

    /// <summary>
    /// Points runmode link <paramref name="link"/> at kernel <paramref name="target"/>: a new symlink
    /// is made under a temp name and renamed over the old one (rename(2) is atomic), so the link is
    /// never missing.
    /// </summary>
    public override Task LinkAsync(string link, string target)
    {
        var (architecture, fileName) = SplitLinkOrThrow(link);
        var folder = LinkDir(architecture);
        if (Directory.Exists(Path.Combine(folder, fileName)))
            throw new ArgumentException($"link: '{link}' is reserved: it is a folder of the kernels store (the runmode links live in '{Path.GetFileName(_netDir)}')");
        ThrowIfBadName(target, "target");
        var targetPath = Path.Combine(_kernelDir, target);
        if (!File.Exists(targetPath) || new FileInfo(targetPath).LinkTarget != null)
            throw new FileNotFoundException($"target: no kernel file '{target}' in the kernels folder");
        Directory.CreateDirectory(folder);
        AtomicFile.ReplaceWithSymlink(Path.Combine(folder, fileName), Path.GetRelativePath(folder, targetPath));
        Forget();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Deletes kernel <paramref name="name"/>. A kernel a runmode link points at stays (the
    /// exception names the runmodes): point them elsewhere first, so no runmode loses its kernel.
    /// </summary>
    public override Task DeleteAsync(string name)
    {
        ThrowIfBadName(name, "kernel");
        var kernel = List().FirstOrDefault(k => k.Name == name) ?? throw new FileNotFoundException($"kernel: no kernel file '{name}' in the kernels folder");
        if (kernel.Runmodes.Count > 0)
            throw BootedBy(name, kernel.Runmodes);
        File.Delete(Path.Combine(_kernelDir, name));
        Forget();
        return Task.CompletedTask;
    }

    private void ThrowIfBadName(string name, string what)
    {
        ThrowIfBadFileName(name, what);
        if (Directory.Exists(Path.Combine(_kernelDir, name)))
            throw new ArgumentException($"{what}: '{name}' is reserved: it is a folder of the kernels store (the runmode links live in '{Path.GetFileName(_netDir)}')");
    }
}
