using DbUp;
using DbUp.Builder;
using DbUp.Engine;
using DbUp.Engine.Output;

namespace Bootstrap.Builder.Storage.Database;

/// <summary>A migration script failed; the database is left as the last script that succeeded made it.</summary>
public sealed class MigrationException(string message, Exception? inner) : Exception(message, inner);

/// <summary>
/// Brings a database to the current schema with DbUp: the numbered scripts of
/// <c>db/migrations/</c> (embedded, run in name order, each in its own transaction), with DbUp's
/// journal table <c>SchemaVersions</c> recording which ran, on SQLite or PostgreSQL: one set of
/// scripts, written for SQLite, that <see cref="ForPostgres"/> adapts.
/// </summary>
public static partial class Migrations
{
    private const string ResourcePrefix = "Bootstrap.Migrations.";

    /// <summary>The scripts this release knows, in the order they run (e.g. <c>0001_provision.sql</c>).</summary>
    public static IReadOnlyList<string> Scripts { get; } = typeof(Migrations).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..])
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// Applies the scripts <paramref name="database"/> has not run yet, up to <paramref name="upTo"/>
    /// if given; returns their names. Instances starting together take turns, so each script runs
    /// once: on SQLite through a lock file beside the database, on PostgreSQL through an advisory lock.
    /// </summary>
    internal static IReadOnlyList<string> Apply(BootstrapDatabase database, string connectionString, Action<string>? log, string? upTo)
    {
        bool Wanted(string name) => name.StartsWith(ResourcePrefix, StringComparison.Ordinal)
            && (upTo == null || string.CompareOrdinal(name[ResourcePrefix.Length..], upTo) <= 0);
        using var turn = TakeTurn(database);
        if (database.SqlitePath != null)
        {
            var applied = Run(DeployChanges.To.SqliteDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(typeof(Migrations).Assembly, Wanted), database, log);
            // Write-ahead logging: readers never wait for the writer, and a commit is one synced append
            // (synchronous stays FULL: an answered assignment survives a power cut).
            using var db = database.Open();
            using var wal = db.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL";
            wal.ExecuteNonQuery();
            return applied;
        }
        try
        {
            return Run(DeployChanges.To.PostgresqlDatabase(connectionString)
                .WithScriptsEmbeddedInAssembly(typeof(Migrations).Assembly, Wanted)
                .WithPreprocessor(new ForPostgres()), database, log);
        }
        finally
        {
            // DbUp connects through Npgsql's global pool, which would keep its idle connection
            // for minutes: the migrations are done, so it goes now.
            using var dbUps = new Npgsql.NpgsqlConnection(connectionString);
            Npgsql.NpgsqlConnection.ClearPool(dbUps);
        }
    }

    /// <summary>
    /// The site-wide turn instances take at start (migrations, the first admin-session key): on
    /// SQLite a lock file beside the database, on PostgreSQL an advisory lock held by a connection.
    /// </summary>
    internal static IDisposable TakeTurn(BootstrapDatabase database)
    {
        if (database.SqlitePath is { } path)
            return FileLock.Take(path + ".migrations.lock", TimeSpan.FromSeconds(60));
        var holder = database.Open();
        using var take = holder.CreateCommand();
        take.CommandText = $"SELECT pg_advisory_lock({AdvisoryLockKey})";
        take.CommandTimeout = 120;
        take.ExecuteNonQuery();
        return new AdvisoryLock(holder);
    }

    private sealed class AdvisoryLock(System.Data.Common.DbConnection holder) : IDisposable
    {
        public void Dispose()
        {
            using (var release = holder.CreateCommand())
            {
                release.CommandText = $"SELECT pg_advisory_unlock({AdvisoryLockKey})";
                release.ExecuteNonQuery();
            }
            holder.Dispose();
        }
    }

    /// <summary>Ours among PostgreSQL's advisory locks ("bootstrap" in ASCII, as a number).</summary>
    private const long AdvisoryLockKey = 0x626f6f7473747270;

    private static IReadOnlyList<string> Run(UpgradeEngineBuilder builder, BootstrapDatabase database, Action<string>? log)
    {
        var result = builder.WithTransactionPerScript().LogTo(new Log(log)).Build().PerformUpgrade();
        if (!result.Successful)
            throw new MigrationException(
                $"database {database.Name}: migration {result.ErrorScript?.Name[ResourcePrefix.Length..]} failed: {result.Error?.Message}", result.Error);
        return result.Scripts.Select(s => s.Name[ResourcePrefix.Length..]).ToList();
    }

    /// <summary>
    /// The scripts are written for SQLite in plain SQL; PostgreSQL takes them with four changes:
    /// INTEGER is BIGINT (SQLite's integers are 64-bit, and the stores read them as long), an
    /// INTEGER PRIMARY KEY is an identity column (SQLite's rowid alias), BLOB is BYTEA, and the parts between
    /// <c>-- sqlite only {</c> and <c>-- }</c> (moving a 0-bootstrap database's rows, which only a
    /// SQLite file can hold) are left out.
    /// </summary>
    internal sealed partial class ForPostgres : IScriptPreprocessor
    {
        public string Process(string contents) =>
            Blob().Replace(Integer().Replace(IntegerKey().Replace(SqliteOnly().Replace(contents, ""), "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"), "BIGINT"), "BYTEA");

        [System.Text.RegularExpressions.GeneratedRegex(@"^-- sqlite only \{$.*?^-- \}$", System.Text.RegularExpressions.RegexOptions.Multiline | System.Text.RegularExpressions.RegexOptions.Singleline)]
        private static partial System.Text.RegularExpressions.Regex SqliteOnly();

        [System.Text.RegularExpressions.GeneratedRegex(@"\bINTEGER PRIMARY KEY\b")]
        private static partial System.Text.RegularExpressions.Regex IntegerKey();

        [System.Text.RegularExpressions.GeneratedRegex(@"\bINTEGER\b")]
        private static partial System.Text.RegularExpressions.Regex Integer();

        [System.Text.RegularExpressions.GeneratedRegex(@"\bBLOB\b")]
        private static partial System.Text.RegularExpressions.Regex Blob();
    }

    /// <summary>DbUp's progress lines go to the caller's log (the service's start-up log), errors included.</summary>
    private sealed class Log(Action<string>? write) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) { }
        public void LogDebug(string format, params object[] args) { }
        public void LogInformation(string format, params object[] args) => write?.Invoke(string.Format(format, args));
        public void LogWarning(string format, params object[] args) => write?.Invoke(string.Format(format, args));
        public void LogError(string format, params object[] args) => write?.Invoke(string.Format(format, args));
        public void LogError(Exception ex, string format, params object[] args) => write?.Invoke(string.Format(format, args));
    }
}
