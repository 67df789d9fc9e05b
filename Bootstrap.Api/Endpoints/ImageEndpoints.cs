using Bootstrap.Api.Http;
using Bootstrap.Builder.Caching;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Storage.Kernels;
using Bootstrap.Builder.Processes;
using Bootstrap.Builder.Requests;
using Bootstrap.Builder.Targets;
using Bootstrap.Builder.Templates;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Endpoints;

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
                .AddEndpointFilter<Unavailable>()
                .Image();
        }
    }

    /// <summary>The services an image request uses, bound as one parameter.</summary>
    public sealed record ImageDependencies(BootstrapConfig Config, KernelStore Kernels, ImageService Images, ClientBudgets Budgets, ILoggerFactory Logs);

    private static async Task<IResult> Serve(HttpContext http, ImageDependencies d, Target target,
        string? network, string? farmer, string? args, string? kernel)
    {
        var (config, kernels, images, budgets, logs) = (d.Config, d.Kernels, d.Images, d.Budgets, d.Logs);
        http.Items[RequestLog.Target] = target.Route;

        BootRequest? request = null;
        string baseUrl;
        if (target.Script == ScriptKind.Provision)
        {
            var (url, problem) = http.PublicBaseUrl(config);
            if (problem != null)
                return PlainText.Error(StatusCodes.Status400BadRequest, problem);
            baseUrl = url!;
        }
        else
        {
            // Static boot images (the -provision ones) boot the default network, the first in config, with no farm.
            var (bound, error) = BootRequestBinding.Bind(http, config, kernels,
                target.Shape == RouteShape.Static ? config.Runmodes.Keys.First() : network!, farmer, args, kernel);
            if (error != null)
                return error;
            (request, baseUrl) = (bound!.Request, bound.BaseUrl);
        }

        PreparedImage image;
        try
        {
            image = images.Prepare(target, request, baseUrl);
        }
        catch (TemplateUnavailableException e)
        {
            return PlainText.Error(StatusCodes.Status503ServiceUnavailable, $"images are unavailable: {e.Message}");
        }
        if (target.Packer.Unsupported(image.Template) is { } unsupported)
            return PlainText.Error(StatusCodes.Status501NotImplemented, $"/{target.Route}: {unsupported}");

        // The key names the exact bytes, so a client holding them needs no build at all.
        var etag = new EntityTagHeaderValue($"\"{image.Key}\"");
        if (http.Request.GetTypedHeaders().IfNoneMatch.Any(t => t.Compare(etag, useStrongComparison: false)))
        {
            http.Response.Headers.ETag = etag.ToString();
            http.Items[RequestLog.Cache] = "not-modified";
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        if (!images.Cache.Contains(image.Key) && budgets.ColdBuild(http) is { } tooMany)
            return tooMany;
        Artifact artifact;
        try
        {
            artifact = await images.BuildAsync(image, http.RequestAborted);
        }
        catch (BuildQueueFullException e)
        {
            http.Response.Headers.RetryAfter = "5";
            return PlainText.Error(StatusCodes.Status503ServiceUnavailable, e.Message);
        }
        catch (Exception e) when (e is CommandFailedException or CommandTimeoutException)
        {
            logs.CreateLogger("Bootstrap.Build").LogError("build of /{Route} failed: {Error}", target.Route, e.Message);
            return PlainText.Error(StatusCodes.Status500InternalServerError, $"building the image failed: {e.Message}");
        }
        http.Response.Headers["X-Build"] = artifact.Built ? "built" : "cached";
        http.Items[RequestLog.Cache] = artifact.Built ? "miss" : "hit";
        if (artifact.BuildMilliseconds is { } ms)
            http.Items[RequestLog.BuildMs] = ms;
        return TypedResults.File(artifact.Bytes, "application/octet-stream", target.FileNameFor(request?.Network),
            entityTag: etag, enableRangeProcessing: true);
    }
}
