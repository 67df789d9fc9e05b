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
        app.MapMethods("/discovery/{file}", ["GET", "HEAD"], (HttpContext http, BootstrapConfig config, string file) => ServeFile(http, config, file, config.DiscoveryImage))
            .WithSummary("The discovery OS's kernel (signed with the site key when one is configured) and initrd").Files();
        app.MapMethods("/discovery/arm64/{file}", ["GET", "HEAD"], (HttpContext http, BootstrapConfig config, string file) =>
                ServeFile(http, config, file, Path.Combine(config.DiscoveryImage, KernelArchitecture.Arm64.Name)))
            .WithSummary("The discovery OS's ARM64 build (discovery-image/arm64, setup/discovery.sh --arch arm64)").Files();
    }

    private static async Task<Results<FileStreamHttpResult, PhysicalFileHttpResult, Text<Status.NotFound>>> ServeFile(HttpContext http, BootstrapConfig config, string file, string folder)
    {
        if (config.DiscoveryImage.Length == 0)
            return NotConfigured();
        if (!ConfigLoader.DiscoveryFiles.Contains(file))
            return PlainText.NotFound($"the discovery OS has only {string.Join(" and ", ConfigLoader.DiscoveryFiles)}");
        var path = Path.Combine(folder, file);
        if (!File.Exists(path))
            return PlainText.NotFound($"the discovery OS has no {file} in {folder}: build it with setup/discovery.sh" +
                                      (folder == config.DiscoveryImage ? "" : $" {config.DiscoveryImage} --arch {KernelArchitecture.Arm64.Name}"));
        // Its kernel is an EFI executable the firmware verifies: with a site key it is served signed, like /kernel.
        if (config.SiteKey is { } siteKey && file == "vmlinuz" && new FileInfo(path) is { Exists: true } info)
            return await SignedFiles.ServeAsync(http, siteKey, $"discovery {info.Length} {info.LastWriteTimeUtc.Ticks}",
                cancel => File.ReadAllBytesAsync(path, cancel), info.LastWriteTimeUtc);
        return TypedResults.PhysicalFile(Path.GetFullPath(path), "application/octet-stream", enableRangeProcessing: true);
    }

    private static Text<Status.NotFound> NotConfigured() =>
        PlainText.NotFound("no discovery OS: set discovery-image in config.json (setup/discovery.sh builds one)");
}
