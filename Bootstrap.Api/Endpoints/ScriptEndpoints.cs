using Bootstrap.Api.Http;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Storage.Kernels;
using Bootstrap.Builder.Scripts;

namespace Bootstrap.Api.Endpoints;

/// <summary><c>/ipxe/{network}[/{farmer}[/{args}[/{kernel}]]]</c>: the plain-text boot script.</summary>
public static class ScriptEndpoints
{
    public static void MapScripts(this IEndpointRouteBuilder app)
    {
        // The services are singletons, taken once here: the hottest route resolves nothing per request.
        var (config, kernels, scripts) = (app.ServiceProvider.GetRequiredService<BootstrapConfig>(),
            app.ServiceProvider.GetRequiredService<KernelStore>(), app.ServiceProvider.GetRequiredService<BootScripts>());
        app.MapGet("/ipxe/" + BootRequestBinding.Segments,
                (HttpContext http, string network, string? farmer, string? args, string? kernel) =>
                    BootScript(http, config, kernels, scripts, network, farmer, args, kernel))
            .WithName("BootScript")
            .WithSummary("iPXE boot script: DHCP over every NIC, then download and boot the network's kernel")
            .Script().BootRequestErrors();
    }

    private static IResult BootScript(HttpContext http, BootstrapConfig config, KernelStore kernels, BootScripts scripts,
        string network, string? farmer, string? args, string? kernel)
    {
        var (bound, error) = BootRequestBinding.Bind(http, config, kernels, network, farmer, args, kernel);
        return error ?? PlainText.Script(scripts.BootUtf8(bound!.Request, bound.BaseUrl));
    }
}
