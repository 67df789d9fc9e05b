using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Builder.Storage.Files;

namespace Bootstrap.Builder.Kernels;

/// <summary>The kernels cannot be read at all (folder gone, database unreachable for an uncached file): HTTP 503.</summary>
public sealed class KernelsUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    public static KernelsUnavailableException Folder(string folder) => new($"the kernels folder {folder} is missing or unreadable");
}

/// <summary>A kernel file opened for serving: the stream is positioned at 0 and owned by the caller.</summary>
public sealed record OpenedKernel(FileStream Stream, long Length, DateTimeOffset LastModified, string ETag);

/// <summary>
/// A kernel as listed on <c>/images</c>: the runmode links that point at it, as <see
/// cref="KernelArchitecture.Shown"/> writes them (<c>prod</c> for x86-64, <c>arm64/prod</c>), and
/// the architecture the file declares (null when it declares none this service knows).
/// </summary>
public sealed record KernelInfo(string Name, long Size, DateTimeOffset Updated, IReadOnlyList<string> Runmodes, string? Architecture = null);

/// <summary>
/// Kernels by name and the runmode links that name them (<c>net/prod.efi</c>). A single instance
/// keeps them in its kernels folder (<see cref="KernelFolder"/>); instances sharing PostgreSQL keep
/// them in the database by content hash (<see cref="SharedKernels"/>). Either way a change is
/// atomic: a machine downloading meanwhile gets the whole old kernel or the whole new one.
/// </summary>
public abstract class KernelStore : IDisposable
{
    /// <summary>The store a config names: shared on PostgreSQL, the kernels folder otherwise.</summary>
    public static KernelStore For(BootstrapConfig config, BootstrapDatabase database, SharedFiles? files, Action<string>? warn = null) =>
        files != null ? new SharedKernels(database, files, warn) : new KernelFolder(config.KernelPath, config.KernelNetPath);

    /// <summary>The store a config names, for a command that opens it alone (the CLI).</summary>
    public static KernelStore For(BootstrapConfig config, BootstrapDatabase database) => For(config, database, SharedFiles.For(config, database));

    /// <summary>Where kernels are kept, for /healthz and the log.</summary>
    public abstract string Describe { get; }

    /// <summary>False when kernels cannot be read at all (/healthz answers 503 then).</summary>
    public virtual bool IsReadable => true;

    /// <summary>Whether <c>NAME</c>, <c>net/LINK</c> or <c>net/ARCH/LINK</c> names a kernel; every boot script asks, so it answers from memory.</summary>
    public abstract bool Exists(string kernelPath);

    /// <summary>Opens <c>NAME</c> or <c>net/LINK</c> for reading; null when there is no such kernel.</summary>
    public abstract Task<OpenedKernel?> OpenAsync(string kernelPath, CancellationToken cancel = default);

    /// <summary>Kernels, newest first, with the runmodes whose link points at each.</summary>
    public abstract IReadOnlyList<KernelInfo> List();

    /// <summary>Stores <paramref name="content"/> as kernel <paramref name="name"/> (replacing one of that name); its size. Nothing changes on failure.</summary>
    public abstract Task<long> StoreAsync(string name, Stream content, CancellationToken cancel);

    /// <summary>Points runmode link <paramref name="link"/> (<c>prod.efi</c>, <c>arm64/prod.efi</c>) at kernel <paramref name="target"/> (<see cref="FileNotFoundException"/> when there is none).</summary>
    public abstract Task LinkAsync(string link, string target);

    /// <summary>Deletes kernel <paramref name="name"/>; one a runmode link points at stays (<see cref="InvalidOperationException"/> names the runmodes).</summary>
    public abstract Task DeleteAsync(string name);

    public virtual void Dispose()
    {
    }

    /// <summary>Refuses a name that is not a plain file name (<see cref="KernelNames"/>), naming <paramref name="what"/> it is.</summary>
    protected static void ThrowIfBadFileName(string name, string what)
    {
        if (KernelNames.Check(name, what) is { } problem)
            throw new ArgumentException(problem);
    }

    /// <summary>Refuses a runmode link that is not <c>NAME.efi</c> or <c>ARCH/NAME.efi</c> (<see cref="KernelArchitecture.SplitLink"/>); its architecture and file name.</summary>
    protected static (KernelArchitecture Architecture, string FileName) SplitLinkOrThrow(string link)
    {
        var (architecture, fileName, problem) = KernelArchitecture.SplitLink(link);
        if (problem != null)
            throw new ArgumentException(problem);
        return (architecture!, fileName);
    }

    /// <summary>The refusal of a kernel some runmodes boot.</summary>
    protected static InvalidOperationException BootedBy(string name, IEnumerable<string> runmodes) =>
        new($"kernel '{name}' is booted by runmode {string.Join(", ", runmodes)}: point it at another kernel first");
}
