using System.Collections.Concurrent;
using System.Security.Cryptography;
using Bootstrap.Builder.Storage.Database;

namespace Bootstrap.Builder.Machines;

/// <summary>A status report a machine's OS or installer posts (state, progress, message; docs/machines.md).</summary>
public sealed record StatusReport(string State, int? Progress, string? Message);

/// <summary>
/// The machines the service knows, and the rules of their life (the lifecycle of docs/machines.md).
/// Requests read the copy held here, never the database, so boot scripts never wait for a write.
/// Changes an operator or a machine asks for (assign, reset, delete, status, a new machine) are
/// written through before they are answered; what every boot changes (last seen, the
/// assigned → provisioning step, the boot log) is written behind, in one transaction per
/// <see cref="FlushInterval"/>, and on <see cref="DisposeAsync"/>. Another process on the same
/// database (the CLI, another instance) says it changed something with its own id through the
/// database's <see cref="ChangeSignal"/> (a marker file on SQLite, NOTIFY on PostgreSQL); every
/// directory reloads when another writer's id arrives.
/// </summary>
public sealed class MachineDirectory : IAsyncDisposable
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);

    private readonly MachineStore _store;
    private readonly int _maxDiscovered;
    private readonly Action<string> _warn;
    private readonly ConcurrentDictionary<string, Machine> _byId = new();
    private readonly ConcurrentDictionary<string, string> _idByMac = new();
    private readonly ConcurrentDictionary<string, string> _idByUuid = new();
    private readonly ConcurrentDictionary<string, string> _idByAddress = new();
    private readonly ConcurrentDictionary<string, Profile> _profiles = new();
    private readonly SemaphoreSlim _writes = new(1, 1);     // changes written through, one at a time
    private readonly SemaphoreSlim _flushing = new(1, 1);   // one flush at a time
    private readonly ConcurrentDictionary<string, bool> _dirty = new();   // last seen, state, asks changed
    private readonly ConcurrentDictionary<string, bool> _whole = new();   // new, or its MACs or facts changed
    /// <summary>Boot events not written yet; the same event repeated within one flush is one line with a count.</summary>
    private readonly ConcurrentDictionary<(string MachineId, string Kind, string Detail, string? Address), (DateTimeOffset First, int Count)> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _flusher;
    private readonly ChangeSignal? _signal;
    private readonly string _writerId = Guid.NewGuid().ToString("N");

    public MachineDirectory(MachineStore store, int maxDiscovered, Action<string>? warn = null)
    {
        _store = store;
        _maxDiscovered = maxDiscovered;
        _warn = warn ?? (_ => { });
        // Listening first, loading second (in the writers' turn, so a reload waits for it): a
        // change made meanwhile is then in the load or heard after it.
        try
        {
            _signal = store.Database.Signal("machines", _warn);
            _signal.Changed += writer => _ = ReloadIfChangedElsewhere(writer);
            _signal.Listening.Wait(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            _warn($"changes made by the CLI are not watched ({e.Message}): restart the service after using it");
        }
        InWritersTurn(async () =>
        {
            foreach (var machine in await store.AllAsync())
                Index(machine);
            foreach (var profile in await store.ProfilesAsync())
                _profiles[profile.Name] = profile;
        }).GetAwaiter().GetResult();
        _flusher = Task.Run(FlushLoop);
    }

    /// <summary>Reloads every machine when another writer changed them; our own writes are already in memory.</summary>
    private async Task ReloadIfChangedElsewhere(string writer)
    {
        try
        {
            if (writer == _writerId)
                return;
            await FlushAsync();   // what boots changed here goes to the database first, or the reload would undo it
            await InWritersTurn(async () =>
            {
                var machines = await _store.AllAsync();
                var fresh = machines.Select(m => m.Id).ToHashSet();
                foreach (var gone in _byId.Values.Where(m => !fresh.Contains(m.Id)).ToList())
                    Unindex(gone);
                foreach (var machine in machines)
                {
                    if (_byId.TryGetValue(machine.Id, out var old))
                        Unindex(old);
                    Index(machine);
                }
                var profiles = await _store.ProfilesAsync();
                _profiles.Clear();
                foreach (var profile in profiles)
                    _profiles[profile.Name] = profile;
            });
        }
        catch (Exception e)
        {
            _warn($"reloading the machines after a change by another process failed: {e.Message}");
        }
    }

    /// <summary>Tells other processes on this database that it changed (see the class summary).</summary>
    private void Announce()
    {
        try
        {
            _signal?.Announce(_writerId);
        }
        catch (IOException e)
        {
            _warn($"{e.Message}: other processes see this change after their restart");
        }
    }

    public int Count => _byId.Count;

    /// <summary>The database the machines are kept in (a command opening other stores uses the same one).</summary>
    public BootstrapDatabase Database => _store.Database;

    public Machine? FindByMac(string mac) => _idByMac.TryGetValue(mac, out var id) && _byId.TryGetValue(id, out var m) ? m : null;

    public Machine? FindById(string id) => _byId.GetValueOrDefault(id);

    /// <summary>True when a report with these MACs or this UUID would update a machine rather than create one.</summary>
    public bool Knows(IEnumerable<string> macs, string? uuid) =>
        (uuid != null && _idByUuid.ContainsKey(uuid)) || macs.Any(_idByMac.ContainsKey);

    /// <summary>Machines, optionally in one state: discovered first, then the most recently seen.</summary>
    public IReadOnlyList<Machine> List(string? state = null) => _byId.Values
        .Where(m => state == null || m.State == state)
        .OrderBy(m => m.State == MachineState.Discovered ? 0 : 1).ThenByDescending(m => m.LastSeen).ThenBy(m => m.Id, StringComparer.Ordinal)
        .ToList();

    /// <summary>The machine whose current assignment token is <paramref name="token"/> (compared in constant time), if any.</summary>
    public Machine? FindByToken(string token) =>
        _byId.Values.FirstOrDefault(m => m.Token != null && CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(m.Token), System.Text.Encoding.UTF8.GetBytes(token)));

    /// <summary>
    /// A boot script was asked for <paramref name="mac"/>, with what iPXE told about the machine.
    /// A known machine is returned (a discovered one also takes the new facts, written behind);
    /// an unknown one is recorded as discovered, grouped with the machine of the same UUID.
    /// </summary>
    public async Task<Machine> AskedAsync(string mac, Facts facts, string? address, DateTimeOffset now)
    {
        if (FindByMac(mac) is { } known && (facts.Uuid == null || known.Facts.Uuid == facts.Uuid || known.State != MachineState.Discovered))
        {
            if (known.State != MachineState.Discovered)
                return known;
            // Polls repeat what is known already: only when and from where is new, and that is written behind.
            if (Merge(known.Facts, facts) == known.Facts)
            {
                var polled = known with { LastSeen = now, LastAddress = address, Asks = known.Asks + 1 };
                // Outside the writers' turn: only if no one (a reload, an assignment) replaced it meanwhile.
                if (!ReplacedIfUnchanged(polled, known))
                    return await AskedAsync(mac, facts, address, now);
                _dirty[polled.Id] = true;
                return polled;
            }
        }
        // New machines (and new facts) from polls are written behind too: a machine lost in a crash
        // within the flush interval is found again at its next ask.
        return await DiscoverAsync([mac], facts, address, now, writeThrough: false);
    }

    /// <summary>
    /// Records what a machine reported about itself (its MACs and facts): creates a discovered
    /// machine, or updates one that is still discovered. An assigned machine is never changed by
    /// a report (the caller has no token): it is returned as it is.
    /// </summary>
    public Task<Machine> DiscoverAsync(IReadOnlyList<string> macs, Facts facts, string? address, DateTimeOffset now, bool writeThrough = true) =>
        InWritersTurn(async () =>
        {
            var existing = (facts.Uuid != null && _idByUuid.TryGetValue(facts.Uuid, out var byUuid) ? FindById(byUuid) : null)
                           ?? macs.Select(FindByMac).FirstOrDefault(m => m != null);
            if (existing != null && existing.State != MachineState.Discovered)
                return existing;
            Machine machine;
            if (existing == null)
            {
                var id = facts.Uuid != null ? $"uuid:{facts.Uuid}" : $"mac:{macs[0]}";
                machine = new Machine(id, macs.Distinct().ToList(), facts, MachineState.Discovered, null, null, 0, null, now, now, address, address, 1);
            }
            else
            {
                // MACs another machine holds stay with it: a report cannot take a NIC from a machine.
                var added = macs.Where(m => !_idByMac.ContainsKey(m)).Distinct();
                machine = existing with
                {
                    Macs = existing.Macs.Concat(added).ToList(), Facts = Merge(existing.Facts, facts),
                    LastSeen = now, LastAddress = address, Asks = existing.Asks + 1,
                };
            }
            var detail = existing == null ? $"discovered with {string.Join(", ", machine.Macs)}" : $"reported {string.Join(", ", macs)}";
            if (!writeThrough)
            {
                Replace(machine, existing);
                _whole[machine.Id] = true;
                Note(machine.Id, "discovered", detail, address, now);
                return machine;
            }
            await Written(machine, existing, ("discovered", detail, address), now);
            if (existing == null)
                await TrimDiscovered();
            return machine;
        });

    /// <summary>Gives a machine (known or not) its job; a new random token replaces the old one.</summary>
    public Task<Machine> AssignAsync(string mac, Assignment assignment, string? address, DateTimeOffset now) =>
        InWritersTurn(async () =>
        {
            var existing = FindByMac(mac);
            var machine = (existing ?? new Machine($"mac:{mac}", [mac], new Facts(), MachineState.Discovered, null, null, 0, null, now, now, null, null, 0))
                with { State = MachineState.Assigned, Assignment = assignment, Token = NewToken(), Progress = 0, Message = null };
            var what = assignment.Menu != null
                ? $"assigned menu={assignment.Menu} then={assignment.Then}"
                : $"assigned network={assignment.Network} farmer={assignment.Farmer ?? "-"} args={assignment.Args} " +
                  $"kernel={assignment.Kernel ?? "-"} profile={assignment.Profile ?? "-"} then={assignment.Then}";
            return await Written(machine, existing, ("assigned", what, address), now);
        });

    /// <summary>Sends a machine round again: back to discovered, its assignment and token gone, its facts and log kept.</summary>
    public Task<Machine?> ResetAsync(string mac, string? address, DateTimeOffset now) =>
        InWritersTurn(async () =>
        {
            if (FindByMac(mac) is not { } existing)
                return null;
            var machine = existing with { State = MachineState.Discovered, Assignment = null, Token = null, Progress = 0, Message = null };
            return await Written(machine, existing, ("reset", "back to discovered", address), now);
        });

    public Task<bool> DeleteAsync(string mac) =>
        InWritersTurn(async () =>
        {
            if (FindByMac(mac) is not { } existing)
                return false;
            await _store.DeleteAsync(existing.Id);
            Unindex(existing);
            Announce();
            return true;
        });

    /// <summary>Applies a machine's status report (the caller checked its token and the report's fields).</summary>
    public Task<Machine> ReportAsync(Machine machine, StatusReport report, string? address, DateTimeOffset now) =>
        InWritersTurn(async () =>
        {
            var current = FindById(machine.Id) ?? machine;
            var updated = report.State switch
            {
                MachineState.Installed => current with { State = MachineState.Installed, Progress = 100, Message = report.Message },
                MachineState.Failed => current with { State = MachineState.Failed, Message = report.Message },
                _ => current with { State = MachineState.Provisioning, Progress = report.Progress ?? current.Progress, Message = report.Message ?? current.Message },
            };
            updated = updated with { LastSeen = now, LastAddress = address ?? current.LastAddress };
            var detail = report.State + (report.Progress is { } p ? $" {p}%" : "") + (report.Message is { } msg ? $": {msg}" : "");
            return await Written(updated, current, ("status", detail, address), now);
        });

    /// <summary>
    /// A boot script went to the machine: an assigned (or re-booting installed repeat) machine is
    /// now provisioning. Written behind, so serving the script never waits for the database.
    /// </summary>
    public void ScriptServed(Machine machine, string what, string? address, DateTimeOffset now)
    {
        var current = FindById(machine.Id) ?? machine;
        var state = current.State is MachineState.Assigned || (current.State == MachineState.Installed && !current.BootsLocalDisk)
            ? MachineState.Provisioning
            : current.State;
        // A machine asking many times a second changes its record once a second (last seen is kept to the second).
        if (state != current.State || address != current.LastAddress || now - current.LastSeen >= TimeSpan.FromSeconds(1))
        {
            // Outside the writers' turn: a machine replaced meanwhile (a reload, a new assignment) stays as it is now.
            if (ReplacedIfUnchanged(current with { State = state, LastSeen = now, LastAddress = address ?? current.LastAddress }, current))
                _dirty[current.Id] = true;
        }
        Note(current.Id, "script", what, address, now);
    }

    private void Note(string machineId, string kind, string detail, string? address, DateTimeOffset now) =>
        _events.AddOrUpdate((machineId, kind, detail, address), static (_, at) => (at, 1), static (_, seen, _) => (seen.First, seen.Count + 1), now);

    /// <summary>A kernel or image was fetched from <paramref name="address"/>: the boot log of the machine last seen there notes it.</summary>
    public void Fetched(string? address, string what, DateTimeOffset now)
    {
        if (address != null && _idByAddress.TryGetValue(address, out var id) && _byId.ContainsKey(id))
            Note(id, "fetch", what, address, now);
    }

    public Task<IReadOnlyList<MachineEvent>> EventsAsync(Machine machine) => _store.EventsAsync(machine.Id);

    public IReadOnlyList<Profile> Profiles => _profiles.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();

    public Profile? FindProfile(string name) => _profiles.GetValueOrDefault(name);

    /// <summary>The answer-file template of the machine's profile, if it has one.</summary>
    public string? AnswerTemplateOf(Machine machine) =>
        machine.Assignment?.Profile is { } name ? FindProfile(name)?.AnswerTemplate : null;

    public Task SaveProfileAsync(Profile profile) =>
        InWritersTurn(async () =>
        {
            await _store.SaveProfileAsync(profile);
            _profiles[profile.Name] = profile;
            Announce();
        });

    public Task<bool> DeleteProfileAsync(string name) =>
        InWritersTurn(async () =>
        {
            var gone = await _store.DeleteProfileAsync(name);
            _profiles.TryRemove(name, out _);
            Announce();
            return gone;
        });

    /// <summary>Writes a machine through with one event, then serves it and tells other processes.</summary>
    private async Task<Machine> Written(Machine machine, Machine? previous, (string Kind, string Detail, string? Address) change, DateTimeOffset now)
    {
        await _store.SaveAsync(machine, [change], now);
        Replace(machine, previous);
        Announce();
        return machine;
    }

    /// <summary>Runs <paramref name="change"/> in the writers' turn: changes written through go one at a time.</summary>
    private async Task<T> InWritersTurn<T>(Func<Task<T>> change)
    {
        await _writes.WaitAsync();
        try
        {
            return await change();
        }
        finally
        {
            _writes.Release();
        }
    }

    private Task InWritersTurn(Func<Task> change) => InWritersTurn(async () =>
    {
        await change();
        return true;
    });

    /// <summary>Writes what boots changed since the last flush (the tests and shutdown call it; a timer does too).</summary>
    public async Task FlushAsync()
    {
        // Nothing queued and no flush running: nothing to wait for. A flush that is running has
        // taken its queue already, so a caller who must see its writes (an events read) waits for it.
        if (_dirty.IsEmpty && _whole.IsEmpty && _events.IsEmpty && _flushing.CurrentCount > 0)
            return;
        // Its own turn, not the writers': new machines and answered changes never wait for a flush.
        // Every write of a flush is guarded (MachineStore.SaveBatchAsync), so none undoes theirs.
        await _flushing.WaitAsync();
        try
        {
            if (_dirty.IsEmpty && _whole.IsEmpty && _events.IsEmpty)
                return;
            var ids = _dirty.Keys.ToList();
            foreach (var id in ids)
                _dirty.TryRemove(id, out _);
            var wholeIds = _whole.Keys.ToList();
            foreach (var id in wholeIds)
                _whole.TryRemove(id, out _);
            var taken = new List<((string MachineId, string Kind, string Detail, string? Address) Key, (DateTimeOffset First, int Count) Seen)>();
            foreach (var key in _events.Keys)
                if (_events.TryRemove(key, out var seen))
                    taken.Add((key, seen));
            var events = taken.Where(e => _byId.ContainsKey(e.Key.MachineId)).OrderBy(e => e.Seen.First)
                .Select(e => (e.Key.MachineId, e.Seen.First, e.Key.Kind, e.Seen.Count > 1 ? $"{e.Key.Detail} (×{e.Seen.Count})" : e.Key.Detail, e.Key.Address))
                .ToList();
            // The current copy, not the one queued: a reset written through meanwhile must not be undone.
            var machines = ids.Except(wholeIds).Select(FindById).OfType<Machine>().ToList();
            var wholes = wholeIds.Select(FindById).OfType<Machine>().Where(m => m.State == MachineState.Discovered).ToList();
            try
            {
                await _store.SaveBatchAsync(machines, events, wholes);
                if (wholes.Count > 0)
                {
                    Announce();
                    await InWritersTurn(TrimDiscovered);
                }
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException)
            {
                _warn($"the boot log could not be written ({e.Message}); {events.Count} events will be tried again");
                foreach (var id in ids)
                    _dirty[id] = true;
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

    private async Task FlushLoop()
    {
        using var timer = new PeriodicTimer(FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
                await FlushAsync();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Drops the discovered machines seen longest ago beyond the bound (the caller holds the write lock).</summary>
    private async Task TrimDiscovered()
    {
        var discovered = _byId.Values.Where(m => m.State == MachineState.Discovered).ToList();
        if (discovered.Count <= _maxDiscovered)
            return;
        var oldest = discovered.OrderBy(m => m.LastSeen).ThenBy(m => m.Id, StringComparer.Ordinal).Take(discovered.Count - _maxDiscovered).ToList();
        await _store.TrimDiscoveredAsync(oldest.Select(m => m.Id).ToList());
        foreach (var machine in oldest)
            Unindex(machine);
    }

    private static Facts Merge(Facts old, Facts reported) => new(
        old.Uuid ?? reported.Uuid, reported.Serial ?? old.Serial, reported.Manufacturer ?? old.Manufacturer, reported.Product ?? old.Product,
        reported.Asset ?? old.Asset, reported.Platform ?? old.Platform, reported.Arch ?? old.Arch, reported.InventoryJson ?? old.InventoryJson,
        reported.Ip ?? old.Ip);

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private void Replace(Machine machine, Machine? previous = null)
    {
        if (previous != null && previous.LastAddress != machine.LastAddress && previous.LastAddress != null)
            _idByAddress.TryRemove(new KeyValuePair<string, string>(previous.LastAddress, previous.Id));
        Index(machine);
    }

    /// <summary>
    /// Replaces <paramref name="previous"/> by <paramref name="machine"/> (same MACs and UUID, a new
    /// last address at most) only while it is still the current copy; for changes made outside the
    /// writers' turn, which a reload or an assignment in that turn must not see undone.
    /// </summary>
    private bool ReplacedIfUnchanged(Machine machine, Machine previous)
    {
        if (!_byId.TryUpdate(machine.Id, machine, previous))
            return false;
        if (previous.LastAddress != machine.LastAddress)
        {
            if (previous.LastAddress != null)
                _idByAddress.TryRemove(new KeyValuePair<string, string>(previous.LastAddress, previous.Id));
            if (machine.LastAddress != null)
                _idByAddress[machine.LastAddress] = machine.Id;
        }
        return true;
    }

    private void Index(Machine machine)
    {
        _byId[machine.Id] = machine;
        foreach (var mac in machine.Macs)
            _idByMac[mac] = machine.Id;
        if (machine.Facts.Uuid != null)
            _idByUuid[machine.Facts.Uuid] = machine.Id;
        if (machine.LastAddress != null)
            _idByAddress[machine.LastAddress] = machine.Id;
    }

    private void Unindex(Machine machine)
    {
        _byId.TryRemove(machine.Id, out _);
        foreach (var mac in machine.Macs)
            _idByMac.TryRemove(new KeyValuePair<string, string>(mac, machine.Id));
        if (machine.Facts.Uuid != null)
            _idByUuid.TryRemove(new KeyValuePair<string, string>(machine.Facts.Uuid, machine.Id));
        if (machine.LastAddress != null)
            _idByAddress.TryRemove(new KeyValuePair<string, string>(machine.LastAddress, machine.Id));
    }

    public async ValueTask DisposeAsync()
    {
        _signal?.Dispose();
        await _stop.CancelAsync();
        await _flusher;
        await FlushAsync();
        _stop.Dispose();
    }
}
