using Bootstrap.Builder.Boot;

namespace Bootstrap.Api.Features.Machines;

/// <summary>
/// <c>/discovery</c>: the script that boots the discovery OS, and its two files, when
/// <c>discovery-image</c> is set (404 naming the key otherwise). The generic script chains it for
/// machines that are not assigned yet.
/// </summary>
public static class DiscoveryEndpoints
{
    public static void MapDiscovery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/discovery", Results<Text<Status.Ok>, Text<Status.BadRequest>, Text<Status.NotFound>> (HttpContext http, BootstrapConfig config, BootScripts scripts) =>
            {
                if (config.DiscoveryImage.Length == 0)
                    return NotConfigured();
                var (baseUrl, problem) = http.PublicBaseUrl(config);
                return problem != null ? PlainText.BadRequest(problem) : PlainText.Script(scripts.Discovery(baseUrl!));
            })
            .WithSummary("iPXE script booting the discovery OS (when discovery-image is set)");
        app.MapMethods("/discovery/{file}", ["GET", "HEAD"], async Task<Results<FileStreamHttpResult, PhysicalFileHttpResult, Text<Status.NotFound>>> (HttpContext http, BootstrapConfig config, string file) =>
            {
                if (config.DiscoveryImage.Length == 0)
                    return NotConfigured();
                if (!ConfigLoader.DiscoveryFiles.Contains(file))
                    return PlainText.NotFound($"the discovery OS has only {string.Join(" and ", ConfigLoader.DiscoveryFiles)}");
                var path = Path.Combine(config.DiscoveryImage, file);
                // Its kernel is an EFI executable the firmware verifies: with a site key it is served signed, like /kernel.
                if (config.SiteKey is { } siteKey && file == "vmlinuz" && new FileInfo(path) is { Exists: true } info)
                    return await SignedFiles.ServeAsync(http, siteKey, $"discovery {info.Length} {info.LastWriteTimeUtc.Ticks}",
                        cancel => File.ReadAllBytesAsync(path, cancel), info.LastWriteTimeUtc);
                return TypedResults.PhysicalFile(Path.GetFullPath(path), "application/octet-stream", enableRangeProcessing: true);
            })
            .WithSummary("The discovery OS's kernel (signed with the site key when one is configured) and initrd").Files();
    }

    private static Text<Status.NotFound> NotConfigured() =>
        PlainText.NotFound("no discovery OS: set discovery-image in config.json (setup/discovery.sh builds one)");
}
