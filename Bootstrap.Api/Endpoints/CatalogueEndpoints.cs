using Bootstrap.Api.Http;
using Bootstrap.Builder.Catalogue;
using Bootstrap.Builder.Configuration;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Endpoints;

/// <summary>
/// The image catalogue (DESIGN.md): descriptions, streamed file uploads and promotion behind the
/// admin token; <c>GET|HEAD /images/{name}/{file}</c> for anyone, with Range and the file's sha256
/// as its ETag (iPXE's sanboot reads ISOs by ranges).
/// </summary>
public static class CatalogueEndpoints
{
    public static void MapCatalogue(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/images").AddEndpointFilter<AdminToken>();
        admin.MapGet("", async (ImageCatalogue images) => TypedResults.Ok(await images.ListAsync())).WithSummary("Images of the catalogue").Admin();
        admin.MapGet("/{name}", async (ImageCatalogue images, string name) => await images.GetAsync(name) is { } image
            ? Results.Ok(image) : PlainText.Error(StatusCodes.Status404NotFound, $"no image named '{LogText.Escape(name)}'")).WithSummary("One image").Admin();
        admin.MapPut("/{name}", Describe).WithSummary("Create or replace a staging image's description: type, title, kernel, initrds, iso, rootfs, args").Admin();
        admin.MapPut("/{name}/{file}", Upload).DisableAntiforgery()
            .WithSummary("Upload one file of a staging image: the raw bytes as the body, streamed (any size up to max-image-bytes)").Admin();
        admin.MapPost("/{name}/promote", async (ImageCatalogue images, string name) => await Guarded(async () => Results.Ok(await images.PromoteAsync(name))))
            .WithSummary("Freeze a staging image whose files are all uploaded (golden)").Admin();
        admin.MapDelete("/{name}", async (ImageCatalogue images, string name) => await images.DeleteAsync(name)
            ? Results.NoContent() : PlainText.Error(StatusCodes.Status404NotFound, $"no image named '{LogText.Escape(name)}'")).WithSummary("Delete an image and its files").Admin();

        app.MapMethods("/images/{name}/{file}", ["GET", "HEAD"], Serve)
            .WithSummary("A file of a catalogue image (Range, ETag = sha256)")
            .Produces(StatusCodes.Status200OK, typeof(byte[]), "application/octet-stream")
            .Produces(StatusCodes.Status206PartialContent, typeof(byte[]), "application/octet-stream");
    }

    private static async Task<IResult> Describe(HttpContext http, ImageCatalogue images, string name)
    {
        var (input, bodyProblem) = await JsonBody.ReadAsync<ImageInput>(http, 16 * 1024);
        if (bodyProblem != null)
            return bodyProblem;
        var (image, problem) = ImageRules.Check(name, input!, DateTimeOffset.UtcNow);
        if (problem != null)
            return PlainText.Error(StatusCodes.Status400BadRequest, problem);
        return await Guarded(async () => Results.Ok(await images.SaveAsync(image!)));
    }

    private static async Task<IResult> Upload(HttpContext http, ImageCatalogue images, BootstrapConfig config, string name, string file)
    {
        if (http.Request.ContentLength > config.MaxImageBytes)
            return PlainText.Error(StatusCodes.Status413PayloadTooLarge, $"the file is larger than max-image-bytes ({config.MaxImageBytes} bytes)");
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = config.MaxImageBytes;
        return await Guarded(async () =>
        {
            var stored = await images.StoreFileAsync(name, file, http.Request.Body, config.MaxImageBytes, http.RequestAborted);
            return Results.Created($"/images/{name}/{file}", stored);
        });
    }

    private static async Task<IResult> Serve(HttpContext http, ImageCatalogue images, string name, string file)
    {
        if (await images.FindFileAsync(name, file) is not var (path, stored))
            return PlainText.Error(StatusCodes.Status404NotFound, $"image '{LogText.Escape(name)}' has no file '{LogText.Escape(file)}'");
        return TypedResults.PhysicalFile(path, "application/octet-stream", fileDownloadName: null, stored.Updated,
            new EntityTagHeaderValue($"\"{stored.Sha256}\""), enableRangeProcessing: true);
    }

    /// <summary>Maps the catalogue's refusals to their status codes.</summary>
    private static async Task<IResult> Guarded(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (CatalogueException e)
        {
            return PlainText.Error(e.Problem switch
            {
                CatalogueException.Kind.NotFound => StatusCodes.Status404NotFound,
                CatalogueException.Kind.Frozen => StatusCodes.Status409Conflict,
                CatalogueException.Kind.TooLarge => StatusCodes.Status413PayloadTooLarge,
                _ => StatusCodes.Status400BadRequest,
            }, e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return PlainText.Error(StatusCodes.Status413PayloadTooLarge, "the file is larger than max-image-bytes");
        }
    }
}
