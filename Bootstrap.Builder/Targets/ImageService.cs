using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Bootstrap.Builder.Caching;
using Bootstrap.Builder.Observability;
using Bootstrap.Builder.Requests;
using Bootstrap.Builder.Scripts;
using Bootstrap.Builder.Templates;

namespace Bootstrap.Builder.Targets;

/// <summary>An image ready to build: its script, template and cache key (the key is also its ETag).</summary>
public sealed record PreparedImage(Target Target, string Script, IIpxeTemplate Template, string Key);

/// <summary>
/// The build pipeline behind every image route: render the script, pick the template, derive the
/// content key, then build through the cache (one build per key, however many ask).
/// </summary>
public sealed class ImageService(BootScripts scripts, TemplateStore templates, ArtifactCache cache, BootstrapMetrics metrics)
{
    public ArtifactCache Cache => cache;

    /// <summary>Throws <see cref="TemplateUnavailableException"/> when the template cannot be used.</summary>
    public PreparedImage Prepare(Target target, BootRequest? request, string baseUrl)
    {
        var script = target.Script switch
        {
            ScriptKind.Boot => scripts.Boot(request!, baseUrl),
            ScriptKind.Debug => scripts.Debug(request!, baseUrl),
            _ => scripts.Provision(baseUrl),
        };
        var template = templates.Get();
        return new PreparedImage(target, script, template, Key(template, target.Packer, script));
    }

    public Task<Artifact> BuildAsync(PreparedImage image, CancellationToken cancel) =>
        cache.GetOrBuildAsync(image.Key, async ct =>
        {
            var clock = Stopwatch.StartNew();
            var bytes = await image.Target.Packer.PackAsync(new PackInput(image.Template, image.Script, Convert.FromHexString(image.Key)), ct);
            metrics.Builds.Add(1, new("target", image.Target.Route), new("template", image.Template.Kind));
            metrics.BuildSeconds.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("target", image.Target.Route));
            return bytes;
        }, cancel);

    /// <summary>Everything the bytes depend on: the template's files, the packer, the script.</summary>
    public static string Key(IIpxeTemplate template, IImagePacker packer, string script) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{template.Hash}\n{packer.Id}\n{script}")));
}
