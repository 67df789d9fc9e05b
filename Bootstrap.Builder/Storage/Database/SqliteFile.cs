using Microsoft.Data.Sqlite;

namespace Bootstrap.Builder.Storage.Database;

/// <summary>How every store opens the service's SQLite file.</summary>
public static class SqliteFile
{
    public static string ConnectionString(string databasePath) => new SqliteConnectionStringBuilder
    {
        DataSource = databasePath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        // A locked database answers within 2 s; the booting machine retries, the request does not hang.
        DefaultTimeout = 2,
    }.ToString();

    public static SqliteConnection Open(string connectionString)
    {
        var db = new SqliteConnection(connectionString);
        db.Open();
        return db;
    }
}
