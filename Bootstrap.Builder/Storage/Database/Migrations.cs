using DbUp;
using DbUp.Engine.Output;

namespace Bootstrap.Builder.Storage.Database;

/// <summary>A migration script failed; the database is left as the last script that succeeded made it.</summary>
public sealed class MigrationException(string message, Exception? inner) : Exception(message, inner);

/// <summary>
/// Brings a database to the current schema with DbUp: the numbered scripts of
/// <c>db/migrations/</c> (embedded, run in name order, each in its own transaction), with DbUp's
/// journal table <c>SchemaVersions</c> recording which ran. Scripts are plain SQL that PostgreSQL
/// also accepts where SQLite allows it.
/// </summary>
public static class Migrations
{
    private const string ResourcePrefix = "Bootstrap.Migrations.";

    /// <summary>The scripts this release knows, in the order they run (e.g. <c>0001_provision.sql</c>).</summary>
    public static IReadOnlyList<string> Scripts { get; } = typeof(Migrations).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..])
        .Order(StringComparer.Ordinal)
        .ToList();

    /// <summary>
    /// Applies the scripts a SQLite database has not run yet; returns their names. Two processes
    /// starting together on one file take turns on a lock file beside it, so each script runs once.
    /// </summary>
    public static IReadOnlyList<string> ApplySqlite(string connectionString, string databasePath, Action<string>? log = null) =>
        ApplySqlite(connectionString, databasePath, log, upTo: null);

    /// <summary>Applies the scripts up to and including <paramref name="upTo"/> only (tests make a database of an earlier release with it).</summary>
    internal static IReadOnlyList<string> ApplySqlite(string connectionString, string databasePath, Action<string>? log, string? upTo)
    {
        using var turn = FileLock.Take(databasePath + ".migrations.lock", TimeSpan.FromSeconds(60));
        var upgrader = DeployChanges.To.SqliteDatabase(connectionString)
            .WithScriptsEmbeddedInAssembly(typeof(Migrations).Assembly, name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal)
                && (upTo == null || string.CompareOrdinal(name[ResourcePrefix.Length..], upTo) <= 0))
            .WithTransactionPerScript()
            .LogTo(new Log(log))
            .Build();
        var result = upgrader.PerformUpgrade();
        if (!result.Successful)
            throw new MigrationException(
                $"database {databasePath}: migration {result.ErrorScript?.Name[ResourcePrefix.Length..]} failed: {result.Error?.Message}", result.Error);
        return result.Scripts.Select(s => s.Name[ResourcePrefix.Length..]).ToList();
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
