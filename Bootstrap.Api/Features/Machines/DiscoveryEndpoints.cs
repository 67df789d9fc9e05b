using Bootstrap.Api.Http;
using Bootstrap.Builder.Configuration;
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
        app.MapGet("/discovery", (HttpContext http, BootstrapConfig config, BootScripts scripts) =>
            {
                if (config.DiscoveryImage.Length == 0)
                    return NotConfigured();
                var (baseUrl, problem) = http.PublicBaseUrl(config);
                return problem != null ? PlainText.Error(StatusCodes.Status400BadRequest, problem) : PlainText.Script(scripts.Discovery(baseUrl!));
            })
            .WithSummary("iPXE script booting the discovery OS (when discovery-image is set)").Script();
        app.MapMethods("/discovery/{file}", ["GET", "HEAD"], async (HttpContext http, BootstrapConfig config, string file) =>
            {
                if (config.DiscoveryImage.Length == 0)
                    return NotConfigured();
                if (!ConfigLoader.DiscoveryFiles.Contains(file))
                    return PlainText.Error(StatusCodes.Status404NotFound, $"the discovery OS has only {string.Join(" and ", ConfigLoader.DiscoveryFiles)}");
                var path = Path.Combine(config.DiscoveryImage, file);
                // Its kernel is an EFI executable the firmware verifies: with a site key it is served signed, like /kernel.
                if (config.SiteKey is { } siteKey && file == "vmlinuz" && new FileInfo(path) is { Exists: true } info)
                    return await SignedFiles.ServeAsync(http, siteKey, $"discovery {info.Length} {info.LastWriteTimeUtc.Ticks}",
                        cancel => File.ReadAllBytesAsync(path, cancel), info.LastWriteTimeUtc);
                return Results.File(path, "application/octet-stream", enableRangeProcessing: true);
            })
            .WithSummary("The discovery OS's kernel (signed with the site key when one is configured) and initrd");
    }

    private static IResult NotConfigured() =>
        PlainText.Error(StatusCodes.Status404NotFound, "no discovery OS: set discovery-image in config.json (setup/discovery.sh builds one)");
}
