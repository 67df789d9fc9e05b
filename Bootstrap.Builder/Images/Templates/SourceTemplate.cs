using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Bootstrap.Builder.Images.Formats.Zbin;
using Bootstrap.Builder.Processes;
using CliWrap;

namespace Bootstrap.Builder.Images.Templates;

/// <summary>
/// The source template (0-bootstrap's production mode): iPXE built from source with the script
/// compiled in. <c>setup/template.sh --source</c> writes it.
/// </summary>
/// <remarks>
/// Per request the script is written over the placeholder that setup compiled into each target
/// (<see cref="EmbeddedScript"/>): an EFI file is the precompiled file with those bytes replaced;
/// a BIOS <c>.lkrn</c> is its uncompressed link output patched and then packed again (iPXE's last
/// build step) by <see cref="LkrnRepacker"/>, which compresses only what follows the script.
/// <para>A script longer than the placeholder falls back to <c>make TARGET EMBED=script</c> in one of
/// a pool of precompiled worker trees (one per concurrent build; a build relinks in place and gives
/// the tree back, builds never share a tree). Static boot-loader files (isolinux...) are served as in
/// the binary template.</para>
/// </remarks>
public sealed class SourceTemplate : IIpxeTemplate, IDisposable
{
    /// <summary>Our file names → the make target that produces them.</summary>
    public static readonly IReadOnlyDictionary<string, string> MakeTargets = new Dictionary<string, string>
    {
        ["ipxe.lkrn"] = "bin/ipxe.lkrn",
        ["ipxe-amd64.efi"] = "bin-x86_64-efi/ipxe.efi",
        ["snponly.efi"] = "bin-x86_64-efi/snponly.efi",
    };

    /// <summary>The name every embedded script has inside iPXE (make names it after the file).</summary>
    public const string ScriptFileName = "bootstrap.ipxe";

    private readonly Dictionary<string, byte[]> _staticFiles;
    private readonly IReadOnlyDictionary<string, PatchableBinary> _patchable;
    private readonly int _placeholderLength;
    private readonly Channel<string> _freeTrees;
    private readonly string? _cert;
    private readonly string? _trust;
    private readonly long? _sourceDateEpoch;
    private readonly TimeSpan _makeTimeout;
    private readonly string _make;

    private SourceTemplate(string version, string hash, Dictionary<string, byte[]> staticFiles, IReadOnlyList<string> trees,
        IReadOnlyDictionary<string, PatchableBinary> patchable, int placeholderLength,
        string? cert, string? trust, long? sourceDateEpoch, TimeSpan makeTimeout, string make)
    {
        _sourceDateEpoch = sourceDateEpoch;
        _make = make;
        IpxeVersion = version;
        Hash = hash;
        _staticFiles = staticFiles;
        _patchable = patchable;
        _placeholderLength = placeholderLength;
        _cert = cert;
        _trust = trust;
        _makeTimeout = makeTimeout;
        Trees = trees;
        _freeTrees = Channel.CreateUnbounded<string>();
        foreach (var tree in trees)
            _freeTrees.Writer.TryWrite(tree);
    }

    public string Kind => "source";
    public bool EmbedsScripts => true;
    public string IpxeVersion { get; }
    public string Hash { get; }
    public IReadOnlyList<string> Trees { get; }

    /// <summary>For /healthz: how a patched .lkrn is packed again (<see cref="LkrnRepacker.Status"/>), or null without one.</summary>
    public string? LkrnPacking => _patchable.Values.Select(b => b.Repacker?.Status).FirstOrDefault(s => s != null);

    public void Dispose()
    {
        foreach (var binary in _patchable.Values)
            binary.Repacker?.Dispose();
    }

    public bool Has(string name) => _staticFiles.ContainsKey(name) || MakeTargets.ContainsKey(name);

