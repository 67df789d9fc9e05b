using Bootstrap.Builder.Bmc;

namespace Bootstrap.Api.Features.Bmc;

/// <summary>Runs <see cref="PowerRefresh"/> beside the HTTP server every few seconds (each BMC's own turn comes every <c>bmc-power-refresh-seconds</c>); 0 turns it off.</summary>
public sealed class PowerRefreshHost(PowerRefresh refresh, BootstrapConfig config, TimeProvider clock, ILogger<PowerRefreshHost> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (config.BmcPowerRefreshSeconds == 0)
            return;
        // Ticks finer than the refresh itself, so a BMC just given is read within seconds and a turn is never missed by a tick's jitter.
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Min(config.BmcPowerRefreshSeconds, 5)), clock);
        do
        {
            try
            {
                await refresh.RefreshDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning("bmc: power refresh failed, tried again at the next tick: {Error}", LogText.Escape(e.Message));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
