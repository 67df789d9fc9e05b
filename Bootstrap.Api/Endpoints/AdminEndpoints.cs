using Bootstrap.Api.Http;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Kernels;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Endpoints;

/// <summary>
/// <c>POST /api/kernel</c> (multipart field <c>kernel</c>) and <c>/api/symlink/{link}/{target}</c>,
/// behind the bearer token.
/// </summary>
public static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").AddEndpointFilter<AdminToken>();
        api.MapPost("/kernel", UploadKernel).DisableAntiforgery()
            .WithSummary("Upload a kernel (multipart field 'kernel'; ?name= overrides the file name)")
            .Accepts<IFormFile>("multipart/form-data")
            .Produces<StoredKernel>(StatusCodes.Status201Created, "application/json")
            .Produces<string>(StatusCodes.Status413PayloadTooLarge, "text/plain").Admin();
        // GET is kept because 0-bootstrap's operators switch links with a plain curl.
        api.MapMethods("/symlink/{link}/{target}", ["POST", "GET"], SwitchLink)
            .WithSummary("Point runmode link kernels/net/{link} at kernel {target}, atomically")
            .Produces<string>(StatusCodes.Status200OK, "text/plain").Admin();
        api.MapDelete("/kernel/{name}", async (KernelStore kernels, MachineDirectory machines, ILoggerFactory logs, string name) =>
                (await DeleteKernelAsync(kernels, machines, logs, name)).ToResult())
            .WithSummary("Delete a kernel that no runmode, machine or profile boots").Admin();
    }

    /// <summary>Deletes a kernel nothing boots: no runmode link, machine assignment or profile names it. Also the kernels page's action.</summary>
    public static async Task<Outcome> DeleteKernelAsync(KernelStore kernels, MachineDirectory machines, ILoggerFactory logs, string name)
    {
        var users = machines.List().Where(m => m.Assignment?.Kernel == name).Select(m => $"machine {m.Mac}")
            .Concat(machines.Profiles.Where(p => p.Kernel == name).Select(p => $"profile {p.Name}")).ToList();
        if (users.Count > 0)
            return Outcome.Refused(StatusCodes.Status409Conflict, $"kernel '{name}' is named by {string.Join(", ", users.Take(5))}{(users.Count > 5 ? " and more" : "")}: change them first");
        try
        {
            await kernels.DeleteAsync(name);
        }
        catch (ArgumentException e)
        {
            return Outcome.Refused(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (FileNotFoundException e)
        {
            return Outcome.Refused(StatusCodes.Status404NotFound, e.Message);
        }
        catch (InvalidOperationException e)
        {
            return Outcome.Refused(StatusCodes.Status409Conflict, e.Message);
        }
        logs.CreateLogger("Bootstrap.Admin").LogInformation("kernel {Name} deleted", name);
        return Outcome.Done($"deleted kernel {name}");
    }

    /// <summary>Streams the part named <c>kernel</c> straight to the kernel store (no buffering of the whole file).</summary>
    private static async Task<IResult> UploadKernel(HttpContext http, KernelStore kernels, BootstrapConfig config, ILoggerFactory logs)
    {
        var tooLarge = $"the upload is larger than max-upload-bytes ({config.MaxUploadBytes} bytes)";
        if (http.Request.ContentLength > config.MaxUploadBytes)
            return PlainText.Error(StatusCodes.Status413PayloadTooLarge, tooLarge);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = config.MaxUploadBytes;
        try
        {
            return await ReadUpload(http, kernels, logs);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return PlainText.Error(StatusCodes.Status413PayloadTooLarge, tooLarge);
        }
    }

    private static async Task<IResult> ReadUpload(HttpContext http, KernelStore kernels, ILoggerFactory logs)
    {
        var boundary = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Boundary).Value : null;
        if (string.IsNullOrEmpty(boundary) || !type!.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return PlainText.Error(StatusCodes.Status400BadRequest, "send the kernel as multipart/form-data in a field named 'kernel' (curl -F kernel=@FILE)");
        var reader = new MultipartReader(boundary, http.Request.Body);
        for (var section = await reader.ReadNextSectionAsync(http.RequestAborted); section != null;
             section = await reader.ReadNextSectionAsync(http.RequestAborted))
        {
            var disposition = section.GetContentDispositionHeader();
            if (disposition == null || !disposition.IsFileDisposition() || disposition.Name.Value != "kernel")
                continue;
            var name = http.Request.Query["name"].FirstOrDefault() ?? disposition.FileName.Value ?? disposition.FileNameStar.Value ?? "";
            var stored = await StoreKernelAsync(kernels, logs, name, section.Body, http.RequestAborted);
            return stored.Succeeded ? TypedResults.Created($"/kernel/{name}", stored.Value) : stored.ToResult();
        }
        return PlainText.Error(StatusCodes.Status400BadRequest, "no file field named 'kernel' in the form (curl -F kernel=@FILE)");
    }

    /// <summary>What an upload answers: the stored name and its size in bytes.</summary>
    public sealed record StoredKernel(string Name, long Size);

    /// <summary>Stores a kernel from a stream (the API's upload, the kernels page's and the CLI's); a bad name is refused before a byte is read.</summary>
    public static async Task<Outcome> StoreKernelAsync(KernelStore kernels, ILoggerFactory logs, string name, Stream content, CancellationToken cancel)
    {
        long size;
        try
        {
            size = await kernels.StoreAsync(name, content, cancel);
        }
        catch (ArgumentException e)
        {
            return Outcome.Refused(StatusCodes.Status400BadRequest, e.Message);
        }
        logs.CreateLogger("Bootstrap.Admin").LogInformation("kernel {Name} stored ({Size} bytes)", name, size);
        return new Outcome(StatusCodes.Status201Created, $"stored kernel {name} ({size} bytes)", new StoredKernel(name, size));
    }

    private static async Task<IResult> SwitchLink(KernelStore kernels, ILoggerFactory logs, string link, string target)
    {
        var linked = await PointLinkAsync(kernels, logs, link, target);
        return linked.Succeeded ? PlainText.Ok(linked.Message) : linked.ToResult();
    }

    /// <summary>Points runmode link <paramref name="link"/> at kernel <paramref name="target"/>. Also the kernels page's action.</summary>
    public static async Task<Outcome> PointLinkAsync(KernelStore kernels, ILoggerFactory logs, string link, string target)
    {
        try
        {
            await kernels.LinkAsync(link, target);
        }
        catch (ArgumentException e)
        {
            return Outcome.Refused(StatusCodes.Status400BadRequest, e.Message);
        }
        catch (FileNotFoundException e)
        {
            return Outcome.Refused(StatusCodes.Status404NotFound, e.Message);
        }
        logs.CreateLogger("Bootstrap.Admin").LogInformation("runmode link {Link} now points at {Target}", link, target);
        return new Outcome(StatusCodes.Status200OK, $"net/{link} -> {target}");
    }
}
