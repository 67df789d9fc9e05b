using System.Data.Common;
using Bootstrap.Builder.Storage.Database;
using Dapper;

namespace Bootstrap.Builder.Machines;

using Database = Bootstrap.Builder.Storage.Database;

/// <summary>
/// The machines database: machines, their MACs, their boot log and profiles (migration 0003).
/// Plain SQL over Dapper that PostgreSQL runs unchanged (no SQLite-only functions); every change
/// of one machine is one transaction. <see cref="MachineDirectory"/> keeps the copy that requests
/// read; this class only reads and writes the database.
/// </summary>
public sealed class MachineStore
{
    /// <summary>Events kept per machine; older ones are deleted as new ones arrive.</summary>
    public const int EventsPerMachine = 200;

    private readonly BootstrapDatabase _database;

    public MachineStore(BootstrapDatabase database) => _database = database;

    /// <summary>A store on the SQLite file <paramref name="databasePath"/>.</summary>
    public MachineStore(string databasePath) : this(BootstrapDatabase.Sqlite(databasePath))
    {
    }

    public BootstrapDatabase Database => _database;

    /// <summary>Runs the migrations this database has not run yet (<see cref="Migrations"/>); returns their names.</summary>
    public IReadOnlyList<string> Migrate(Action<string>? log = null) => _database.Migrate(log);

    private const string MachineColumns =
        "id, uuid, serial, manufacturer, product, asset, platform, arch, ip, inventory, state, network, farmer, args, kernel, profile, " +
        "hostname, then_boot, token, progress, message, first_seen, last_seen, first_address, last_address, asks, menu, pxe";