    public async Task<byte[]> FileAsync(string name, string script, BuildTrace trace, CancellationToken cancel)
    {
        if (_staticFiles.TryGetValue(name, out var bytes))
            return bytes;
        if (!MakeTargets.TryGetValue(name, out var target))
            throw new TemplateUnavailableException($"the source template builds no '{name}'");
        if (_patchable.TryGetValue(name, out var binary) && EmbeddedScript.Padded(script, _placeholderLength) is { } padded)
        {
            trace.Patched();
            // Packing a .lkrn is an LZMA compression: off the caller's thread, so an ISO's two binaries overlap.
            return binary.Repacker == null ? binary.With(padded) : await Task.Run(() => binary.With(padded), cancel);
        }
        trace.Made();
        return await MakeAsync(target, script, cancel);
    }

    private async Task<byte[]> MakeAsync(string target, string script, CancellationToken cancel)
    {
        var tree = await _freeTrees.Reader.ReadAsync(cancel);
        // One folder per build, the file always named alike: iPXE names the embedded image after it.
        var scriptFolder = Directory.CreateTempSubdirectory("bootstrap-embed-").FullName;
        var scriptFile = Path.Combine(scriptFolder, ScriptFileName);
        try
        {
            await File.WriteAllTextAsync(scriptFile, script, CancellationToken.None);
            await Cli.Wrap(_make)
                .WithArguments(MakeArguments(Path.Combine(tree, "src"), target, scriptFile, _cert, _trust, _sourceDateEpoch))
                .RunAsync(_makeTimeout, cancel: cancel);
            return await File.ReadAllBytesAsync(Path.Combine(tree, "src", target), CancellationToken.None);
        }
        finally
        {
            Directory.Delete(scriptFolder, recursive: true);
            _freeTrees.Writer.TryWrite(tree);
        }
    }

    /// <summary>
    /// The make invocation for one relink: <c>make -C SRC TARGET EMBED=FILE NO_WERROR=1 [CERT=..] [TRUST=..]
    /// [SOURCE_DATE_EPOCH=..]</c> (the precompile's build time, which iPXE stamps into EFI binaries).
    /// </summary>
    public static IReadOnlyList<string> MakeArguments(string sourceDir, string target, string scriptFile, string? cert, string? trust,
        long? sourceDateEpoch = null)
    {
        var args = new List<string> { "-C", sourceDir, target, $"EMBED={scriptFile}", "NO_WERROR=1" };
        if (cert != null)
            args.Add($"CERT={cert}");
        if (trust != null)
            args.Add($"TRUST={trust}");
        if (sourceDateEpoch != null)
            args.Add($"SOURCE_DATE_EPOCH={sourceDateEpoch}");
        return args;
    }

    internal static SourceTemplate Load(string folder, byte[] manifestBytes)
    {
        var manifest = JsonSerializer.Deserialize<Manifest>(manifestBytes)
                       ?? throw new TemplateUnavailableException($"{folder}/manifest.json is empty: run setup/template.sh --source");
        var trees = manifest.Workers.Select(w => Path.GetFullPath(Path.Combine(folder, w))).ToList();
        if (trees.Count == 0)
            throw new TemplateUnavailableException($"{folder}/manifest.json lists no source trees: run setup/template.sh --source");
        foreach (var tree in trees)
            if (!Directory.Exists(Path.Combine(tree, "src")))
                throw new TemplateUnavailableException($"source tree {tree} is missing: run setup/template.sh --source");
        var (patchable, placeholderLength) = LoadPatchable(folder, manifest);
        return new SourceTemplate(manifest.IpxeVersion, Convert.ToHexStringLower(SHA256.HashData(manifestBytes)),
            BinaryTemplate.VerifiedFiles(folder, manifest.Files), trees, patchable, placeholderLength, manifest.Cert, manifest.Trust, manifest.SourceDateEpoch,
            TimeSpan.FromSeconds(manifest.MakeTimeoutSeconds > 0 ? manifest.MakeTimeoutSeconds : 300),
            string.IsNullOrEmpty(manifest.Make) ? "make" : manifest.Make);
    }

