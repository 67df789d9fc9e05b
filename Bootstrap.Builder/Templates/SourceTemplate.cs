using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Bootstrap.Builder.Processes;
using CliWrap;

namespace Bootstrap.Builder.Templates;

/// <summary>
/// The source template (0-bootstrap's production mode): precompiled iPXE source trees in which
/// each iPXE binary is relinked per script with <c>make TARGET EMBED=script</c>, so the script is
/// compiled into iPXE itself. <c>setup/template.sh --source</c> writes it.
/// </summary>
/// <remarks>
/// Concurrency without copying a tree per request: setup precompiles one tree and copies it into
/// a pool of worker trees (one per concurrent build). A build takes a free tree, relinks in place
/// (only <c>embedded.o</c> and the link step run) and gives the tree back; builds in different trees
/// never share a file. Static boot-loader files (isolinux...) are served as in the binary template.
/// </remarks>
public sealed class SourceTemplate : IIpxeTemplate
{
    /// <summary>Our file names → the make target that produces them.</summary>
    public static readonly IReadOnlyDictionary<string, string> MakeTargets = new Dictionary<string, string>
    {
        ["ipxe.lkrn"] = "bin/ipxe.lkrn",
        ["ipxe-amd64.efi"] = "bin-x86_64-efi/ipxe.efi",
        ["snponly.efi"] = "bin-x86_64-efi/snponly.efi",
    };

    private readonly Dictionary<string, byte[]> _staticFiles;
    private readonly Channel<string> _freeTrees;
    private readonly string? _cert;
    private readonly string? _trust;
    private readonly TimeSpan _makeTimeout;
    private readonly string _make;

    private SourceTemplate(string version, string hash, Dictionary<string, byte[]> staticFiles, IReadOnlyList<string> trees,
        string? cert, string? trust, TimeSpan makeTimeout, string make)
    {
        _make = make;
        IpxeVersion = version;
        Hash = hash;
        _staticFiles = staticFiles;
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

    public bool Has(string name) => _staticFiles.ContainsKey(name) || MakeTargets.ContainsKey(name);

    public async Task<byte[]> FileAsync(string name, string script, CancellationToken cancel)
    {
        if (_staticFiles.TryGetValue(name, out var bytes))
            return bytes;
        if (!MakeTargets.TryGetValue(name, out var target))
            throw new TemplateUnavailableException($"the source template builds no '{name}'");
        var tree = await _freeTrees.Reader.ReadAsync(cancel);
        var scriptFile = Path.Combine(Path.GetTempPath(), $"bootstrap-embed-{Guid.NewGuid():N}.ipxe");
        try
        {
            await File.WriteAllTextAsync(scriptFile, script, CancellationToken.None);
            await Cli.Wrap(_make)
                .WithArguments(MakeArguments(Path.Combine(tree, "src"), target, scriptFile, _cert, _trust))
                .RunAsync(_makeTimeout, cancel: cancel);
            return await File.ReadAllBytesAsync(Path.Combine(tree, "src", target), CancellationToken.None);
        }
        finally
        {
            File.Delete(scriptFile);
            _freeTrees.Writer.TryWrite(tree);
        }
    }

    /// <summary>The make invocation for one relink: <c>make -C SRC TARGET EMBED=FILE NO_WERROR=1 [CERT=..] [TRUST=..]</c>.</summary>
    public static IReadOnlyList<string> MakeArguments(string sourceDir, string target, string scriptFile, string? cert, string? trust)
    {
        var args = new List<string> { "-C", sourceDir, target, $"EMBED={scriptFile}", "NO_WERROR=1" };
        if (cert != null)
            args.Add($"CERT={cert}");
        if (trust != null)
            args.Add($"TRUST={trust}");
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
        return new SourceTemplate(manifest.IpxeVersion, Convert.ToHexStringLower(SHA256.HashData(manifestBytes)),
            BinaryTemplate.VerifiedFiles(folder, manifest.Files), trees, manifest.Cert, manifest.Trust,
            TimeSpan.FromSeconds(manifest.MakeTimeoutSeconds > 0 ? manifest.MakeTimeoutSeconds : 300),
            string.IsNullOrEmpty(manifest.Make) ? "make" : manifest.Make);
    }

    private sealed record Manifest(
        [property: JsonPropertyName("ipxe-version")] string IpxeVersion,
        [property: JsonPropertyName("workers")] List<string> Workers,
        [property: JsonPropertyName("cert")] string? Cert,
        [property: JsonPropertyName("trust")] string? Trust,
        [property: JsonPropertyName("make")] string? Make,
        [property: JsonPropertyName("make-timeout-seconds")] int MakeTimeoutSeconds,
        [property: JsonPropertyName("files")] Dictionary<string, BinaryTemplate.ManifestFile> Files);
}
