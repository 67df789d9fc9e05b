using Microsoft.AspNetCore.Http.Metadata;
using Bootstrap.Api.Features.Boot;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Images;
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
                .Files().MayBeUnavailable();
        }
    }

    /// <summary>The services an image request uses, bound as one parameter.</summary>
    public sealed record ImageDependencies(BootstrapConfig Config, KernelStore Kernels, ImagePipeline Images, ClientBudgets Budgets, ILoggerFactory Logs,
        Bootstrap.Builder.Pxe.PxeListeners Pxe);

    private static async Task<Results<FileStreamHttpResult, StatusCodeHttpResult, RequestProblemText, Text<Status.TooMany>, ImageProblemText>> Serve(
        HttpContext http, ImageDependencies d, Target target, string? network, string? farmer, string? args, string? kernel)
    {
        var facts = RequestLog.FactsOf(http);
        facts.Target = target.Route;
        var (request, error) = Bind(http, d, target, network, farmer, args, kernel);
        if (error != null)
            return error;

        PlannedImage image;
        switch (d.Images.Plan(request!))
        {
            case ImagePlan.Planned planned:
                image = planned.Image;
                break;
            case ImagePlan.Unsupported unsupported:
                return new ImageProblemText(StatusCodes.Status501NotImplemented, unsupported.Reason);
            case ImagePlan.TemplateUnavailable unavailable:
                return new ImageProblemText(StatusCodes.Status503ServiceUnavailable, unavailable.Reason);
            case var plan:
                throw new InvalidOperationException($"unknown image plan {plan}");
        }
        // The key names the exact bytes, so a client holding them needs no build at all.
        if (http.Request.GetTypedHeaders().IfNoneMatch.Any(t => t.Compare(EntityTagHeaderValue.Parse(image.ETag), useStrongComparison: false)))
        {
            http.Response.Headers.ETag = image.ETag;
            facts.Cache = "not-modified";
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        if (!image.Cached && d.Budgets.ColdBuild(http) is { } overBudget)
            return overBudget;

        switch (await d.Images.BuildAsync(image, http.RequestAborted))
        {
            case ImageBuild.Ready ready:
                var artifact = ready.Artifact;
                http.Response.Headers["X-Build"] = ready.Method;
                if (ready.Method == "make")
                    d.Logs.CreateLogger("Bootstrap.Build").LogWarning(
                        "/{Route}: the script is longer than the source template's placeholder, so make relinked iPXE", target.Route);
                facts.Cache = artifact.Built ? "miss" : "hit";
                facts.BuildMs = artifact.BuildMilliseconds;
                // The stream holds the image's bytes until the answer is sent.
                return TypedResults.Stream(artifact.OpenRead(), target.MediaType, image.FileName,
                    entityTag: EntityTagHeaderValue.Parse(image.ETag), enableRangeProcessing: true);
            case ImageBuild.Busy busy:
                http.Response.Headers.RetryAfter = "5";
                return new ImageProblemText(StatusCodes.Status503ServiceUnavailable, busy.Reason);
            case ImageBuild.Failed failed:
                d.Logs.CreateLogger("Bootstrap.Build").LogError("build of /{Route} failed: {Error}", target.Route, failed.Reason);
                return new ImageProblemText(StatusCodes.Status500InternalServerError, failed.Reason);
            case var build:
                throw new InvalidOperationException($"unknown image build {build}");
        }
    }

    /// <summary>
    /// The segments as an image request: boot images validate the boot request (static ones boot
    /// the default network with no farm); provisioning images need only the base URL.
    /// </summary>
    private static (ImageRequest? Image, RequestProblemText? Error) Bind(HttpContext http, ImageDependencies d, Target target,
        string? network, string? farmer, string? args, string? kernel)
    {
        if (target.Script == ScriptKind.Provision)
        {
            // UEFI HTTP boot firmware (EDK2's HttpBootDxe) sends Host without the port of the URL
            // the proxy gave it; the script must point where the proxy pointed, not at port 80.
            if (target.Route == TargetTable.HttpBootRoute && d.Pxe.BaseUrl is { } pxeBase)
                return (new ImageRequest(target, null, pxeBase), null);
            var (url, problem) = http.PublicBaseUrl(d.Config);
            return problem != null
                ? (null, new RequestProblemText(StatusCodes.Status400BadRequest, problem))
                : (new ImageRequest(target, null, url!), null);
        }
        var (bound, error) = BootRequestBinding.Bind(http, d.Config, d.Kernels,
            target.Shape == RouteShape.Static ? BootRequestParser.DefaultNetwork(d.Config.Runmodes) : network!, farmer, args, kernel);
        return error != null ? (null, error) : (new ImageRequest(target, bound!.Request, bound.BaseUrl), null);
    }
}

/// <summary>An image the service cannot give now: 501 (this template cannot make the target), 503 (no template, a full build queue), 500 (the build failed).</summary>
public sealed class ImageProblemText(int status, string message) : TextAnswer(status, PlainText.Line(message)), IEndpointMetadataProvider
{
    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) =>
        Produces(builder, StatusCodes.Status501NotImplemented, StatusCodes.Status503ServiceUnavailable, StatusCodes.Status500InternalServerError);
}
