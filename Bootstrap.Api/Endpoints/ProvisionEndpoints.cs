using Bootstrap.Api.Http;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Storage.Kernels;
using Bootstrap.Builder.Observability;
using Bootstrap.Builder.Storage.Provisioning;
using Bootstrap.Builder.Scripts;

namespace Bootstrap.Api.Endpoints;

/// <summary><c>/provision/{mac}</c>: the quick boot script of a registered machine.</summary>
public static class ProvisionEndpoints
{
    public static void MapProvisioning(this IEndpointRouteBuilder app)
    {
        app.MapGet("/provision/{mac}", QuickScript)
            .WithSummary("Quick boot script of a registered machine; unknown MACs are recorded as pending")
            .Script().BootRequestErrors();
    }

    private static async Task<IResult> QuickScript(HttpContext http, BootstrapConfig config, KernelStore kernels,
        BootScripts scripts, ProvisionStore store, BootstrapMetrics metrics, ClientBudgets budgets, string mac)
    {
        var normalized = MacAddress.Normalize(mac);
        if (normalized == null)
            return PlainText.Error(StatusCodes.Status400BadRequest, "mac: expected 12 hex digits, e.g. 52:54:00:12:34:56");
        var entry = await store.FindAsync(normalized);
        if (entry == null)
        {
            metrics.UnknownMacs.Add(1);
            if (budgets.UnknownMachine(http) is { } tooMany)
                return tooMany;
            await store.RecordUnknownAsync(normalized, http.Connection.RemoteIpAddress?.ToString(), DateTimeOffset.UtcNow, config.MaxPendingMachines);
            return PlainText.Error(StatusCodes.Status404NotFound, $"machine {normalized} is not provisioned (recorded as pending)");
        }
        var (bound, error) = BootRequestBinding.Bind(http, config, kernels, entry.Network, entry.Farmer, entry.Args, kernel: null);
        if (error != null)
            return error;
        return PlainText.Script(scripts.Quick(bound!.Request, bound.BaseUrl));
    }
}
