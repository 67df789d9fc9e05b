using System.Diagnostics.Metrics;

namespace Bootstrap.Builder.Observability;

/// <summary>
/// The service's instruments, on one <see cref="Meter"/> named <c>Bootstrap</c>. Names follow
/// Prometheus conventions already, so the exposition writer prints them as they are.
/// </summary>
public sealed class BootstrapMetrics : IDisposable
{
    public const string MeterName = "Bootstrap";

    /// <summary>Upper bounds (seconds) of the build duration histogram.</summary>
    public static readonly double[] BuildSecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>Upper bounds (seconds) of the boot phase histogram.</summary>
    public static readonly double[] BootPhaseSecondsBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800];

    public Meter Meter { get; } = new(MeterName);

    /// <summary>bootstrap_boot_phase_seconds{phase}: the phases of network boots (Machines/BootTimeline).</summary>
    public Histogram<double> BootPhaseSeconds { get; }

    public Counter<long> Requests { get; }
    public Counter<long> Builds { get; }
    public Histogram<double> BuildSeconds { get; }
    public Counter<long> KernelBytes { get; }
    public Counter<long> UnknownMacs { get; }
    public Counter<long> ConnectionsDropped { get; }

    public BootstrapMetrics()
    {
        Requests = Meter.CreateCounter<long>("bootstrap_requests_total", description: "HTTP requests by route family and status");
        Builds = Meter.CreateCounter<long>("bootstrap_builds_total", description: "Image builds run, by target, template kind and method (built, patched, or make for a script longer than the placeholder)");
        BuildSeconds = Meter.CreateHistogram<double>("bootstrap_build_duration_seconds", "s", "Time of one image build",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = BuildSecondsBuckets });
        KernelBytes = Meter.CreateCounter<long>("bootstrap_kernel_bytes_served_total", "By", "Kernel bytes sent (as declared by Content-Length)");
        UnknownMacs = Meter.CreateCounter<long>("bootstrap_provision_unknown_total", description: "Provisioning requests from unregistered MACs");
        BootPhaseSeconds = Meter.CreateHistogram<double>("bootstrap_boot_phase_seconds", "s",
            "Time of one phase of a network boot: tftp (the boot program's transfer), script, kernel, status (each since the phase before it in the same boot)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = BootPhaseSecondsBuckets });
        ConnectionsDropped = Meter.CreateCounter<long>("bootstrap_connections_dropped_total", description: "Connections closed by the service: reason per-client (over max-connections-per-client) or stalled (stopped reading)");
    }

    /// <summary>Observable instruments over the cache's own counters (read at each scrape).</summary>
    public void Observe(Images.Caching.ArtifactCache cache)
    {
        Meter.CreateObservableCounter("bootstrap_cache_hits_total", () => new[]
        {
            new Measurement<long>(cache.MemoryHits, new KeyValuePair<string, object?>("tier", "memory")),
            new Measurement<long>(cache.DiskHits, new KeyValuePair<string, object?>("tier", "disk")),
        }, description: "Images answered from the cache");
        Meter.CreateObservableCounter("bootstrap_cache_misses_total", () => cache.Builds, description: "Images that had to be built");
        Meter.CreateObservableCounter("bootstrap_cache_evictions_total", () => cache.Evictions, description: "Images dropped from memory for the byte budget");
        Meter.CreateObservableGauge("bootstrap_cache_memory_bytes", () => cache.MemoryBytes, "By", "Bytes of images held in memory");
        Meter.CreateObservableGauge("bootstrap_images_held_bytes", () => Images.Caching.HeldImage.AllBytes, "By",
            "Bytes of images held outside the GC heap: the memory cache's and those of answers being sent");
        Meter.CreateObservableGauge("bootstrap_cache_disk_bytes", () => cache.Disk?.Bytes ?? 0, "By", "Bytes of images held on disk (at most cache-disk-bytes)");
        Meter.CreateObservableCounter("bootstrap_cache_disk_evictions_total", () => cache.Disk?.Evictions ?? 0, description: "Images deleted from disk for cache-disk-bytes");
        Meter.CreateObservableGauge("bootstrap_build_queue_depth", () => cache.QueueDepth, description: "Builds waiting for a build slot");
    }

    /// <summary>Instances sharing PostgreSQL: files copied from the database to this instance's disk.</summary>
    public void Observe(Storage.Files.SharedFiles files) =>
        Meter.CreateObservableCounter("bootstrap_shared_file_fetches_total", () => files.Fetches,
            description: "Kernels and catalogue files copied from the database to this instance (once per file, however many asked at once)");

    /// <summary>Records one phase of a boot (what <see cref="Machines.BootTimeline"/> measured).</summary>
    public void BootPhase(string phase, double seconds) => BootPhaseSeconds.Record(seconds, new KeyValuePair<string, object?>("phase", phase));

    public void Dispose() => Meter.Dispose();
}
