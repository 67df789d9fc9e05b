using Bootstrap.Api.Features.Boot;
using Bootstrap.Api.Http;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Images;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Features.Images;

/// <summary>Every image route, made from <see cref="TargetTable"/>: one handler, one row per target.</summary>
public static class ImageEndpoints
{
    public static void MapImages(this IEndpointRouteBuilder app)
    {
        foreach (var target in TargetTable.All)
        {
            // Each shape binds exactly its own path segments, so nothing comes in through the query string.
            RouteHandlerBuilder route = target.Shape switch
            {
                RouteShape.Request => app.MapMethods($"/{target.Route}/{BootRequestBinding.Segments}", ["GET", "HEAD"],
                    (HttpContext http, ImageDependencies d, string network, string? farmer, string? args, string? kernel) =>
                        Serve(http, d, target, network, farmer, args, kernel)),
                RouteShape.NetworkAndFarmer => app.MapMethods($"/{target.Route}/{{network}}/{{farmer}}", ["GET", "HEAD"],
                    (HttpContext http, ImageDependencies d, string network, string farmer) =>
                        Serve(http, d, target, network, farmer, null, null)),
                _ => app.MapMethods($"/{target.Route}", ["GET", "HEAD"],
                    (HttpContext http, ImageDependencies d) => Serve(http, d, target, null, null, null, null)),
            };
            route.WithName("Image-" + target.Route)
                .WithSummary($"{target.FileName}: {target.Script} script, packed by {target.Packer.Id}")
                
                .Image();
        }
    }

    /// <summary>The services an image request uses, bound as one parameter.</summary>
    public sealed record ImageDependencies(BootstrapConfig Config, KernelStore Kernels, ImagePipeline Images, ClientBudgets Budgets, ILoggerFactory Logs);

    private static async Task<Results<FileContentHttpResult, StatusCodeHttpResult, ContentHttpResult>> Serve(
        HttpContext http, ImageDependencies d, Target target, string? network, string? farmer, string? args, string? kernel)
    {
        var facts = RequestLog.FactsOf(http);
        facts.Target = target.Route;
        ContentHttpResult? overBudget = null;
        var (image, error) = Bind(http, d, target, network, farmer, args, kernel,
            mayBuild: () => (overBudget = d.Budgets.ColdBuild(http)) == null);
        if (error != null)
            return error;

        var outcome = await d.Images.GetAsync(image!, http.RequestAborted);
        switch (outcome)
        {
            case ImageOutcome.Ready ready:
                var artifact = ready.Artifact;
                http.Response.Headers["X-Build"] = ready.Method;
                if (ready.Method == "make")
                    d.Logs.CreateLogger("Bootstrap.Build").LogWarning(
                        "/{Route}: the script is longer than the source template's placeholder, so make relinked iPXE", target.Route);
                facts.Cache = artifact.Built ? "miss" : "hit";
                facts.BuildMs = artifact.BuildMilliseconds;
                return TypedResults.File(artifact.Bytes, "application/octet-stream", ready.FileName,
                    entityTag: EntityTagHeaderValue.Parse(ready.ETag), enableRangeProcessing: true);
            case ImageOutcome.NotModified notModified:
                http.Response.Headers.ETag = notModified.ETag;
                facts.Cache = "not-modified";
                return TypedResults.StatusCode(StatusCodes.Status304NotModified);
            case ImageOutcome.Unsupported unsupported:
                return PlainText.Error(StatusCodes.Status501NotImplemented, unsupported.Reason);
            case ImageOutcome.Busy busy:
                http.Response.Headers.RetryAfter = "5";
                return PlainText.Error(StatusCodes.Status503ServiceUnavailable, busy.Reason);
            case ImageOutcome.TemplateUnavailable unavailable:
                return PlainText.Error(StatusCodes.Status503ServiceUnavailable, unavailable.Reason);
            case ImageOutcome.BuildRefused:
                return overBudget!;
            case ImageOutcome.BuildFailed failed:
                d.Logs.CreateLogger("Bootstrap.Build").LogError("build of /{Route} failed: {Error}", target.Route, failed.Reason);
                return PlainText.Error(StatusCodes.Status500InternalServerError, failed.Reason);
            default:
                throw new InvalidOperationException($"unknown image outcome {outcome}");
        }
    }

    /// <summary>
    /// The segments as an image request: boot images validate the boot request (static ones boot
    /// the default network with no farm); provisioning images need only the base URL.
    /// </summary>
    private static (ImageRequest? Image, ContentHttpResult? Error) Bind(HttpContext http, ImageDependencies d, Target target,
        string? network, string? farmer, string? args, string? kernel, Func<bool> mayBuild)
    {
        var clientHas = (string etag) => http.Request.GetTypedHeaders().IfNoneMatch
            .Any(t => t.Compare(EntityTagHeaderValue.Parse(etag), useStrongComparison: false));
        if (target.Script == ScriptKind.Provision)
        {
            var (url, problem) = http.PublicBaseUrl(d.Config);
            return problem != null
                ? (null, PlainText.Error(StatusCodes.Status400BadRequest, problem))
                : (new ImageRequest(target, null, url!, clientHas, mayBuild), null);
        }
        var (bound, error) = BootRequestBinding.Bind(http, d.Config, d.Kernels,
            target.Shape == RouteShape.Static ? BootRequestParser.DefaultNetwork(d.Config.Runmodes) : network!, farmer, args, kernel);
        return error != null ? (null, error) : (new ImageRequest(target, bound!.Request, bound.BaseUrl, clientHas, mayBuild), null);
    }
}
