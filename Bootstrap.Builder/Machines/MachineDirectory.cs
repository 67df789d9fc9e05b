using Bootstrap.Builder.Storage.Database;

namespace Bootstrap.Builder.Machines;

/// <summary>
/// The machines the service knows, made of three pieces: the <see cref="MachineIndex"/> every
/// request reads (never the database, so boot scripts never wait for a write), the rules of
/// <see cref="MachineLifecycle"/>, and the <see cref="WriteBehindLog"/> for what every boot
/// changes. What an operator or a machine asks for (assign, reset, delete, status, a reported
/// machine) is written through, one change at a time, before it is answered. Another process on
/// the same database (the CLI, another instance) says it changed something with its own id
/// through the database's <see cref="ChangeSignal"/> (a marker file on SQLite, NOTIFY on
/// PostgreSQL); every directory reloads when another writer's id arrives.
/// </summary>
public sealed class MachineDirectory : IAsyncDisposable
{
    private readonly MachineStore _store;
    private readonly int _maxDiscovered;
    private readonly Action<string> _warn;
    private readonly MachineIndex _index = new();
    private readonly Dictionary<string, Profile> _profiles = new();
    private readonly Lock _profilesLock = new();
    private readonly BootTimeline _timeline;
    private readonly SemaphoreSlim _writes = new(1, 1);     // changes written through, one at a time
    private readonly WriteBehindLog _behind;
    private readonly ChangeSignal? _signal;
    private readonly string _writerId = Guid.NewGuid().ToString("N");

