using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Features.Catalogue;

/// <summary>
/// The image catalogue: descriptions, streamed file uploads and promotion behind the
/// admin token; <c>GET|HEAD /images/{name}/{file}</c> for anyone, with Range and the file's sha256
/// as its ETag (iPXE's sanboot reads ISOs by ranges).
/// </summary>
public static class CatalogueEndpoints
{
    public static void MapCatalogue(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/images").AddEndpointFilter<AdminToken>();
        admin.MapGet("", async (ImageCatalogue images) => TypedResults.Ok(await images.ListAsync())).WithSummary("Images of the catalogue").Admin();
        admin.MapGet("/{name}", async Task<Results<Ok<CatalogueImage>, ProblemText>> (ImageCatalogue images, string name) => await images.GetAsync(name) is { } image
            ? TypedResults.Ok(image) : Problems.NotFound($"no image named '{LogText.Escape(name)}'")).WithSummary("One image").Admin();
        admin.MapPut("/{name}", Describe).WithSummary("Create or replace a staging image's description: type, title, kernel, initrds, iso, rootfs, args, architecture").Admin();
        admin.MapPut("/{name}/{file}", Upload).DisableAntiforgery()
            .WithSummary("Upload one file of a staging image: the raw bytes as the body, streamed (any size up to max-image-bytes)").Admin();
        admin.MapPost("/{name}/promote", async (ImageCatalogue images, string name) => (await CatalogueOperations.PromoteAsync(images, name)).ToOk())
            .WithSummary("Freeze a staging image whose files are all uploaded (golden)").Admin();
        admin.MapDelete("/{name}", async (ImageCatalogue images, string name) => (await CatalogueOperations.DeleteImageAsync(images, name)).ToNoContent()).WithSummary("Delete an image and its files").Admin();

        var menus = app.MapGroup("/api/menus").AddEndpointFilter<AdminToken>();
        menus.MapGet("", async (MenuStore store) => TypedResults.Ok(await store.ListAsync())).WithSummary("Boot menus").Admin();
        menus.MapGet("/{name}", async Task<Results<Ok<Menu>, ProblemText>> (MenuStore store, string name) => await store.GetAsync(name) is { } menu
            ? TypedResults.Ok(menu) : Problems.NotFound($"no menu named '{LogText.Escape(name)}'")).WithSummary("One menu").Admin();
        menus.MapPut("/{name}", PutMenu).WithSummary("Create or replace a menu: title, timeout, default, entries (image, separator, local, network+farmer, chain, shell)").Admin();
        menus.MapDelete("/{name}", async (MenuStore store, AccountStore accounts, string name) => (await CatalogueOperations.DeleteMenuAsync(store, accounts, name)).ToNoContent()).WithSummary("Delete a menu no group offers").Admin();
        app.MapGet("/menu/{name}", PublicMenuScript).WithSummary("A public boot menu as an iPXE script (?token= of a machine assigned it: any menu it is assigned)");

        app.MapMethods("/images/{name}/{file}", ["GET", "HEAD"], Serve)
            .WithSummary("A file of a catalogue image (Range, ETag = sha256)").Files();
    }

    private static async Task<Results<Ok<CatalogueImage>, ProblemText>> Describe(HttpContext http, ImageCatalogue images, TimeProvider clock, string name)
    {
        var (input, bodyProblem) = await JsonBody.ReadAsync<ImageInput>(http, 16 * 1024);
        return bodyProblem != null ? bodyProblem : (await CatalogueOperations.DescribeAsync(images, name, input!, clock.GetUtcNow())).ToOk();
    }