    /// <summary>Every machine with its MACs (the service loads them once at start).</summary>
    public async Task<IReadOnlyList<Machine>> AllAsync()
    {
        await using var db = Open();
        var rows = await db.QueryAsync<MachineRow>($"SELECT {MachineColumns} FROM machines");
        var macs = (await db.QueryAsync<(string Mac, string MachineId)>("SELECT mac, machine_id FROM machine_macs ORDER BY machine_id, position"))
            .GroupBy(m => m.MachineId).ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(m => m.Mac).ToList());
        return rows.Where(r => macs.ContainsKey(r.id)).Select(r => r.ToMachine(macs[r.id])).ToList();
    }

    /// <summary>Writes <paramref name="machine"/> whole (insert or replace), its MACs and, if given, events, in one transaction.</summary>
    public async Task SaveAsync(Machine machine, IEnumerable<(string Kind, string Detail, string? Address)>? events = null, DateTimeOffset? at = null)
    {
        await using var db = Open();
        await using var tx = await db.BeginTransactionAsync();
        await UpsertWithMacs(db, tx, machine);
        foreach (var e in events ?? [])
            await AddEvent(db, tx, machine.Id, at ?? Database.Clock.GetUtcNow(), e.Kind, e.Detail, e.Address);
        await tx.CommitAsync();
    }

    /// <summary>
    /// What boots write, many at once in one transaction. None of it may undo a change another
    /// process (the CLI, another instance) wrote meanwhile, so each write is guarded:
    /// <list type="bullet">
    /// <item><paramref name="discovered"/>: machines found by polls, inserted if new, else their
    /// facts and MACs merged only while the row is still discovered; a MAC another machine holds
    /// stays with it.</item>
    /// <item><paramref name="machines"/>: last seen, asks and the assigned → provisioning step, only
    /// while the row still has the same token (the same assignment, or none).</item>
    /// <item>the boot log, kept to <see cref="EventsPerMachine"/> per machine.</item>
    /// </list>
    /// </summary>
    public async Task SaveBatchAsync(IReadOnlyCollection<Machine> machines, IReadOnlyCollection<(string MachineId, DateTimeOffset At, string Kind, string Detail, string? Address)> events,
        IReadOnlyCollection<Machine>? discovered = null)
    {
        await using var db = Open();
        await using var tx = await db.BeginTransactionAsync();
        foreach (var m in discovered ?? [])
        {
            await db.ExecuteAsync(
                $"""
                INSERT INTO machines ({MachineColumns})
                VALUES (@Id, @Uuid, @Serial, @Manufacturer, @Product, @Asset, @Platform, @Arch, @Ip, @Inventory, @State, NULL, NULL, '', NULL,
                        NULL, NULL, 'repeat', NULL, 0, NULL, @FirstSeen, @LastSeen, @FirstAddress, @LastAddress, @Asks, NULL, 'answer')
                ON CONFLICT (id) DO UPDATE SET uuid = excluded.uuid, serial = excluded.serial, manufacturer = excluded.manufacturer,
                    product = excluded.product, asset = excluded.asset, platform = excluded.platform, arch = excluded.arch, ip = excluded.ip,
                    inventory = excluded.inventory, last_seen = excluded.last_seen, last_address = excluded.last_address, asks = excluded.asks
                WHERE machines.state = 'discovered'
                """,
                new
                {
                    m.Id, m.Facts.Uuid, m.Facts.Serial, m.Facts.Manufacturer, m.Facts.Product, m.Facts.Asset, m.Facts.Platform, m.Facts.Arch,
                    m.Facts.Ip, Inventory = m.Facts.InventoryJson, State = m.State.Name(), FirstSeen = Time(m.FirstSeen), LastSeen = Time(m.LastSeen),
                    m.FirstAddress, m.LastAddress, m.Asks,
                }, tx);
            for (var i = 0; i < m.Macs.Count; i++)
                await db.ExecuteAsync("INSERT INTO machine_macs (mac, machine_id, position) VALUES (@mac, @id, @i) ON CONFLICT (mac) DO NOTHING",
                    new { mac = m.Macs[i], id = m.Id, i }, tx);
        }
        foreach (var m in machines)
            await db.ExecuteAsync(
                "UPDATE machines SET state = @State, last_seen = @LastSeen, last_address = @LastAddress, asks = @Asks " +
                "WHERE id = @Id AND coalesce(token, '') = @Token",
                new { m.Id, State = m.State.Name(), LastSeen = Time(m.LastSeen), m.LastAddress, m.Asks, Token = m.Token ?? "" }, tx);
        foreach (var e in events)
            await InsertEvent(db, tx, e.MachineId, e.At, e.Kind, e.Detail, e.Address);
        foreach (var machineId in events.Select(e => e.MachineId).Distinct())
            await TrimEvents(db, tx, machineId);
        await tx.CommitAsync();
    }

    /// <summary>Deletes a machine, its MACs and its boot log; false when it did not exist.</summary>
    public async Task<bool> DeleteAsync(string id)
    {
        await using var db = Open();
        await using var tx = await db.BeginTransactionAsync();
        var gone = await db.ExecuteAsync("DELETE FROM machines WHERE id = @id", new { id }, tx);
        await db.ExecuteAsync("DELETE FROM machine_macs WHERE machine_id = @id", new { id }, tx);
        await db.ExecuteAsync("DELETE FROM machine_events WHERE machine_id = @id", new { id }, tx);
        await tx.CommitAsync();
        return gone > 0;
    }

    /// <summary>Deletes the given machines if they are still only discovered (the bound on discovered machines), with their MACs and logs.</summary>
    public async Task TrimDiscoveredAsync(IReadOnlyCollection<string> ids)
    {
        await using var db = Open();
        await using var tx = await db.BeginTransactionAsync();
        foreach (var id in ids)
        {
            await db.ExecuteAsync("DELETE FROM machines WHERE id = @id AND state = @state", new { id, state = MachineState.Discovered.Name() }, tx);
            await db.ExecuteAsync("DELETE FROM machine_macs WHERE machine_id = @id AND NOT EXISTS (SELECT 1 FROM machines WHERE id = @id)", new { id }, tx);
            await db.ExecuteAsync("DELETE FROM machine_events WHERE machine_id = @id AND NOT EXISTS (SELECT 1 FROM machines WHERE id = @id)", new { id }, tx);
        }
        await tx.CommitAsync();
    }

    /// <summary>The machine's boot log, newest first.</summary>
    public async Task<IReadOnlyList<MachineEvent>> EventsAsync(string id, int limit = EventsPerMachine)
    {
        await using var db = Open();
        return (await db.QueryAsync<(long Id, string At, string Kind, string Detail, string? Address)>(
                "SELECT id, at, kind, detail, address FROM machine_events WHERE machine_id = @id ORDER BY at DESC, id DESC LIMIT @limit", new { id, limit }))
            .Select(e => new MachineEvent(e.Id, DateTimeOffset.Parse(e.At), e.Kind, e.Detail, e.Address)).ToList();
    }

    public async Task<IReadOnlyList<Profile>> ProfilesAsync()
    {
        await using var db = Open();
        return (await db.QueryAsync<ProfileRow>(
            "SELECT name, network, farmer, args, kernel, then_boot, answer_template, updated FROM profiles ORDER BY name")).Select(p => p.ToProfile()).ToList();
    }

    public async Task SaveProfileAsync(Profile profile)
    {
        await using var db = Open();
        await db.ExecuteAsync(
            """
            INSERT INTO profiles (name, network, farmer, args, kernel, then_boot, answer_template, updated)
            VALUES (@Name, @Network, @Farmer, @Args, @Kernel, @Then, @AnswerTemplate, @Updated)
            ON CONFLICT (name) DO UPDATE SET network = excluded.network, farmer = excluded.farmer, args = excluded.args,
                kernel = excluded.kernel, then_boot = excluded.then_boot, answer_template = excluded.answer_template, updated = excluded.updated
            """, new { profile.Name, profile.Network, profile.Farmer, profile.Args, profile.Kernel, profile.Then, profile.AnswerTemplate, Updated = Time(profile.Updated) });
    }

    public async Task<bool> DeleteProfileAsync(string name)
    {
        await using var db = Open();
        return await db.ExecuteAsync("DELETE FROM profiles WHERE name = @name", new { name }) > 0;
    }

    /// <summary>True when the database opens and answers a query.</summary>
    public async Task<bool> IsUsableAsync()
    {
        try
        {
            await using var db = Open();
            await db.ExecuteScalarAsync<long>("SELECT count(*) FROM machines");
            return true;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            return false;
        }
    }

    private static async Task UpsertWithMacs(DbConnection db, DbTransaction tx, Machine machine)
    {
        await Upsert(db, tx, machine);
        await db.ExecuteAsync("DELETE FROM machine_macs WHERE machine_id = @Id", new { machine.Id }, tx);
        for (var i = 0; i < machine.Macs.Count; i++)
            await db.ExecuteAsync("INSERT INTO machine_macs (mac, machine_id, position) VALUES (@mac, @id, @i)",
                new { mac = machine.Macs[i], id = machine.Id, i }, tx);
    }

    private static async Task Upsert(DbConnection db, DbTransaction tx, Machine m)
    {
        var a = m.Assignment;
        await db.ExecuteAsync(
            $"""
            INSERT INTO machines ({MachineColumns})
            VALUES (@Id, @Uuid, @Serial, @Manufacturer, @Product, @Asset, @Platform, @Arch, @Ip, @Inventory, @State, @Network, @Farmer, @Args, @Kernel,
                    @Profile, @Hostname, @Then, @Token, @Progress, @Message, @FirstSeen, @LastSeen, @FirstAddress, @LastAddress, @Asks, @Menu, @Pxe)
            ON CONFLICT (id) DO UPDATE SET uuid = excluded.uuid, serial = excluded.serial, manufacturer = excluded.manufacturer,
                product = excluded.product, asset = excluded.asset, platform = excluded.platform, arch = excluded.arch, ip = excluded.ip,
                inventory = excluded.inventory, state = excluded.state, network = excluded.network, farmer = excluded.farmer,
                args = excluded.args, kernel = excluded.kernel, profile = excluded.profile, hostname = excluded.hostname,
                then_boot = excluded.then_boot, token = excluded.token, progress = excluded.progress, message = excluded.message,
                first_seen = excluded.first_seen, last_seen = excluded.last_seen, first_address = excluded.first_address,
                last_address = excluded.last_address, asks = excluded.asks, menu = excluded.menu, pxe = excluded.pxe
            """,
            new
            {
                m.Id, m.Facts.Uuid, m.Facts.Serial, m.Facts.Manufacturer, m.Facts.Product, m.Facts.Asset, m.Facts.Platform, m.Facts.Arch, m.Facts.Ip,
                Inventory = m.Facts.InventoryJson, State = m.State.Name(), a?.Network, a?.Farmer, Args = a?.Args ?? "", a?.Kernel, a?.Profile, a?.Hostname,
                Then = a?.Then ?? ThenBoot.Repeat, m.Token, m.Progress, m.Message, FirstSeen = Time(m.FirstSeen), LastSeen = Time(m.LastSeen),
                m.FirstAddress, m.LastAddress, m.Asks, a?.Menu, m.Pxe,
            }, tx);
    }

    private static async Task AddEvent(DbConnection db, DbTransaction tx, string machineId, DateTimeOffset at, string kind, string detail, string? address)
    {
        await InsertEvent(db, tx, machineId, at, kind, detail, address);
        await TrimEvents(db, tx, machineId);
    }

    private static Task InsertEvent(DbConnection db, DbTransaction tx, string machineId, DateTimeOffset at, string kind, string detail, string? address) =>
        db.ExecuteAsync("INSERT INTO machine_events (machine_id, at, kind, detail, address) VALUES (@machineId, @at, @kind, @detail, @address)",
            new { machineId, at = Time(at), kind, detail, address }, tx);

    /// <summary>The log stays bounded: the oldest events of this machine past the bound go.</summary>
    private static async Task TrimEvents(DbConnection db, DbTransaction tx, string machineId)
    {
        await db.ExecuteAsync(
            "DELETE FROM machine_events WHERE machine_id = @machineId AND id <= " +
            "(SELECT id FROM machine_events WHERE machine_id = @machineId ORDER BY id DESC LIMIT 1 OFFSET @keep)",
            new { machineId, keep = EventsPerMachine }, tx);
    }

    internal static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("O");

    private DbConnection Open() => _database.Open();

    /// <summary>A machines row as stored (column names as in the table, read by Dapper).</summary>
    private sealed record MachineRow(
        string id, string? uuid, string? serial, string? manufacturer, string? product, string? asset, string? platform, string? arch,
        string? ip, string? inventory, string state, string? network, string? farmer, string args, string? kernel, string? profile, string? hostname,
        string then_boot, string? token, long progress, string? message, string first_seen, string last_seen, string? first_address,
        string? last_address, long asks, string? menu, string pxe)
    {
        public Machine ToMachine(IReadOnlyList<string> macs) => new(id, macs, new Facts(uuid, serial, manufacturer, product, asset, platform, arch, inventory, ip))
        {
            State = MachineStates.Parse(state) ?? throw new InvalidDataException($"machine {id} has an unknown state '{state}'"),
            Assignment = network == null ? null : new Assignment(network, farmer, args, kernel, profile, hostname, then_boot, menu),
            Token = token, Progress = (int)progress, Message = message, FirstSeen = DateTimeOffset.Parse(first_seen), LastSeen = DateTimeOffset.Parse(last_seen),
            FirstAddress = first_address, LastAddress = last_address, Asks = asks, Pxe = pxe,
        };
    }

    private sealed record ProfileRow(
        string name, string network, string? farmer, string args, string? kernel, string then_boot, string? answer_template, string updated)
    {
        public Profile ToProfile() => new(name, network, farmer, args, kernel, then_boot, answer_template, DateTimeOffset.Parse(updated));
    }
}
