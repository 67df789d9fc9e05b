using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Boot;

namespace Bootstrap.Api.Features.Boot;

/// <summary><c>/ipxe/{network}[/{farmer}[/{args}[/{kernel}]]]</c>: the plain-text boot script; <c>/grub/...</c> the same boot for GRUB.</summary>
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
            .MayBeUnavailable();
        app.MapGet("/grub/" + BootRequestBinding.Segments,
                Results<Text<Status.Ok>, RequestProblemText> (HttpContext http, string network, string? farmer, string? args, string? kernel) =>
                    BootRequestBinding.Bind(http, config, kernels, network, farmer, args, kernel) is var (bound, error) && error == null
                        ? PlainText.Script(scripts.Grub(bound!.Request, bound.BaseUrl)) : error!)
            .WithSummary("The same boot as a grub.cfg, as the Secure Boot images carry it (a GRUB can load it with configfile)")
            .MayBeUnavailable();
        // For machines that run iPXE already (chain http://<service>/ipxe-generic): the generic script of the -generic images.
        app.MapGet("/ipxe-generic", Results<Text<Status.Ok>, Text<Status.BadRequest>> (HttpContext http) =>
            {
                var (baseUrl, problem) = http.PublicBaseUrl(config);
                return problem != null ? PlainText.BadRequest(problem) : PlainText.Script(scripts.Provision(baseUrl!));
            })
            .WithSummary("The generic script: the machine asks /provision/<MAC> for each of its MACs and polls while it is not assigned");
    }

    private static Results<Text<Status.Ok>, RequestProblemText> BootScript(HttpContext http, BootstrapConfig config, KernelStore kernels, BootScripts scripts,
        string network, string? farmer, string? args, string? kernel)
    {
        var (bound, error) = BootRequestBinding.Bind(http, config, kernels, network, farmer, args, kernel);
        return error != null ? error : PlainText.Script(scripts.BootUtf8(bound!.Request, bound.BaseUrl, bound.Architectures));
    }
}