    private static async Task<Results<Created<ImageFile>, ProblemText>> Upload(HttpContext http, ImageCatalogue images, BootstrapConfig config, string name, string file)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = config.MaxImageBytes;
        var stored = await StoreFileAsync(images, config, name, file, http.Request.ContentLength, http.Request.Body, http.RequestAborted);
        return stored.Succeeded ? TypedResults.Created($"/images/{name}/{file}", stored.Value) : stored.Problem.ToText();
    }

    /// <summary>The catalogue's upload, with Kestrel's own body limit (hit mid-stream) said as the same problem the core says.</summary>
    public static async Task<Result<ImageFile>> StoreFileAsync(ImageCatalogue images, BootstrapConfig config, string name, string file, long? declaredLength,
        Stream content, CancellationToken cancel)
    {
        try
        {
            return await CatalogueOperations.StoreFileAsync(images, config, name, file, declaredLength, content, cancel);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problem.TooLarge("the file is larger than max-image-bytes");
        }
    }

    private static async Task<Results<Ok<Menu>, ProblemText>> PutMenu(HttpContext http, MenuStore store, ImageCatalogue images, BootstrapConfig config, TimeProvider clock, string name)
    {
        var (input, bodyProblem) = await JsonBody.ReadAsync<MenuInput>(http, 64 * 1024);
        return bodyProblem != null ? bodyProblem : (await CatalogueOperations.SaveMenuAsync(store, images, config, name, input!, clock.GetUtcNow())).ToOk();
    }

    private static Task<Results<Text<Status.Ok>, ProblemText>> PublicMenuScript(HttpContext http, MenuStore store, ImageCatalogue images, MachineDirectory machines,
        BootstrapConfig config, string name, string? token)
    {
        var assigned = token is { Length: > 0 } && machines.FindByToken(token)?.Assignment?.Menu == name;
        return ScriptAnswer(http, config, baseUrl => CatalogueOperations.MenuScriptForAsync(store, images, config, name, baseUrl, assigned));
    }

    /// <summary>A stored menu as its iPXE script, whoever may see it: what a signed-in group member is given.</summary>
    public static Task<Results<Text<Status.Ok>, ProblemText>> MenuScriptOf(HttpContext http, MenuStore store, ImageCatalogue images, BootstrapConfig config, string name) =>
        ScriptAnswer(http, config, baseUrl => CatalogueOperations.MenuScriptAsync(store, images, config, name, baseUrl));

    /// <summary>A menu script for the request's public base URL, or the problem with the URL or the menu.</summary>
    private static async Task<Results<Text<Status.Ok>, ProblemText>> ScriptAnswer(HttpContext http, BootstrapConfig config, Func<string, Task<Result<string>>> script)
    {
        var (baseUrl, problem) = http.PublicBaseUrl(config);
        if (problem != null)
            return Problems.Invalid(problem);
        var made = await script(baseUrl!);
        return made.Succeeded ? PlainText.Script(made.Value) : made.Problem.ToText();
    }

    /// <summary>
    /// A file of an image; a staging image's files only to the admin (token or signed-in page)
    /// until it is promoted: an image under test may hold what is not meant for everyone yet.
    /// </summary>
    private static async Task<Results<PhysicalFileHttpResult, FileStreamHttpResult, Text<Status.Forbidden>, ProblemText>> Serve(HttpContext http, ImageCatalogue images,
        BootstrapConfig config, string name, string file)
    {
        if (await images.FindFileAsync(name, file, http.RequestAborted) is not var (path, stored, golden))
            return Problems.NotFound($"image '{LogText.Escape(name)}' has no file '{LogText.Escape(file)}'");
        if (!golden && !AdminToken.IsPresentedBy(http, config) && !await AdminSession.IsSignedInAsync(http))
            return PlainText.Forbidden($"image '{name}' is staging: its files are served to the admin only until it is promoted");
        // An image's kernel is an EFI executable the firmware verifies: with a site key it is served signed, like /kernel.
        if (config.SiteKey is { } siteKey && (await images.GetAsync(name))?.Kernel == file)
            return await SignedFiles.ServeAsync(http, siteKey, $"image file {stored.Sha256}", cancel => File.ReadAllBytesAsync(path, cancel), stored.Updated);
        return TypedResults.PhysicalFile(path, "application/octet-stream", fileDownloadName: null, stored.Updated,
            new EntityTagHeaderValue($"\"{stored.Sha256}\""), enableRangeProcessing: true);
    }
}
