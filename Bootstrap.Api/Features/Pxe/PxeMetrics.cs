using System.Diagnostics.Metrics;
using Bootstrap.Builder.Observability;
using Bootstrap.Builder.Pxe;
using Bootstrap.Builder.Pxe.Tftp;

namespace Bootstrap.Api.Features.Pxe;

/// <summary>The PXE listeners' counters in /metrics (read at each scrape), and the TFTP phase of a boot as a histogram.</summary>
public static class PxeMetrics
{
    /// <summary>Upper bounds (seconds) of the boot phase histogram.</summary>
    public static readonly double[] PhaseSecondsBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

    /// <summary>Records a finished TFTP transfer as phase "tftp" of <c>bootstrap_boot_phase_seconds</c>.</summary>
    public static Action<TftpTransferDone> TftpPhase(BootstrapMetrics metrics)
    {
        var phases = metrics.Meter.CreateHistogram<double>("bootstrap_boot_phase_seconds", "s", "Time of one phase of a network boot (tftp: a boot program's transfer)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PhaseSecondsBuckets });
        return done =>
        {
            if (done.Completed)
                phases.Record(done.Duration.TotalSeconds, Tag("phase", "tftp"));
        };
    }

    public static void Observe(BootstrapMetrics metrics, PxeListeners pxe)
    {
        metrics.Meter.CreateObservableCounter("bootstrap_pxe_dhcp_packets_total", () => pxe.Proxy is not { Counters: var c } ? [] : new[]
        {
            new Measurement<long>(Interlocked.Read(ref c.Answered), Tag("outcome", "answered")),
            new Measurement<long>(Interlocked.Read(ref c.Silent), Tag("outcome", "silent")),
            new Measurement<long>(Interlocked.Read(ref c.Malformed), Tag("outcome", "malformed")),
        }, description: "DHCP packets the proxy received, by what it did: answered, left silent (not for it, or not to be answered), or dropped as malformed");
        metrics.Meter.CreateObservableCounter("bootstrap_pxe_addresses_offered_total", () => pxe.Proxy is { Counters: var c } ? Interlocked.Read(ref c.AddressesOffered) : 0,
            description: "Proxy replies that offered an address (yiaddr not 0.0.0.0): always 0, the site's DHCP server hands out addresses");
        metrics.Meter.CreateObservableCounter("bootstrap_tftp_transfers_total", () => pxe.Tftp is not { Counters: var t } ? [] : new[]
        {
            new Measurement<long>(Interlocked.Read(ref t.Completed), Tag("outcome", "completed")),
            new Measurement<long>(Interlocked.Read(ref t.Abandoned), Tag("outcome", "abandoned")),
            new Measurement<long>(Interlocked.Read(ref t.Refused), Tag("outcome", "refused")),
        }, description: "TFTP requests by outcome: completed, abandoned (the client stopped answering), refused (an error packet)");
    }
}
