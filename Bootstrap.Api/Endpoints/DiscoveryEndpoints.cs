using Bootstrap.Api.Http;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Scripts;

namespace Bootstrap.Api.Endpoints;

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
        app.MapMethods("/discovery/{file}", ["GET", "HEAD"], (BootstrapConfig config, string file) =>
                config.DiscoveryImage.Length == 0 ? NotConfigured()
                : ConfigLoader.DiscoveryFiles.Contains(file)
                    ? Results.File(Path.Combine(config.DiscoveryImage, file), "application/octet-stream", enableRangeProcessing: true)
                    : PlainText.Error(StatusCodes.Status404NotFound, $"the discovery OS has only {string.Join(" and ", ConfigLoader.DiscoveryFiles)}"))
            .WithSummary("The discovery OS's kernel and initrd");
    }

    private static IResult NotConfigured() =>
        PlainText.Error(StatusCodes.Status404NotFound, "no discovery OS: set discovery-image in config.json (setup/discovery.sh builds one)");
}
