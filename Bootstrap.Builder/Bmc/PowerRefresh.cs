namespace Bootstrap.Builder.Bmc;

/// <summary>
/// Reads every BMC's power in the background so the machines page shows it without waiting on a
/// BMC: each machine every <c>every</c>, at most <c>concurrency</c> at once. A BMC that fails is
/// asked again after twice the wait of the time before (up to <see cref="LongestWait"/>), so a
/// rack of unreachable BMCs costs little; one answer brings it back to <c>every</c>.
/// </summary>
public sealed class PowerRefresh(BmcOperations bmcs, TimeProvider clock, TimeSpan every, int concurrency)
{
    public static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(30);

    private readonly Dictionary<string, (int Failures, DateTimeOffset Next)> _schedule = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>How long after <paramref name="failures"/> failures in a row the BMC is asked again.</summary>
    public TimeSpan WaitAfter(int failures) =>
        failures >= 20 ? LongestWait : TimeSpan.FromTicks(Math.Min(every.Ticks * (1L << failures), LongestWait.Ticks));

    /// <summary>Reads the power of every machine whose turn has come; returns the MACs read, in order.</summary>
    public async Task<IReadOnlyList<string>> RefreshDueAsync(CancellationToken cancel)
    {
        var now = clock.GetUtcNow();
        var macs = (await bmcs.ListAsync()).Select(a => a.Mac).ToList();
        List<string> due;
        lock (_gate)
        {
            foreach (var gone in _schedule.Keys.Except(macs).ToList())
                _schedule.Remove(gone);
            due = macs.Where(mac => !_schedule.TryGetValue(mac, out var turn) || turn.Next <= now).ToList();
        }
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancel }, async (mac, token) =>
        {
            var read = await bmcs.PowerAsync(mac, token);
            lock (_gate)
            {
                var failures = read.Succeeded ? 0 : (_schedule.TryGetValue(mac, out var before) ? before.Failures : 0) + 1;
                _schedule[mac] = (failures, now + WaitAfter(failures));
            }
        });
        return due;
    }
}
