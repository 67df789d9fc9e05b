using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Machines;
using static Bootstrap.Api.Pages.PageForms;

namespace Bootstrap.Api.Features.Kernels;

/// <summary>
/// The kernels page (<c>/images</c>, JSON for other clients) and its forms: upload (streamed, see
/// <see cref="StreamedForm"/>), point a network at a kernel, delete.
/// </summary>
public static class KernelPageEndpoints
{
    public static void MapKernelPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/images", async Task<Results<HtmlPage, Ok<IReadOnlyList<KernelInfo>>>> (HttpContext http, KernelStore kernels) =>
                WantsHtml(http) ? await Kernels(http, null, StatusCodes.Status200OK) : TypedResults.Ok(kernels.List()))
            .WithSummary("Kernels, newest first, with the networks that boot each (HTML for browsers, JSON otherwise)")
            .Produces<IReadOnlyList<KernelInfo>>(200, "application/json", "text/html");
        app.MapPost("/kernels/upload", UploadKernel).ExcludeFromDescription();
        app.MapPost("/kernels/runmodes/{runmode}", (HttpContext http, KernelStore kernels, BootstrapConfig config, string runmode) =>
            Post(http, "/images", Kernels, form =>
            {
                var (known, problem) = KernelArchitecture.Parse(form["architecture"].FirstOrDefault() ?? KernelArchitecture.X86_64.Name, "architecture");
                return !config.Runmodes.ContainsKey(runmode)
                    ? Task.FromResult<Result<Done>>(Problem.NotFound($"no network '{LogText.Escape(runmode)}' in config.json"))
                    : known == null
                    ? Task.FromResult<Result<Done>>(Problem.Invalid(problem!))
                    : KernelOperations.PointLinkAsync(kernels, config.Runmodes, known.LinkOf(runmode), form["kernel"].ToString());
            })).ExcludeFromDescription();
        app.MapPost("/kernels/{name}/delete", (HttpContext http, KernelStore kernels, MachineDirectory machines, string name) =>
            Post(http, "/images", Kernels, _ => KernelOperations.DeleteAsync(kernels, machines, name))).ExcludeFromDescription();
    }

    private static async Task<PageAnswer> UploadKernel(HttpContext http, KernelStore kernels, BootstrapConfig config)
    {
        if (!await AdminSession.IsSignedInAsync(http))
            return TypedResults.Redirect("/signin?return=/images");
        var stored = await StreamedForm.ReadAsync(http, config.MaxUploadBytes, (fields, fileName, content) =>
            KernelOperations.StoreAsync(kernels, fields.GetValueOrDefault("name") is { Length: > 0 } given ? given : fileName, content,
                replace: fields.GetValueOrDefault("replace") == "true", http.RequestAborted));
        return await Answer(http, "/images", Kernels, stored);
    }

    private static async Task<HtmlPage> Kernels(HttpContext http, string? error, int status)
    {
        var kernels = http.RequestServices.GetRequiredService<KernelStore>();
        var config = http.RequestServices.GetRequiredService<BootstrapConfig>();
        var antiforgery = await AdminSession.IsSignedInAsync(http) ? AdminSession.FormToken(http) : null;
        return KernelsPage.Render(kernels.List(), config.Runmodes, antiforgery, error, status);
    }
}
