using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Kernels;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Features.Kernels;

/// <summary>
/// <c>POST /api/kernel</c> (multipart field <c>kernel</c>) and <c>/api/symlink/{link}/{target}</c>,
/// behind the bearer token.
/// </summary>
public static class KernelAdminEndpoints
{
    public static void MapKernelAdmin(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").AddEndpointFilter<AdminToken>();
        api.MapPost("/kernel", UploadKernel).DisableAntiforgery()
            .WithSummary("Upload a kernel (multipart field 'kernel'; ?name= overrides the file name; ?replace=true to replace the kernel a network boots)")
            .Accepts<IFormFile>("multipart/form-data").Admin();
        // GET is kept because 0-bootstrap's operators switch links with a plain curl.
        api.MapMethods("/symlink/{link}/{target}", ["POST", "GET"], SwitchLink)
            .WithSummary("Point runmode link kernels/net/{link} (what x86-64 machines boot) at kernel {target}, atomically").Admin();
        api.MapMethods("/symlink/{architecture}/{link}/{target}", ["POST", "GET"], SwitchArchitectureLink)
            .WithSummary("Point the runmode link of {architecture} (x86_64, arm64) at kernel {target}, atomically: kernels/net/arm64/{link}").Admin();
        api.MapDelete("/kernel/{name}", async (KernelStore kernels, MachineDirectory machines, ILoggerFactory logs, string name) =>
                Logged(logs, await KernelOperations.DeleteAsync(kernels, machines, name)).ToNoContent())
            .WithSummary("Delete a kernel that no runmode, machine or profile boots").Admin();
    }

    /// <summary>Streams the part named <c>kernel</c> straight to the kernel store (no buffering of the whole file).</summary>
    private static async Task<Results<Created<StoredKernel>, ProblemText>> UploadKernel(HttpContext http, KernelStore kernels, BootstrapConfig config, ILoggerFactory logs)
    {
        var tooLarge = $"the upload is larger than max-upload-bytes ({config.MaxUploadBytes} bytes)";
        if (http.Request.ContentLength > config.MaxUploadBytes)
            return Problems.TooLarge(tooLarge);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = config.MaxUploadBytes;
        try
        {
            return await ReadUpload(http, kernels, logs);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.TooLarge(tooLarge);
        }
    }

    private static async Task<Results<Created<StoredKernel>, ProblemText>> ReadUpload(HttpContext http, KernelStore kernels, ILoggerFactory logs)
    {
        var boundary = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Boundary).Value : null;
        if (string.IsNullOrEmpty(boundary) || !type!.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return Problems.Invalid("send the kernel as multipart/form-data in a field named 'kernel' (curl -F kernel=@FILE)");
        var reader = new MultipartReader(boundary, http.Request.Body);
        for (var section = await reader.ReadNextSectionAsync(http.RequestAborted); section != null;
             section = await reader.ReadNextSectionAsync(http.RequestAborted))
        {
            var disposition = section.GetContentDispositionHeader();
            if (disposition == null || !disposition.IsFileDisposition() || disposition.Name.Value != "kernel")
                continue;
            var name = http.Request.Query["name"].FirstOrDefault() ?? disposition.FileName.Value ?? disposition.FileNameStar.Value ?? "";
            var replace = http.Request.Query["replace"].FirstOrDefault() == "true";
            var stored = Logged(logs, await KernelOperations.StoreAsync(kernels, name, section.Body, replace, http.RequestAborted));
            return stored.Succeeded ? TypedResults.Created($"/kernel/{name}", stored.Value) : stored.Problem.ToText();
        }
        return Problems.Invalid("no file field named 'kernel' in the form (curl -F kernel=@FILE)");
    }

    private static async Task<Results<Text<Status.Ok>, ProblemText>> SwitchLink(KernelStore kernels, BootstrapConfig config, ILoggerFactory logs, string link, string target)
    {
        var linked = Logged(logs, await KernelOperations.PointLinkAsync(kernels, config.Runmodes, link, target));
        return linked.Succeeded ? PlainText.Ok(linked.Message) : linked.Problem.ToText();
    }

    private static async Task<Results<Text<Status.Ok>, ProblemText>> SwitchArchitectureLink(KernelStore kernels, BootstrapConfig config, ILoggerFactory logs,
        string architecture, string link, string target)
    {
        var (known, problem) = KernelArchitecture.Parse(architecture, "architecture");
        return known != null ? await SwitchLink(kernels, config, logs, known.LinkFolder + link, target) : Problems.Invalid(problem!);
    }

    /// <summary>An admin change in the service's log, as the kernels page logs its own.</summary>
    private static Result<T> Logged<T>(ILoggerFactory logs, Result<T> result)
    {
        if (result.Succeeded)
            logs.CreateLogger("Bootstrap.Admin").LogInformation("{Action}", result.Message);
        return result;
    }
}
