using Bootstrap.Api.Http;
using Bootstrap.Builder.Storage.Kernels;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Endpoints;

/// <summary><c>/kernel/{name}</c>, <c>/kernel/net/{name}</c> (Range, ETag, Last-Modified) and the kernel list.</summary>
public static class KernelEndpoints
{
    public static void MapKernels(this IEndpointRouteBuilder app)
    {
                app.MapMethods("/kernel/{name}", ["GET", "HEAD"], (KernelStore kernels, string name) => Serve(kernels, name))
            .WithSummary("A kernel file (Range, ETag, Last-Modified)").KernelFile();
        app.MapMethods("/kernel/net/{name}", ["GET", "HEAD"], (KernelStore kernels, string name) => Serve(kernels, "net/" + name))
            .WithSummary("The kernel a runmode link points at (Range, ETag, Last-Modified)").KernelFile();
    }

    private static RouteHandlerBuilder KernelFile(this RouteHandlerBuilder route) =>
        route.Produces(StatusCodes.Status200OK, typeof(byte[]), "application/octet-stream")
             .Produces(StatusCodes.Status206PartialContent, typeof(byte[]), "application/octet-stream")
             .Produces(StatusCodes.Status304NotModified)
             .Produces<string>(StatusCodes.Status404NotFound, "text/plain")
             .Produces<string>(StatusCodes.Status503ServiceUnavailable, "text/plain");

    private static IResult Serve(KernelStore kernels, string path)
    {
        var kernel = kernels.Open(path);
        if (kernel == null)
            return PlainText.Error(StatusCodes.Status404NotFound, $"kernel '{path}' is not in the kernels folder");
        return TypedResults.Stream(kernel.Stream, "application/octet-stream", fileDownloadName: null,
            kernel.LastModified, EntityTagHeaderValue.Parse(kernel.ETag), enableRangeProcessing: true);
    }
}
