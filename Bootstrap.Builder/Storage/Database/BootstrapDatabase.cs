using System.Data.Common;
using Npgsql;

namespace Bootstrap.Builder.Storage.Database;

/// <summary>
/// The service's database: a SQLite file (<c>bootstrap-db</c>, the embedded default, one instance)
/// or PostgreSQL (<c>"storage": "postgres"</c> and <c>postgres-connection</c>, an Npgsql connection
/// string: several instances share it). Every store runs the same SQL on either through
/// <see cref="Open"/>; <see cref="Migrate"/> brings either to the current schema.
/// </summary>
public sealed class BootstrapDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly NpgsqlDataSource? _postgres;

    private BootstrapDatabase(string engine, string connectionString, string name, string? sqlitePath, NpgsqlDataSource? postgres)
    {
        Engine = engine;
        _connectionString = connectionString;
        Name = name;
        SqlitePath = sqlitePath;
        _postgres = postgres;
    }

    /// <summary>The clock the stores stamp their rows with (the service sets its own TimeProvider at start).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>"sqlite" or "postgres".</summary>
    public string Engine { get; }

    /// <summary>For logs and /healthz: the file, or host:port/database (never the password).</summary>
    public string Name { get; }

    /// <summary>The SQLite file, or null on PostgreSQL.</summary>
    public string? SqlitePath { get; }

    public static BootstrapDatabase Sqlite(string path) => new("sqlite", SqliteFile.ConnectionString(path), path, path, null);

    /// <summary>PostgreSQL through one pooled Npgsql data source; <paramref name="connectionString"/> as Npgsql reads it.</summary>
    public static BootstrapDatabase Postgres(string connectionString)
    {
        var parsed = new NpgsqlConnectionStringBuilder(connectionString);
        return new("postgres", connectionString, $"postgres {parsed.Host}:{parsed.Port}/{parsed.Database}", null, NpgsqlDataSource.Create(connectionString));
    }

    /// <summary>The database a config names.</summary>
    public static BootstrapDatabase From(Configuration.BootstrapConfig config) =>
        config.Storage == "postgres" ? Postgres(config.PostgresConnection) : Sqlite(config.BootstrapDb);

    /// <summary>An open connection (pooled); dispose it.</summary>
    public DbConnection Open() => _postgres != null ? _postgres.OpenConnection() : SqliteFile.Open(_connectionString);

    /// <summary>
    /// The signal for changes of <paramref name="topic"/> (e.g. "machines"): on SQLite the marker file
    /// <c>&lt;database&gt;.changed</c> (the name the CLI has always written), on PostgreSQL LISTEN/NOTIFY.
    /// </summary>
    public ChangeSignal Signal(string topic, Action<string> warn) => _postgres != null
        ? new PostgresSignal(_postgres, topic, warn)
        : new MarkerFileSignal(SqlitePath + (topic == "machines" ? "" : "." + topic) + ".changed");

    /// <summary>Runs the migrations this database has not run yet (<see cref="Migrations"/>); returns their names.</summary>
    public IReadOnlyList<string> Migrate(Action<string>? log = null) => Migrations.Apply(this, _connectionString, log, upTo: null);

    /// <summary>Runs <paramref name="work"/> while no other instance of the site is in its start-up turn (the migrations' lock).</summary>
    public void InTurn(Action work)
    {
        using var turn = Migrations.TakeTurn(this);
        work();
    }

    /// <summary>Closes PostgreSQL's pooled connections (each instance, CLI run and test site has its own pool).</summary>
    public void Dispose() => _postgres?.Dispose();

    /// <summary>Migrations up to and including <paramref name="upTo"/> (tests make a database of an earlier release with it).</summary>
    internal IReadOnlyList<string> MigrateUpTo(string upTo) => Migrations.Apply(this, _connectionString, null, upTo);
}
