using System.Collections.Concurrent;

namespace Bootstrap.Builder.Machines;

/// <summary>
/// What every boot changes, written behind: last seen, the assigned → provisioning step, new
/// machines from polls, and the boot log. Queued here and written in one transaction per
/// <see cref="Interval"/> (and by <see cref="FlushAsync"/>), so serving a script never waits for
/// the database. The same event repeated within one flush is one line with a count. A failed
/// write keeps its queue for the next flush.
/// </summary>
public sealed class WriteBehindLog : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly MachineStore _store;
    private readonly MachineIndex _index;
    private readonly Func<Task> _afterNewMachines;
    private readonly Action<string> _warn;
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly ConcurrentDictionary<string, bool> _touched = new();   // last seen, state, asks changed
    private readonly ConcurrentDictionary<string, bool> _whole = new();     // new, or its MACs or facts changed
    private readonly ConcurrentDictionary<(string MachineId, string Kind, string Detail, string? Address), (DateTimeOffset First, int Count)> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="afterNewMachines">Runs after a flush wrote new machines (tell other processes, trim the discovered).</param>
    public WriteBehindLog(MachineStore store, MachineIndex index, Func<Task> afterNewMachines, Action<string> warn, TimeProvider clock)
    {
        (_store, _index, _afterNewMachines, _warn) = (store, index, afterNewMachines, warn);
        _loop = Task.Run(() => Loop(clock));
    }

    /// <summary>The machine's record changed in small ways (last seen, state, asks).</summary>
    public void Touched(string machineId) => _touched[machineId] = true;

    /// <summary>The machine is new, or its MACs or facts changed: its whole record is written.</summary>
    public void Whole(string machineId) => _whole[machineId] = true;

    public void Note(string machineId, string kind, string detail, string? address, DateTimeOffset at) =>
        _events.AddOrUpdate((machineId, kind, detail, address), static (_, at) => (at, 1), static (_, seen, _) => (seen.First, seen.Count + 1), at);

    /// <summary>Writes what boots changed since the last flush (the tests and shutdown call it; the loop does too).</summary>
    public async Task FlushAsync()
    {
        // Nothing queued and no flush running: nothing to wait for. A flush that is running has
        // taken its queue already, so a caller who must see its writes (an events read) waits for it.
        if (_touched.IsEmpty && _whole.IsEmpty && _events.IsEmpty && _flushing.CurrentCount > 0)
            return;
        // Its own turn, not the writers': new machines and answered changes never wait for a flush.
        // Every write of a flush is guarded (MachineStore.SaveBatchAsync), so none undoes theirs.
        await _flushing.WaitAsync();
        try
        {
            if (_touched.IsEmpty && _whole.IsEmpty && _events.IsEmpty)
                return;
            var ids = Take(_touched);
            var wholeIds = Take(_whole);
            var taken = new List<((string MachineId, string Kind, string Detail, string? Address) Key, (DateTimeOffset First, int Count) Seen)>();
            foreach (var key in _events.Keys)
                if (_events.TryRemove(key, out var seen))
                    taken.Add((key, seen));
            var events = taken.Where(e => _index.Contains(e.Key.MachineId)).OrderBy(e => e.Seen.First)
                .Select(e => (e.Key.MachineId, e.Seen.First, e.Key.Kind, e.Seen.Count > 1 ? $"{e.Key.Detail} (×{e.Seen.Count})" : e.Key.Detail, e.Key.Address))
                .ToList();
            // The current copy, not the one queued: a reset written through meanwhile must not be undone.
            var machines = ids.Except(wholeIds).Select(id => _index[id]).OfType<Machine>().ToList();
            var wholes = wholeIds.Select(id => _index[id]).OfType<Machine>().Where(m => m.State == MachineState.Discovered).ToList();
            try
            {
                await _store.SaveBatchAsync(machines, events, wholes);
                if (wholes.Count > 0)
                    await _afterNewMachines();
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException)
            {
                _warn($"the boot log could not be written ({e.Message}); {events.Count} events will be tried again");
                foreach (var id in ids)
                    _touched[id] = true;
                foreach (var id in wholeIds)
                    _whole[id] = true;
                foreach (var (key, seen) in taken)
                    _events.AddOrUpdate(key, seen, (_, now) => (seen.First < now.First ? seen.First : now.First, seen.Count + now.Count));
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    private static List<string> Take(ConcurrentDictionary<string, bool> queue)
    {
        var ids = queue.Keys.ToList();
        foreach (var id in ids)
            queue.TryRemove(id, out _);
        return ids;
    }

    private async Task Loop(TimeProvider clock)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
                await FlushAsync();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops the loop and writes what is left.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        await FlushAsync();
        _stop.Dispose();
    }
}
