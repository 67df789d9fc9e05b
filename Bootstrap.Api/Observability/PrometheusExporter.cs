using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Bootstrap.Builder.Observability;

namespace Bootstrap.Api.Observability;

/// <summary>
/// Listens to this service's <see cref="BootstrapMetrics"/> meter (that instance only, so two
/// services in one process never count each other) and writes its instruments in the Prometheus text
/// exposition format 0.0.4 (counters, gauges, histograms with <c>_bucket</c>/<c>_sum</c>/<c>_count</c>).
/// Ours because the served exporters do not fit: OpenTelemetry's Prometheus exporter exists only as a
/// beta, and prometheus-net's meter adapter turns counters into gauges and expires idle series.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<SeriesKey, Series> _series = new();
    private readonly Lock _scrape = new();

    /// <summary>
    /// A series by its instrument and tag values as given (up to two; more are joined into one
    /// string), so that recording a measurement builds no label text: that is done once per series.
    /// </summary>
    private readonly record struct SeriesKey(Instrument Instrument, object? First, object? Second);

    private sealed class Series(string labels)
    {
        public readonly string Labels = labels;
        public double Value;                 // counter sum or last gauge value
        public long[]? Buckets;              // histogram: counts per upper bound, plus +Inf
        public double Sum;
        public long Count;
    }

    public PrometheusExporter(BootstrapMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = tags.Length switch
        {
            0 => new SeriesKey(instrument, null, null),
            1 => new SeriesKey(instrument, tags[0].Value, null),
            2 => new SeriesKey(instrument, tags[0].Value, tags[1].Value),
            _ => new SeriesKey(instrument, Labels(tags), null),
        };
        if (!_series.TryGetValue(key, out var series))
            series = _series.GetOrAdd(key, new Series(Labels(tags)));
        if (instrument is Counter<long> or Counter<int> or Counter<double>)
        {
            // Counters take every request: added without a lock, so request threads never wait on each other.
            double seen, sum;
            do
            {
                seen = Volatile.Read(ref series.Value);
                sum = seen + value;
            } while (Interlocked.CompareExchange(ref series.Value, sum, seen) != seen);
            return;
        }
        lock (series)
        {
            switch (instrument)
            {
                case Histogram<double>:
                    series.Buckets ??= new long[BootstrapMetrics.BuildSecondsBuckets.Length + 1];
                    var bucket = Array.FindIndex(BootstrapMetrics.BuildSecondsBuckets, b => value <= b);
                    series.Buckets[bucket < 0 ? ^1 : bucket]++;
                    series.Sum += value;
                    series.Count++;
                    break;
                default:                     // observable counters and gauges report their current value
                    series.Value = value;
                    break;
            }
        }
    }

    /// <summary>The exposition text: observable instruments are read now, then every series is written.</summary>
    public string Scrape()
    {
        lock (_scrape)
        {
            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var group in _series.GroupBy(s => s.Key.Instrument).OrderBy(g => g.Key.Name, StringComparer.Ordinal))
            {
                var instrument = group.Key;
                var type = instrument switch
                {
                    Histogram<double> => "histogram",
                    ObservableGauge<long> or ObservableGauge<int> or ObservableGauge<double> => "gauge",
                    _ => "counter",
                };
                text.Append("# HELP ").Append(instrument.Name).Append(' ').Append(instrument.Description).Append('\n');
                text.Append("# TYPE ").Append(instrument.Name).Append(' ').Append(type).Append('\n');
                foreach (var series in group.Select(s => s.Value).OrderBy(s => s.Labels, StringComparer.Ordinal))
                {
                    lock (series)
                    {
                        if (series.Buckets is { } buckets)
                        {
                            long cumulative = 0;
                            for (var i = 0; i < buckets.Length; i++)
                            {
                                cumulative += buckets[i];
                                var le = i < BootstrapMetrics.BuildSecondsBuckets.Length ? Number(BootstrapMetrics.BuildSecondsBuckets[i]) : "+Inf";
                                Line(text, instrument.Name + "_bucket", Join(series.Labels, $"le=\"{le}\""), cumulative);
                            }
                            Line(text, instrument.Name + "_sum", series.Labels, series.Sum);
                            Line(text, instrument.Name + "_count", series.Labels, series.Count);
                        }
                        else
                        {
                            Line(text, instrument.Name, series.Labels, Volatile.Read(ref series.Value));
                        }
                    }
                }
            }
            return text.ToString();
        }
    }

    private static void Line(StringBuilder text, string name, string labels, double value) =>
        text.Append(name).Append(labels.Length == 0 ? "" : "{" + labels + "}").Append(' ').Append(Number(value)).Append('\n');

    private static string Join(string labels, string extra) => labels.Length == 0 ? extra : labels + "," + extra;

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Label pairs sorted by name, values escaped as the format requires (backslash, quote, newline).</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var pairs = new List<string>(tags.Length);
        foreach (var (name, value) in tags)
        {
            var escaped = Convert.ToString(value, CultureInfo.InvariantCulture)!.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
            pairs.Add($"{name}=\"{escaped}\"");
        }
        pairs.Sort(StringComparer.Ordinal);
        return string.Join(',', pairs);
    }

    public void Dispose() => _listener.Dispose();
}
