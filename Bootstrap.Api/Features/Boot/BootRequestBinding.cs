using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Boot;

namespace Bootstrap.Api.Features.Boot;

/// <summary>A validated boot request, the base URL its script points at and the architectures it has a kernel for.</summary>
public sealed record BoundRequest(BootRequest Request, string BaseUrl, IReadOnlyList<KernelArchitecture> Architectures);

public static class BootRequestBinding
{
    /// <summary>The path segments every script and image route takes after its prefix.</summary>
    public const string Segments = "{network}/{farmer?}/{args?}/{kernel?}";

    /// <summary>
    /// Validates the segments, the public base URL and the kernel file's presence: the named
    /// kernel, or the runmode's link for at least one architecture. Returns the request, or the
    /// error answer: 404 (unknown network, missing kernel) or 400 (bad input).
    /// </summary>
    public static (BoundRequest? Bound, RequestProblemText? Error) Bind(
        HttpContext http, BootstrapConfig config, KernelStore kernels,
        string network, string? farmer, string? args, string? kernel)
    {
        var (request, problem) = BootRequestParser.Parse(config.Runmodes, network, farmer, args, kernel);
        if (problem != null)
            return (null, PlainText.Problem(problem));
        var (baseUrl, urlProblem) = http.PublicBaseUrl(config);
        if (urlProblem != null)
            return (null, new RequestProblemText(StatusCodes.Status400BadRequest, urlProblem));
        var architectures = KernelArchitecture.All.Where(a => kernels.Exists(request!.KernelPathFor(a))).ToList();
        if (architectures.Count == 0)
            return (null, new RequestProblemText(StatusCodes.Status404NotFound,
                $"kernel '{request!.KernelPath}' is not in the kernels folder" +
                (request.Kernel == null ? $" (network '{network}' has no runmode link yet: POST /api/symlink/{network}.efi/<kernel>)" : "")));
        return (new BoundRequest(request!, baseUrl!, architectures), null);
    }
}
