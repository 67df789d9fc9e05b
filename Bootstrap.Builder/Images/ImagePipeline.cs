using Bootstrap.Builder.Configuration;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Bootstrap.Builder.Images.Caching;
using Bootstrap.Builder.Observability;
using Bootstrap.Builder.Processes;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Images.Templates;

namespace Bootstrap.Builder.Images;

/// <summary>One image request, validated: the target, the boot request (null for the provisioning script), and the base URL the script points at.</summary>
public sealed record ImageRequest(Target Target, BootRequest? Boot, string BaseUrl);

/// <summary>
/// What a request would produce, known before anything is built: the content key (quoted, the
/// ETag) and whether the cache holds it, so the caller can answer "not modified" or refuse a cold
/// build by its own rules before <see cref="ImagePipeline.BuildAsync"/>.
/// </summary>
public sealed class PlannedImage
{
    internal PlannedImage(Target target, IIpxeTemplate template, string script, string? grub, string key, bool cached, string fileName)
    {
        (Target, Template, Script, Grub, Key, Cached, FileName) = (target, template, script, grub, key, cached, fileName);
    }

    public string ETag => $"\"{Key}\"";
    /// <summary>Whether the cache held these bytes when planned (a build then costs nothing).</summary>
    public bool Cached { get; }
    public string FileName { get; }
    internal Target Target { get; }
    internal IIpxeTemplate Template { get; }
    internal string Script { get; }
    internal string? Grub { get; }
    internal string Key { get; }
}

/// <summary>What <see cref="ImagePipeline.Plan"/> answers.</summary>
public abstract record ImagePlan
{
    private ImagePlan() { }

    public sealed record Planned(PlannedImage Image) : ImagePlan;

    /// <summary>This template cannot make the target (a binary template and a .lkrn).</summary>
    public sealed record Unsupported(string Reason) : ImagePlan;

    /// <summary>The iPXE template is missing or damaged; the reason names the file or the command to run.</summary>
    public sealed record TemplateUnavailable(string Reason) : ImagePlan;
}

/// <summary>What <see cref="ImagePipeline.BuildAsync"/> answers; a front maps each to its own answer.</summary>
public abstract record ImageBuild
{
    private ImageBuild() { }

    /// <summary>
    /// The image, built now or taken from the cache; <see cref="Method"/> is how it was built
    /// (<see cref="BuildTrace.Method"/>) or <c>cached</c>.
    /// </summary>
    public sealed record Ready(Artifact Artifact, string Method) : ImageBuild;

    /// <summary>The build queue is full; the client should come back in a few seconds.</summary>
    public sealed record Busy(string Reason) : ImageBuild;

    /// <summary>The template's build command failed or timed out; the reason carries its error output.</summary>
    public sealed record Failed(string Reason) : ImageBuild;
}

/// <summary>
/// The build pipeline behind every image route, in two steps: <see cref="Plan"/> renders the
/// script, takes the current template and derives the content key (also the ETag);
/// <see cref="BuildAsync"/> answers from the cache or builds once (one build per key, however
/// many ask).
/// </summary>
public sealed class ImagePipeline(BootScripts scripts, TemplateStore templates, ArtifactCache cache, BootstrapMetrics metrics,
    SiteKey? siteKey = null)
{
    public ImagePlan Plan(ImageRequest request)
    {
        var target = request.Target;
        IIpxeTemplate template;
        try
        {
            template = templates.Get();
        }
        catch (TemplateUnavailableException e)
        {
            return new ImagePlan.TemplateUnavailable($"images are unavailable: {e.Message}");
        }
        if (target.Packer.Unsupported(template) is { } unsupported)
            return new ImagePlan.Unsupported($"/{target.Route}: {unsupported}");

        var script = Script(target.Script, request.Boot, request.BaseUrl);
        var grub = target.Packer.CarriesGrubConfig && request.Boot != null ? scripts.Grub(request.Boot, request.BaseUrl) : null;
        var key = Key(template, target.Packer, (grub == null ? script : $"{script}\n{grub}") + (siteKey == null ? "" : $"\nsigned by {siteKey.Fingerprint}"));
        return new ImagePlan.Planned(new PlannedImage(target, template, script, grub, key, cache.Contains(key), target.FileNameFor(request.Boot?.Network)));
    }

    public async Task<ImageBuild> BuildAsync(PlannedImage image, CancellationToken cancel)
    {
        try
        {
            var trace = new BuildTrace();
            var artifact = await cache.GetOrBuildAsync(image.Key, ct => Build(image.Target, image.Template, image.Script, image.Grub, image.Key, trace, ct), cancel);
            // A request that joined another's build has an empty trace: its build was that one's.
            return new ImageBuild.Ready(artifact, artifact.Built ? trace.Method : "cached");
        }
        catch (BuildQueueFullException e)
        {
            return new ImageBuild.Busy(e.Message);
        }
        catch (Exception e) when (e is CommandFailedException or CommandTimeoutException)
        {
            return new ImageBuild.Failed($"building the image failed: {e.Message}");
        }
    }

    private string Script(ScriptKind kind, BootRequest? boot, string baseUrl) => kind switch
    {
        ScriptKind.Boot => scripts.Boot(boot!, baseUrl),
        ScriptKind.Debug => scripts.Debug(boot!, baseUrl),
        _ => scripts.Provision(baseUrl),
    };

    private async Task<PackedImage> Build(Target target, IIpxeTemplate template, string script, string? grub, string key, BuildTrace trace,
        CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var packed = await target.Packer.PackAsync(new PackInput(template, script, Convert.FromHexString(key), grub, siteKey?.Signer, trace), cancel);
        // A build ends when the cache has written the image.
        return new PackedImage(packed.Length, output =>
        {
            packed.WriteTo(output);
            metrics.Builds.Add(1, new("target", target.Route), new("template", template.Kind), new("method", trace.Method));
            metrics.BuildSeconds.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("target", target.Route));
        });
    }

    /// <summary>Everything the bytes depend on: the template's files, the packer, the script.</summary>
    public static string Key(IIpxeTemplate template, IImagePacker packer, string script) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{template.Hash}\n{packer.Id}\n{script}")));
}
