using Bootstrap.Api.Http;
using Bootstrap.Builder.Kernels;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Endpoints;

/// <summary><c>/kernel/{name}</c>, <c>/kernel/net/{name}</c> (Range, ETag, Last-Modified) and the kernel list.</summary>
public static class KernelEndpoints
{
    public static void MapKernels(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").AddEndpointFilter<Unavailable>();
        group.MapMethods("/kernel/{name}", ["GET", "HEAD"], (KernelStore kernels, string name) => Serve(kernels, name));
        group.MapMethods("/kernel/net/{name}", ["GET", "HEAD"], (KernelStore kernels, string name) => Serve(kernels, "net/" + name));
    }

    private static IResult Serve(KernelStore kernels, string path)
    {
        var kernel = kernels.Open(path);
        if (kernel == null)
            return PlainText.Error(StatusCodes.Status404NotFound, $"kernel '{path}' is not in the kernels folder");
        return TypedResults.Stream(kernel.Stream, "application/octet-stream", fileDownloadName: null,
            kernel.LastModified, EntityTagHeaderValue.Parse(kernel.ETag), enableRangeProcessing: true);
    }
}
