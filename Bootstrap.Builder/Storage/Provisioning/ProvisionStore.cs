using Bootstrap.Builder.Storage.Database;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bootstrap.Builder.Storage.Provisioning;

/// <summary>A registered machine: which network, farm and kernel arguments its MAC boots with.</summary>
public sealed record ProvisionEntry(string Mac, string Network, string Farmer, string Args);

/// <summary>A machine that asked for its boot script but is not registered yet.</summary>
public sealed record PendingMachine(string Mac, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string? RemoteAddress, long Count, string? FirstAddress = null);

public sealed class DuplicateMacException(string mac) : Exception($"MAC {mac} is already registered; delete it first");

/// <summary>
/// The provisioning database (SQLite): the table <c>provision</c> of 0-bootstrap plus the machines
/// waiting to be registered. <see cref="Migrate"/> brings the schema up to date (at every start).
/// </summary>
public sealed class ProvisionStore
{
    private readonly string _connectionString;
    private readonly string _databasePath;

    public ProvisionStore(string databasePath)
    {
        _databasePath = databasePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            // A locked database answers within 2 s; the booting machine retries, the request does not hang.
            DefaultTimeout = 2,
        }.ToString();
    }

    /// <summary>Runs the migrations this database has not run yet (<see cref="Migrations"/>); returns their names.</summary>
    public IReadOnlyList<string> Migrate(Action<string>? log = null) => Migrations.ApplySqlite(_connectionString, _databasePath, log);

    public async Task<ProvisionEntry?> FindAsync(string mac) =>
        (await Query(db => db.QuerySingleOrDefaultAsync<Row>(
            "SELECT client AS Mac, branch AS Network, zerotier AS Farmer, kargs AS Args " +
            "FROM provision WHERE client = @mac COLLATE NOCASE LIMIT 1", new { mac })))?.Entry;

    public async Task<IReadOnlyList<ProvisionEntry>> ListAsync() =>
        (await Query(db => db.QueryAsync<Row>(
            "SELECT client AS Mac, branch AS Network, zerotier AS Farmer, kargs AS Args FROM provision ORDER BY client"))).Select(r => r.Entry).ToList();

    /// <summary>
    /// A row as stored: 0-bootstrap leaves kargs NULL when there are none. (Read as the columns'
    /// declared types: an expression such as coalesce() has none, and on an empty table SQLite
    /// reports it as a blob, which no record constructor takes.)
    /// </summary>
    private sealed record Row(string Mac, string Network, string Farmer, string? Args)
    {
        public ProvisionEntry Entry => new(Mac, Network, Farmer, Args ?? "");
    }

    /// <summary>Registers a machine and drops it from the pending list; a MAC registered already is refused.</summary>
    public async Task AddAsync(ProvisionEntry entry)
    {
        await using var db = Open();
        await using var tx = await db.BeginTransactionAsync();
        var exists = await db.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM provision WHERE client = @Mac COLLATE NOCASE", entry, tx);
        if (exists > 0)
            throw new DuplicateMacException(entry.Mac);
        await db.ExecuteAsync("INSERT INTO provision (client, branch, zerotier, kargs) VALUES (@Mac, @Network, @Farmer, @Args)", entry, tx);
        await db.ExecuteAsync("DELETE FROM provision_pending WHERE mac = @Mac", entry, tx);
        await tx.CommitAsync();
    }

    /// <summary>Removes a registration; false when the MAC was not registered.</summary>
    public async Task<bool> DeleteAsync(string mac) =>
        await Query(db => db.ExecuteAsync("DELETE FROM provision WHERE client = @mac COLLATE NOCASE", new { mac })) > 0;

    /// <summary>
    /// Notes that an unregistered MAC asked: first and last time, first and last address, how
    /// often. A new entry beyond <paramref name="maxPending"/> pushes out the ones seen longest ago.
    /// </summary>
    public async Task RecordUnknownAsync(string mac, string? remoteAddress, DateTimeOffset now, int maxPending = int.MaxValue)
    {
        await using var db = Open();
        // One transaction, so a new machine and the trim it may cause cost one commit.
        await using var tx = await db.BeginTransactionAsync();
        var count = await db.ExecuteScalarAsync<long>(
            """
            INSERT INTO provision_pending (mac, first_seen, last_seen, remote_address, first_address, count)
            VALUES (@mac, @now, @now, @remoteAddress, @remoteAddress, 1)
            ON CONFLICT (mac) DO UPDATE SET last_seen = @now, remote_address = @remoteAddress, count = provision_pending.count + 1
            RETURNING count
            """, new { mac, now = now.ToString("O"), remoteAddress }, tx);
        if (count == 1 && maxPending < int.MaxValue
            && await db.ExecuteScalarAsync<long>("SELECT count(*) FROM provision_pending", transaction: tx) > maxPending)
            await db.ExecuteAsync(
                "DELETE FROM provision_pending WHERE mac NOT IN (SELECT mac FROM provision_pending ORDER BY last_seen DESC, mac LIMIT @maxPending)",
                new { maxPending }, tx);
        await tx.CommitAsync();
    }

    public async Task<IReadOnlyList<PendingMachine>> PendingAsync() =>
        (await Query(db => db.QueryAsync<(string Mac, string FirstSeen, string LastSeen, string? RemoteAddress, long Count, string? FirstAddress)>(
            "SELECT mac, first_seen, last_seen, remote_address, count, first_address FROM provision_pending ORDER BY last_seen DESC")))
        .Select(r => new PendingMachine(r.Mac, DateTimeOffset.Parse(r.FirstSeen), DateTimeOffset.Parse(r.LastSeen), r.RemoteAddress, r.Count, r.FirstAddress))
        .ToList();

    /// <summary>True when the database opens and answers a query.</summary>
    public async Task<bool> IsUsableAsync()
    {
        try
        {
            await Query(db => db.ExecuteScalarAsync<long>("SELECT count(*) FROM provision"));
            return true;
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    private SqliteConnection Open()
    {
        var db = new SqliteConnection(_connectionString);
        db.Open();
        return db;
    }

    private async Task<T> Query<T>(Func<SqliteConnection, Task<T>> action)
    {
        await using var db = Open();
        return await action(db);
    }
}