    /// <summary>
    /// The precompiled binaries and the placeholder, each checked against its sha256, and each
    /// binary checked to hold the placeholder at its offset, so a patch never lands on code.
    /// </summary>
    private static (Dictionary<string, PatchableBinary>, int) LoadPatchable(string folder, Manifest manifest)
    {
        var patchable = new Dictionary<string, PatchableBinary>();
        if (manifest.Placeholder == null || manifest.Patchable == null || manifest.PatchFiles == null)
            return (patchable, 0);   // a template from before patching: every build runs make
        var files = BinaryTemplate.VerifiedFiles(folder, manifest.PatchFiles);
        byte[] PatchFile(string path) => files.TryGetValue(path, out var bytes)
            ? bytes
            : throw new TemplateUnavailableException($"{folder}/manifest.json names {path} without its sha256: run setup/template.sh --source");
        var placeholder = PatchFile(manifest.Placeholder);
        foreach (var (name, entry) in manifest.Patchable)
        {
            if (!MakeTargets.ContainsKey(name))
                throw new TemplateUnavailableException($"{folder}/manifest.json: the source template builds no '{name}'");
            var image = PatchFile(entry.Image);
            if (entry.Offset < 0 || entry.Offset + placeholder.Length > image.Length ||
                !image.AsSpan(entry.Offset, placeholder.Length).SequenceEqual(placeholder))
                throw new TemplateUnavailableException($"{entry.Image} holds no placeholder at {entry.Offset}: run setup/template.sh --source");
            var helper = manifest.LzmaResume != null && files.ContainsKey(manifest.LzmaResume) ? Path.Combine(folder, manifest.LzmaResume) : null;
            var repacker = entry.Zinfo == null
                ? null
                : new LkrnRepacker(image, PatchFile(entry.Zinfo), entry.Offset, helper, workers: Environment.ProcessorCount);
            patchable[name] = new PatchableBinary(image, entry.Offset, repacker);
        }
        return (patchable, placeholder.Length);
    }

    /// <summary>A precompiled target with the placeholder at <see cref="Offset"/>; a BIOS one is packed again by its <see cref="Repacker"/>.</summary>
    private sealed record PatchableBinary(byte[] Image, int Offset, LkrnRepacker? Repacker)
    {
        public byte[] With(byte[] script)
        {
            if (Repacker != null)
                return Repacker.Pack(script);
            var image = (byte[])Image.Clone();
            script.CopyTo(image, Offset);
            return image;
        }
    }

    private sealed record PatchEntry(
        [property: JsonPropertyName("image")] string Image,
        [property: JsonPropertyName("offset")] int Offset,
        [property: JsonPropertyName("zinfo")] string? Zinfo);

    private sealed record Manifest(
        [property: JsonPropertyName("ipxe-version")] string IpxeVersion,
        [property: JsonPropertyName("workers")] List<string> Workers,
        [property: JsonPropertyName("cert")] string? Cert,
        [property: JsonPropertyName("trust")] string? Trust,
        [property: JsonPropertyName("make")] string? Make,
        [property: JsonPropertyName("make-timeout-seconds")] int MakeTimeoutSeconds,
        [property: JsonPropertyName("source-date-epoch")] long? SourceDateEpoch,
        [property: JsonPropertyName("files")] Dictionary<string, BinaryTemplate.ManifestFile> Files,
        [property: JsonPropertyName("placeholder")] string? Placeholder,
        [property: JsonPropertyName("patchable")] Dictionary<string, PatchEntry>? Patchable,
        [property: JsonPropertyName("patch-files")] Dictionary<string, BinaryTemplate.ManifestFile>? PatchFiles,
        [property: JsonPropertyName("lzma-resume")] string? LzmaResume);
}