    /// <param name="phaseTook">Each phase of a boot and its seconds (<see cref="BootTimeline"/>), for the metrics.</param>
    public MachineDirectory(MachineStore store, int maxDiscovered, Action<string>? warn = null, TimeProvider? clock = null,
        Action<string, double>? phaseTook = null)
    {
        _timeline = new BootTimeline(phaseTook);
        _store = store;
        _maxDiscovered = maxDiscovered;
        _warn = warn ?? (_ => { });
        _behind = new WriteBehindLog(store, _index, async () =>
        {
            Announce();
            await InWritersTurn(TrimDiscovered);
        }, _warn, clock ?? TimeProvider.System);
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
                _index.Put(machine);
            SetProfiles(await store.ProfilesAsync());
        }).GetAwaiter().GetResult();
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
                foreach (var gone in _index.All.Where(m => !fresh.Contains(m.Id)).ToList())
                    _index.Remove(gone);
                foreach (var machine in machines)
                {
                    if (_index[machine.Id] is { } old)
                        _index.Remove(old);
                    _index.Put(machine);
                }
                SetProfiles(await _store.ProfilesAsync());
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

    public int Count => _index.Count;

    /// <summary>The database the machines are kept in (a command opening other stores uses the same one).</summary>
    public BootstrapDatabase Database => _store.Database;

    public Machine? FindByMac(string mac) => _index.FindByMac(mac);

    public Machine? FindById(string id) => _index[id];

    /// <summary>True when a report with these MACs or this UUID would update a machine rather than create one.</summary>
    public bool Knows(IEnumerable<string> macs, string? uuid) =>
        (uuid != null && _index.FindByUuid(uuid) != null) || macs.Any(_index.HoldsMac);

    /// <summary>Machines, optionally in one state: discovered first, then the most recently seen.</summary>
    public IReadOnlyList<Machine> List(MachineState? state = null) => _index.All
        .Where(m => state == null || m.State == state)
        .OrderBy(m => m.State == MachineState.Discovered ? 0 : 1).ThenByDescending(m => m.LastSeen).ThenBy(m => m.Id, StringComparer.Ordinal)
        .ToList();

    /// <summary>The machine whose current assignment token is <paramref name="token"/> (compared in constant time), if any.</summary>
    public Machine? FindByToken(string token) => _index.FindByToken(token);

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
            if (MachineLifecycle.Merge(known.Facts, facts) == known.Facts)
            {
                var polled = MachineLifecycle.Polled(known, address, now);
                // Outside the writers' turn: only if no one (a reload, an assignment) replaced it meanwhile.
                if (!_index.PutIfUnchanged(polled, known))
                    return await AskedAsync(mac, facts, address, now);
                _behind.Touched(polled.Id);
                return polled;
            }
        }
        // New machines (and new facts) from polls are written behind too: a machine lost in a crash
        // within the flush interval is found again at its next ask.
        var discovered = await DiscoverAsync([mac], facts, address, now, writeThrough: false);
        // A poll that would take a full machine past its MACs bound is not recorded: it stays unknown.
        return discovered.Value ?? MachineLifecycle.Discovered([mac], facts, address, now);
    }

    /// <summary>
    /// Records what a machine reported about itself (its MACs and facts): creates a discovered
    /// machine, or updates one that is still discovered. An assigned machine is never changed by
    /// a report (the caller has no token): it is returned as it is. A report that would give a
    /// machine more than <see cref="MachineLifecycle.MaxMacs"/> MACs is refused.
    /// </summary>
    public Task<Result<Machine>> DiscoverAsync(IReadOnlyList<string> macs, Facts facts, string? address, DateTimeOffset now, bool writeThrough = true) =>
        InWritersTurn<Result<Machine>>(async () =>
        {
            var existing = (facts.Uuid != null ? _index.FindByUuid(facts.Uuid) : null) ?? macs.Select(FindByMac).FirstOrDefault(m => m != null);
            if (existing != null && existing.State != MachineState.Discovered)
                return Result.Ok(existing, "already assigned");
            // MACs another machine holds stay with it: a report cannot take a NIC from a machine.
            var added = macs.Where(m => !_index.HoldsMac(m)).ToList();
            if (MachineLifecycle.TooManyMacs(existing?.Macs ?? [], existing == null ? macs : added) is { } tooMany)
                return tooMany;
            var machine = existing == null
                ? MachineLifecycle.Discovered(macs, facts, address, now)
                : MachineLifecycle.Reported(existing, added, facts, address, now);
            var detail = existing == null ? $"discovered with {string.Join(", ", machine.Macs)}" : $"reported {string.Join(", ", macs)}";
            if (!writeThrough)
            {
                _index.Put(machine, existing);
                _behind.Whole(machine.Id);
                _behind.Note(machine.Id, "discovered", detail, address, now);
                return Result.Ok(machine, detail);
            }
            await Written(machine, existing, ("discovered", detail, address), now);
            if (existing == null)
                await TrimDiscovered();
            return Result.Ok(machine, detail);
        });

    /// <summary>Gives a machine (known or not) its job; a new random token replaces the old one. A MAC no NIC can have is refused.</summary>
    public async Task<Result<Machine>> AssignAsync(string mac, Assignment assignment, string? address, DateTimeOffset now)
    {
        if (MacAddress.NotANic(mac) is { } problem)
            return problem;
        return await InWritersTurn(async () =>
        {
            var existing = FindByMac(mac);
            var (machine, detail) = MachineLifecycle.Assigned(existing, mac, assignment, now);
            return Result.Ok(await Written(machine, existing, ("assigned", detail, address), now), detail);
        });
    }

    /// <summary>Sets what the PXE server does for a machine (known or not: a machine another server owns may never have asked us).</summary>
    public async Task<Result<Machine>> SetPxeAsync(string mac, string setting, string? address, DateTimeOffset now)
    {
        if (MacAddress.NotANic(mac) is { } problem)
            return problem;
        if (!PxeSetting.All.Contains(setting))
            return Problem.Invalid($"pxe: '{LogText.Escape(setting)}' is not {string.Join(", ", PxeSetting.All.SkipLast(1))} or {PxeSetting.All[^1]}");
        return await InWritersTurn(async () =>
        {
            var existing = FindByMac(mac);
            var (machine, detail) = MachineLifecycle.WithPxe(existing, mac, setting, now);
            return Result.Ok(await Written(machine, existing, ("pxe-setting", detail, address), now), $"pxe {detail}");
        });
    }

    /// <summary>Sends a machine round again: back to discovered, its assignment and token gone, its facts and log kept.</summary>
    public Task<Machine?> ResetAsync(string mac, string? address, DateTimeOffset now) =>
        InWritersTurn(async () => FindByMac(mac) is { } existing
            ? await Written(MachineLifecycle.Reset(existing), existing, ("reset", "back to discovered", address), now)
            : null);

    public Task<bool> DeleteAsync(string mac) =>
        InWritersTurn(async () =>
        {
            if (FindByMac(mac) is not { } existing)
                return false;
            await _store.DeleteAsync(existing.Id);
            _index.Remove(existing);
            Announce();
            return true;
        });

    /// <summary>Applies a machine's status report (the caller checked its token and the report's fields).</summary>
    public Task<Machine> ReportAsync(Machine machine, StatusReport report, string? address, DateTimeOffset now) =>
        InWritersTurn(async () =>
        {
            var current = FindById(machine.Id) ?? machine;
            var (updated, detail) = MachineLifecycle.AfterReport(current, report, address, now);
            _timeline.Mark(current.Id, BootTimeline.Status, now);
            return await Written(updated, current, ("status", detail, address), now);
        });

    /// <summary>
    /// A boot script went to the machine (see <see cref="MachineLifecycle.AfterScript"/>). Written
    /// behind, so serving the script never waits for the database.
    /// </summary>
    public void ScriptServed(Machine machine, string what, string? address, DateTimeOffset now)
    {
        var current = FindById(machine.Id) ?? machine;
        // Outside the writers' turn: a machine replaced meanwhile (a reload, a new assignment) stays as it is now.
        if (MachineLifecycle.AfterScript(current, address, now) is { } served && _index.PutIfUnchanged(served, current))
            _behind.Touched(current.Id);
        _behind.Note(current.Id, "script", what, address, now);
        _timeline.Mark(current.Id, BootTimeline.Script, now);
    }

    /// <summary>The PXE server answered the machine with <paramref name="what"/>: a line of its boot log, the first phase of its boot.</summary>
    public void PxeAnswered(string mac, string what, DateTimeOffset now)
    {
        if (FindByMac(mac) is not { } machine)
            return;
        _behind.Note(machine.Id, "pxe", what, null, now);
        _timeline.Mark(machine.Id, BootTimeline.Offer, now);
    }

    /// <summary>A boot program went to <paramref name="address"/> over TFTP: the machine with that MAC, else the one last seen there, notes it.</summary>
    public void TftpSent(string? mac, string address, string what, DateTimeOffset now)
    {
        if (((mac == null ? null : FindByMac(mac)) ?? _index.FindByAddress(address)) is not { } machine)
            return;
        _behind.Note(machine.Id, "tftp", what, address, now);
        _timeline.Mark(machine.Id, BootTimeline.Tftp, now, measured: true);
    }

    /// <summary>The service acted on the machine through its BMC (<paramref name="what"/>: power on, next boot from network): a line of its boot log.</summary>
    public void BmcActed(string mac, string what, DateTimeOffset now)
    {
        if (FindByMac(mac) is { } machine)
            _behind.Note(machine.Id, "bmc", what, null, now);
    }

    /// <summary>A kernel or image was fetched from <paramref name="address"/>: the boot log of the machine last seen there notes it.</summary>
    public void Fetched(string? address, string what, DateTimeOffset now)
    {
        if (address != null && _index.FindByAddress(address) is { } machine)
        {
            _behind.Note(machine.Id, "fetch", what, address, now);
            if (what.StartsWith("kernel ", StringComparison.Ordinal))
                _timeline.Mark(machine.Id, BootTimeline.Kernel, now);
        }
    }

    public Task<IReadOnlyList<MachineEvent>> EventsAsync(Machine machine) => _store.EventsAsync(machine.Id);

    public IReadOnlyList<Profile> Profiles
    {
        get
        {
            lock (_profilesLock)
                return _profiles.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        }
    }

    public Profile? FindProfile(string name)
    {
        lock (_profilesLock)
            return _profiles.GetValueOrDefault(name);
    }

    /// <summary>The answer-file template of the machine's profile, if it has one.</summary>
    public string? AnswerTemplateOf(Machine machine) =>
        machine.Assignment?.Profile is { } name ? FindProfile(name)?.AnswerTemplate : null;

    public Task SaveProfileAsync(Profile profile) =>
        InWritersTurn(async () =>
        {
            await _store.SaveProfileAsync(profile);
            lock (_profilesLock)
                _profiles[profile.Name] = profile;
            Announce();
        });

    public Task<bool> DeleteProfileAsync(string name) =>
        InWritersTurn(async () =>
        {
            var gone = await _store.DeleteProfileAsync(name);
            lock (_profilesLock)
                _profiles.Remove(name);
            Announce();
            return gone;
        });

    private void SetProfiles(IEnumerable<Profile> profiles)
    {
        lock (_profilesLock)
        {
            _profiles.Clear();
            foreach (var profile in profiles)
                _profiles[profile.Name] = profile;
        }
    }

    /// <summary>Writes what boots changed since the last flush (the tests and shutdown call it; a timer does too).</summary>
    public Task FlushAsync() => _behind.FlushAsync();

    /// <summary>Writes a machine through with one event, then serves it and tells other processes.</summary>
    private async Task<Machine> Written(Machine machine, Machine? previous, (string Kind, string Detail, string? Address) change, DateTimeOffset now)
    {
        await _store.SaveAsync(machine, [change], now);
        _index.Put(machine, previous);
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

    /// <summary>Drops the discovered machines seen longest ago beyond the bound (the caller holds the writers' turn).</summary>
    private async Task TrimDiscovered()
    {
        // A PXE setting is an operator's word about the machine: it is kept, however long ago the machine was seen.
        var discovered = _index.All.Where(m => m.State == MachineState.Discovered && m.Pxe == PxeSetting.Answer).ToList();
        if (discovered.Count <= _maxDiscovered)
            return;
        var oldest = discovered.OrderBy(m => m.LastSeen).ThenBy(m => m.Id, StringComparer.Ordinal).Take(discovered.Count - _maxDiscovered).ToList();
        await _store.TrimDiscoveredAsync(oldest.Select(m => m.Id).ToList());
        foreach (var machine in oldest)
            _index.Remove(machine);
    }

    public async ValueTask DisposeAsync()
    {
        _signal?.Dispose();
        await _behind.DisposeAsync();
    }
}
