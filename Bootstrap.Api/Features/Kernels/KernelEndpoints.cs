using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Kernels;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Features.Kernels;

/// <summary><c>/kernel/{name}</c>, <c>/kernel/net/{name}</c> (Range, ETag, Last-Modified) and the kernel list.</summary>
public static class KernelEndpoints
{
    public static void MapKernels(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/kernel/{name}", ["GET", "HEAD"], (HttpContext http, KernelStore kernels, MachineDirectory machines, string name) => Serve(http, kernels, machines, name))
            .WithSummary("A kernel file (Range, ETag, Last-Modified; signed with the site key when one is configured)").KernelFile();
        app.MapMethods("/kernel/net/{name}", ["GET", "HEAD"], (HttpContext http, KernelStore kernels, MachineDirectory machines, string name) => Serve(http, kernels, machines, "net/" + name))
            .WithSummary("The kernel a runmode link points at (Range, ETag, Last-Modified; signed with the site key when one is configured)").KernelFile();
        app.MapMethods("/kernel/net/{architecture}/{name}", ["GET", "HEAD"], (HttpContext http, KernelStore kernels, MachineDirectory machines, string architecture, string name) =>
                Serve(http, kernels, machines, $"net/{architecture}/{name}"))
            .WithSummary("The kernel a runmode link of another architecture than x86-64 points at (kernels/net/arm64/prod.efi)").KernelFile();
        app.MapGet("/secure-boot/site.der", Results<FileContentHttpResult, Text<Status.NotFound>> (BootstrapConfig config) => config.SiteKey is { } key
                ? TypedResults.Bytes(key.CertificateDer, "application/pkix-cert", "site.der")
                : PlainText.NotFound("no site key: set secure-boot-key and secure-boot-cert in config.json (setup/site-key.sh makes a pair)"))
            .WithSummary("The site's Secure Boot certificate (DER), to enrol in the firmware's db or as a MOK");
    }

    private static RouteHandlerBuilder KernelFile(this RouteHandlerBuilder route) => route.Files().MayBeUnavailable();

    private static async Task<Results<FileStreamHttpResult, FileContentHttpResult, Text<Status.NotFound>>> Serve(HttpContext http, KernelStore kernels, MachineDirectory machines, string path)
    {
        DropDateValidators(http.Request.Headers);
        var kernel = await kernels.OpenAsync(path, http.RequestAborted);
        if (kernel == null)
            return PlainText.NotFound($"kernel '{path}' is not in the kernels folder");
        // A whole download from a machine's address goes into its boot log (ranges would flood it).
        if (HttpMethods.IsGet(http.Request.Method) && http.Request.Headers.Range.Count == 0)
            machines.Fetched(http.Connection.RemoteIpAddress?.ToString(), $"kernel {path}", http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow());
        if (http.RequestServices.GetRequiredService<BootstrapConfig>().SiteKey is { } siteKey)
        {
            await using (kernel.Stream)
                return await SignedFiles.ServeAsync(http, siteKey, $"kernel {kernel.ETag}", async cancel =>
                {
                    var bytes = new byte[kernel.Length];   // read only when the signed copy is not cached yet
                    kernel.Stream.Position = 0;
                    await kernel.Stream.ReadExactlyAsync(bytes, cancel);
                    return bytes;
                }, kernel.LastModified);
        }
        return TypedResults.Stream(kernel.Stream, "application/octet-stream", fileDownloadName: null,
            kernel.LastModified, EntityTagHeaderValue.Parse(kernel.ETag), enableRangeProcessing: true);
    }

    /// <summary>
    /// A runmode link switched back to an older kernel serves a file older than the one a client
    /// saw, so a date cannot tell two kernels apart: <c>If-Modified-Since</c> would answer 304 and
    /// <c>If-Range</c> would splice ranges of two files. Only the ETag is trusted (RFC 9110 §13.1.3
    /// lets a server ignore a date validator and §13.1.5 treat a failed If-Range as a full
    /// request): date validators are dropped, and a date <c>If-Range</c> fails, so the whole current
    /// kernel is sent.
    /// </summary>
    private static void DropDateValidators(IHeaderDictionary headers)
    {
        headers.Remove(HeaderNames.IfModifiedSince);
        headers.Remove(HeaderNames.IfUnmodifiedSince);
        var ifRange = headers.IfRange.ToString();
        if (ifRange.Length > 0 && !ifRange.StartsWith('"') && !ifRange.StartsWith("W/", StringComparison.Ordinal))
        {
            headers.Remove(HeaderNames.IfRange);
            headers.Remove(HeaderNames.Range);
        }
    }
}
