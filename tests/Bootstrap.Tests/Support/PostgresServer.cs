using Npgsql;

namespace Bootstrap.Tests.Support;

/// <summary>
/// One private PostgreSQL server for the test run (setup/postgres.sh, Debian's package, 127.0.0.1
/// only), stopped and deleted when the run ends; each test takes a database of its own.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static int _databases;
    private readonly string _folder = Directory.CreateTempSubdirectory("bootstrap-pg-").FullName;
    private readonly string _script = Path.Combine(RepoRoot.Path, "setup", "postgres.sh");

    /// <summary>The server's own "bootstrap" database.</summary>
    public string ConnectionString { get; }

    public PostgresServer()
    {
        ConnectionString = Tool.Ok("bash", _script, "up", _folder).Trim();
    }

    /// <summary>A new empty database on the server; its connection string.</summary>
    public string NewDatabase()
    {
        var name = $"test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        Run(ConnectionString, $"CREATE DATABASE {name}");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ToString();
    }

    /// <summary>Runs one statement (CREATE or DROP DATABASE) on the server <paramref name="connection"/> names.</summary>
    public static void Run(string connection, string statement)
    {
        using var admin = new NpgsqlConnection(connection);
        admin.Open();
        using var command = new NpgsqlCommand(statement, admin);
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        Tool.Ok("bash", _script, "down", _folder);
        Directory.Delete(_folder, recursive: true);
    }
}

[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>;
