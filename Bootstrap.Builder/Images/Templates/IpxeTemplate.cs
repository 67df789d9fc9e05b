using System.Security.Cryptography;
using System.Text.Json;

namespace Bootstrap.Builder.Images.Templates;

/// <summary>The template could not be used; the message says what to run or which file is wrong.</summary>
public sealed class TemplateUnavailableException(string message) : Exception(message);

/// <summary>
/// What the image packers take their boot files from. A binary template hands out prebuilt files
/// whatever the script; a source template (later) compiles the script into iPXE.
/// </summary>
public interface IIpxeTemplate
{
    /// <summary>"binary" or "source".</summary>
    string Kind { get; }

    /// <summary>True when the iPXE binaries it hands out have the script compiled in (a source template).</summary>
    bool EmbedsScripts { get; }

    string IpxeVersion { get; }

    /// <summary>Changes whenever any file of the template changes: part of every cache key.</summary>
    string Hash { get; }

    /// <summary>True when the template can hand out file <paramref name="name"/>.</summary>
    bool Has(string name);

    /// <summary>
    /// The file <paramref name="name"/> (e.g. <c>ipxe.lkrn</c>), for a build whose script is
    /// <paramref name="script"/>; <paramref name="trace"/> learns how a source template made it.
    /// </summary>
    Task<byte[]> FileAsync(string name, string script, BuildTrace trace, CancellationToken cancel);
}

/// <summary>
/// How the template made the iPXE binaries of one build, for <c>X-Build</c>, the request log and
/// <c>bootstrap_builds_total{method}</c>: <c>built</c> (binary template: nothing compiled),
/// <c>patched</c> (the script written over a precompiled placeholder) or <c>make</c> (relinked).
/// </summary>
public sealed class BuildTrace
{
    private int _patched;
    private int _made;

    public void Patched() => Interlocked.Increment(ref _patched);

    public void Made() => Interlocked.Increment(ref _made);

    public string Method => Volatile.Read(ref _made) > 0 ? "make" : Volatile.Read(ref _patched) > 0 ? "patched" : "built";
}

/// <summary>
/// The binary template that <c>setup/template.sh</c> writes: prebuilt iPXE and syslinux files
/// with a <c>manifest.json</c> of their versions and sha256. Every file is checked against the
/// manifest when loaded and then kept in memory.
/// </summary>
public sealed class BinaryTemplate : IIpxeTemplate
{
    private readonly Dictionary<string, byte[]> _files;

    private BinaryTemplate(string ipxeVersion, string hash, Dictionary<string, byte[]> files)
    {
        IpxeVersion = ipxeVersion;
        Hash = hash;
        _files = files;
    }

    public string Kind => "binary";
    public bool EmbedsScripts => false;
    public string IpxeVersion { get; }
    public string Hash { get; }

    public bool Has(string name) => _files.ContainsKey(name);

    public Task<byte[]> FileAsync(string name, string script, BuildTrace trace, CancellationToken cancel) =>
        _files.TryGetValue(name, out var bytes)
            ? Task.FromResult(bytes)
            : throw new TemplateUnavailableException($"the iPXE template has no file '{name}': run setup/template.sh");

    /// <summary>Loads the template in <paramref name="folder"/>: binary or source, as its manifest says.</summary>
    public static IIpxeTemplate Load(string folder)
    {
        var manifestPath = Path.Combine(folder, "manifest.json");
        if (!File.Exists(manifestPath))
            throw new TemplateUnavailableException($"no iPXE template in {folder}: run setup/template.sh");
        var manifestBytes = File.ReadAllBytes(manifestPath);
        Manifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(manifestBytes)!;
        }
        catch (JsonException e)
        {
            throw new TemplateUnavailableException($"{manifestPath} is not a template manifest ({e.Message}): run setup/template.sh");
        }
        if (manifest.Kind == "source")
            return SourceTemplate.Load(folder, manifestBytes);
        return new BinaryTemplate(manifest.IpxeVersion, Convert.ToHexStringLower(SHA256.HashData(manifestBytes)), VerifiedFiles(folder, manifest.Files));
    }

    /// <summary>Reads every file the manifest lists and checks it against its sha256.</summary>
    internal static Dictionary<string, byte[]> VerifiedFiles(string folder, Dictionary<string, ManifestFile> entries)
    {
        var files = new Dictionary<string, byte[]>();
        foreach (var (name, entry) in entries)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path))
                throw new TemplateUnavailableException($"template file {path} is missing: run setup/template.sh");
            var bytes = File.ReadAllBytes(path);
            if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != entry.Sha256)
                throw new TemplateUnavailableException($"template file {path} does not match its sha256 in the manifest: run setup/template.sh");
            files[name] = bytes;
        }
        return files;
    }

    private sealed record Manifest(
        [property: System.Text.Json.Serialization.JsonPropertyName("kind")] string? Kind,
        [property: System.Text.Json.Serialization.JsonPropertyName("ipxe-version")] string IpxeVersion,
        [property: System.Text.Json.Serialization.JsonPropertyName("files")] Dictionary<string, ManifestFile> Files);

    internal sealed record ManifestFile([property: System.Text.Json.Serialization.JsonPropertyName("sha256")] string Sha256);
}

/// <summary>
/// Hands out the current template, loading it again when its manifest changes, so running
/// <c>setup/template.sh</c> while the service runs takes effect without a restart.
/// </summary>
public sealed class TemplateStore(string folder) : IDisposable
{
    private readonly Lock _lock = new();
    private (string Stamp, IIpxeTemplate Template)? _current;

    /// <summary>
    /// The template, or <see cref="TemplateUnavailableException"/> naming what is wrong. Every call
    /// compares the size and time of the manifest and of each file with what was loaded (a few
    /// stat calls); on any change the template is loaded and checked against its sha256 again, so a
    /// file deleted or damaged under a running service is reported, not silently served from memory.
    /// </summary>
    public IIpxeTemplate Get()
    {
        var stamp = Stamp();
        lock (_lock)
        {
            if (_current is { } c && c.Stamp == stamp)
                return c.Template;
            // A replaced template's helpers stop; a build still using it falls back to in-process work.
            (_current?.Template as IDisposable)?.Dispose();
            _current = null;
            var template = BinaryTemplate.Load(folder);
            _current = (stamp, template);
            return template;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            (_current?.Template as IDisposable)?.Dispose();
            _current = null;
        }
    }

    private string Stamp()
    {
        if (!Directory.Exists(folder))
            return "";
        return string.Join('|', new DirectoryInfo(folder).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));
    }
}
