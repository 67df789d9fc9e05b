using Bootstrap.Builder.Pxe;

namespace Bootstrap.Api.Features.Pxe;

/// <summary>Runs the PXE listeners (proxyDHCP, TFTP) beside the HTTP server for as long as the service runs.</summary>
public sealed class PxeHost(PxeListeners listeners, ILogger<PxeHost> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var running = listeners.RunAsync(stoppingToken);
        // RunAsync binds before its first await: the status is final by now, running or not.
        if (listeners.Status.StartsWith("not running", StringComparison.Ordinal))
            log.LogWarning("pxe: {Status}", listeners.Status);
        else
            log.LogInformation("pxe: {Status}", listeners.Status);
        await running;
    }
}
