using System.Diagnostics.Metrics;
using Bootstrap.Builder.Observability;
using Bootstrap.Builder.Pxe;

namespace Bootstrap.Api.Features.Pxe;

/// <summary>The PXE listeners' counters in /metrics, read at each scrape.</summary>
public static class PxeMetrics
{
    private static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);

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
