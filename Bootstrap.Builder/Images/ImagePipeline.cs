using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Bootstrap.Builder.Images.Caching;
using Bootstrap.Builder.Observability;
using Bootstrap.Builder.Processes;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Images.Templates;

namespace Bootstrap.Builder.Images;

/// <summary>
/// One image request, validated: the target, the boot request (null for the provisioning script),
/// the base URL the script points at, whether the client already holds an ETag (HTTP's
/// If-None-Match, compared by the caller), and whether the client may start a cold build.
/// </summary>
public sealed record ImageRequest(Target Target, BootRequest? Boot, string BaseUrl, Func<string, bool> ClientHas, Func<bool> MayBuild);

/// <summary>What <see cref="ImagePipeline.GetAsync"/> answers; the HTTP layer maps each to one status code.</summary>
public abstract record ImageOutcome
{
    private ImageOutcome() { }

    /// <summary>
    /// The image, built now or taken from the cache; <see cref="ETag"/> is the quoted content key;
    /// <see cref="Method"/> is how it was built (<see cref="BuildTrace.Method"/>) or <c>cached</c>.
    /// </summary>
    public sealed record Ready(Artifact Artifact, string ETag, string FileName, string Method) : ImageOutcome;

    /// <summary>The client holds these exact bytes already (its If-None-Match names the ETag).</summary>
    public sealed record NotModified(string ETag) : ImageOutcome;

    /// <summary>This template cannot make the target (a binary template and a .lkrn).</summary>
    public sealed record Unsupported(string Reason) : ImageOutcome;

    /// <summary>The build queue is full; the client should come back in a few seconds.</summary>
    public sealed record Busy(string Reason) : ImageOutcome;

    /// <summary>The iPXE template is missing or damaged; the reason names the file or the command to run.</summary>
    public sealed record TemplateUnavailable(string Reason) : ImageOutcome;

    /// <summary>The client may not start a cold build now (its budget said no); cached images are unaffected.</summary>
    public sealed record BuildRefused : ImageOutcome;

    /// <summary>The template's build command failed or timed out; the reason carries its error output.</summary>
    public sealed record BuildFailed(string Reason) : ImageOutcome;
}

/// <summary>
/// The build pipeline behind every image route: render the script, take the current template,
/// derive the content key (also the ETag), then answer from the client's copy, the cache, or one
/// build (one build per key, however many ask).
/// </summary>
public sealed class ImagePipeline(BootScripts scripts, TemplateStore templates, ArtifactCache cache, BootstrapMetrics metrics,
    SiteKey? siteKey = null)
{
    public async Task<ImageOutcome> GetAsync(ImageRequest request, CancellationToken cancel)
    {
        var target = request.Target;
        IIpxeTemplate template;
        try
        {
            template = templates.Get();
        }
        catch (TemplateUnavailableException e)
        {
            return new ImageOutcome.TemplateUnavailable($"images are unavailable: {e.Message}");
        }
        if (target.Packer.Unsupported(template) is { } unsupported)
            return new ImageOutcome.Unsupported($"/{target.Route}: {unsupported}");

        var script = Script(target.Script, request.Boot, request.BaseUrl);
        var grub = target.Packer.CarriesGrubConfig && request.Boot != null ? scripts.Grub(request.Boot, request.BaseUrl) : null;
        var key = Key(template, target.Packer, (grub == null ? script : $"{script}\n{grub}") + (siteKey == null ? "" : $"\nsigned by {siteKey.Fingerprint}"));
        var etag = $"\"{key}\"";
        // The key names the exact bytes, so a client holding them needs no build at all.
        if (request.ClientHas(etag))
            return new ImageOutcome.NotModified(etag);
        if (!cache.Contains(key) && !request.MayBuild())
            return new ImageOutcome.BuildRefused();
        try
        {
            var trace = new BuildTrace();
            var artifact = await cache.GetOrBuildAsync(key, ct => Build(target, template, script, grub, key, trace, ct), cancel);
            // A request that joined another's build has an empty trace: its build was that one's.
            return new ImageOutcome.Ready(artifact, etag, target.FileNameFor(request.Boot?.Network),
                artifact.Built ? trace.Method : "cached");
        }
        catch (BuildQueueFullException e)
        {
            return new ImageOutcome.Busy(e.Message);
        }
        catch (Exception e) when (e is CommandFailedException or CommandTimeoutException)
        {
            return new ImageOutcome.BuildFailed($"building the image failed: {e.Message}");
        }
    }

    private string Script(ScriptKind kind, BootRequest? boot, string baseUrl) => kind switch
    {
        ScriptKind.Boot => scripts.Boot(boot!, baseUrl),
        ScriptKind.Debug => scripts.Debug(boot!, baseUrl),
        _ => scripts.Provision(baseUrl),
    };

    private async Task<byte[]> Build(Target target, IIpxeTemplate template, string script, string? grub, string key, BuildTrace trace,
        CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var bytes = await target.Packer.PackAsync(new PackInput(template, script, Convert.FromHexString(key), grub, siteKey?.Signer, trace), cancel);
        metrics.Builds.Add(1, new("target", target.Route), new("template", template.Kind), new("method", trace.Method));
        metrics.BuildSeconds.Record(clock.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("target", target.Route));
        return bytes;
    }

    /// <summary>Everything the bytes depend on: the template's files, the packer, the script.</summary>
    public static string Key(IIpxeTemplate template, IImagePacker packer, string script) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{template.Hash}\n{packer.Id}\n{script}")));
}
