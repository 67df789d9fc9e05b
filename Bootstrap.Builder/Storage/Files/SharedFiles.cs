using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Security.Cryptography;
using Bootstrap.Builder.Storage.Database;
using Dapper;

namespace Bootstrap.Builder.Storage.Files;

/// <summary>
/// Files every instance shares (migration 0008): each stored once in the database by its sha256,
/// in chunks of <see cref="ChunkBytes"/>, and copied to this instance's disk at
/// <c>&lt;folder&gt;/&lt;sha256&gt;</c> the first time it is served here. Uploads stream (hashed on
/// the way, never held in memory) inside one transaction, so a failed upload leaves nothing; the
/// instance that uploads keeps its copy at once. Concurrent first requests for a file fetch it once.
/// Files are immutable by their hash, so a copy on disk never goes stale and every instance serves
/// the same bytes under the same ETag. A change of what is stored is announced on the "files"
/// channel in the writer's transaction; instances that <see cref="Listen"/> delete their copies of
/// files dropped elsewhere.
/// </summary>
public sealed class SharedFiles : IDisposable
{
    /// <summary>The change channel's topic (<see cref="PostgresSignal"/>).</summary>
    public const string Topic = "files";

    /// <summary>Bytes per database row: big enough for few rows, small enough for Npgsql's buffers.</summary>
    public const int ChunkBytes = 1024 * 1024;

    private readonly BootstrapDatabase _database;
    private readonly string _folder;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _fetching = new();
    private long _fetches;
    private ChangeSignal? _changes;

    /// <summary>Raised when any process stored or dropped a file, or changed which catalogue file names one (<see cref="Listen"/>).</summary>
    public event Action? Changed;

    /// <summary>The shared files of a config on PostgreSQL (copies in <c>shared-files-path</c>); null on SQLite, whose files stay in folders.</summary>
    public static SharedFiles? For(Configuration.BootstrapConfig config, BootstrapDatabase database) =>
        database.Engine == "postgres" ? new SharedFiles(database, config.SharedFilesPath) : null;

    public SharedFiles(BootstrapDatabase database, string folder)
    {
        _database = database;
        _folder = Path.GetFullPath(folder);
    }

    /// <summary>This instance's copies, one file per hash.</summary>
    public string Folder => _folder;

    /// <summary>Files this instance copied from the database since it started (each hash once).</summary>
    public long Fetches => Interlocked.Read(ref _fetches);

    /// <summary>
    /// Stores <paramref name="content"/> (at most <paramref name="maxBytes"/>, else
    /// <paramref name="tooLarge"/> is thrown and nothing is kept), then runs
    /// <paramref name="record"/> with its hash and size in the same transaction, so the file and
    /// what names it appear together. Content already stored is not stored twice. The hash
    /// <paramref name="record"/> returns, the file its record named before, is dropped after the
    /// commit if nothing names it any more.
    /// </summary>
    public async Task<(string Sha256, long Size)> PutAsync(Stream content, long maxBytes, Func<Exception> tooLarge,
        Func<DbConnection, DbTransaction, string, long, Task<string?>> record, CancellationToken cancel)
    {
        var (sha256, size, replaced) = await StoreAsync(content, maxBytes, tooLarge, record, cancel);
        if (replaced != null && replaced != sha256)
            await DropIfUnusedAsync(replaced);
        return (sha256, size);
    }

    private async Task<(string Sha256, long Size, string? Replaced)> StoreAsync(Stream content, long maxBytes, Func<Exception> tooLarge,
        Func<DbConnection, DbTransaction, string, long, Task<string?>> record, CancellationToken cancel)
    {
        Directory.CreateDirectory(_folder);
        var temp = Path.Combine(_folder, $".upload-{Guid.NewGuid():N}.tmp");
        try
        {
            await using var db = _database.Open();
            await using var tx = await db.BeginTransactionAsync(cancel);
            var blobId = await db.ExecuteScalarAsync<long>(
                "INSERT INTO blobs (sha256, size, created) VALUES (NULL, 0, @now) RETURNING id", new { now = Now() }, tx);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var copy = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                var chunk = new byte[ChunkBytes];
                for (var seq = 0; ; seq++)
                {
                    var filled = await content.ReadAtLeastAsync(chunk, chunk.Length, throwOnEndOfStream: false, cancel);
                    if (filled == 0 && seq > 0)
                        break;
                    size += filled;
                    if (size > maxBytes)
                        throw tooLarge();
                    hash.AppendData(chunk, 0, filled);
                    await copy.WriteAsync(chunk.AsMemory(0, filled), cancel);
                    await db.ExecuteAsync("INSERT INTO blob_chunks (blob_id, seq, data) VALUES (@blobId, @seq, @data)",
                        new { blobId, seq, data = chunk.AsSpan(0, filled).ToArray() }, tx);
                    if (filled < chunk.Length)
                        break;
                }
                await copy.FlushAsync(cancel);
            }
            var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            await LockHash(db, tx, sha256);
            if (await db.ExecuteScalarAsync<long?>("SELECT id FROM blobs WHERE sha256 = @sha256", new { sha256 }, tx) != null)
            {
                // Stored already: this upload's rows go, the file's record is written alone.
                await db.ExecuteAsync("DELETE FROM blob_chunks WHERE blob_id = @blobId", new { blobId }, tx);
                await db.ExecuteAsync("DELETE FROM blobs WHERE id = @blobId", new { blobId }, tx);
            }
            else
                await db.ExecuteAsync("UPDATE blobs SET sha256 = @sha256, size = @size WHERE id = @blobId", new { sha256, size, blobId }, tx);
            var replaced = await record(db, tx, sha256, size);
            await AnnounceAsync(db, tx);
            await tx.CommitAsync(cancel);
            File.Move(temp, LocalPath(sha256), overwrite: true);
            return (sha256, size, replaced);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// This instance's copy of <paramref name="sha256"/>, fetched from the database first if it has
    /// none (once, however many ask at the same time). The copy is checked against its hash before
    /// it is used. <see cref="FileNotFoundException"/> when the database has no such file.
    /// </summary>
    public async Task<string> LocalPathAsync(string sha256, CancellationToken cancel)
    {
        var path = LocalPath(sha256);
        if (File.Exists(path))
            return path;
        var fetch = _fetching.GetOrAdd(sha256, hash => new Lazy<Task<string>>(() => FetchThenForgetAsync(hash)));
        // One requester giving up does not cancel the fetch the others wait for.
        return await fetch.Value.WaitAsync(cancel);
    }

    private async Task<string> FetchThenForgetAsync(string sha256)
    {
        try
        {
            return await FetchAsync(sha256);
        }
        finally
        {
            _fetching.TryRemove(sha256, out _);   // a failed fetch is tried again by the next request
        }
    }

    private async Task<string> FetchAsync(string sha256)
    {
        Directory.CreateDirectory(_folder);
        var path = LocalPath(sha256);
        if (File.Exists(path))
            return path;
        var temp = Path.Combine(_folder, $".fetch-{Guid.NewGuid():N}.tmp");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size;
            await using (var db = _database.Open())
            {
                size = await db.ExecuteScalarAsync<long?>("SELECT size FROM blobs WHERE sha256 = @sha256", new { sha256 })
                       ?? throw new FileNotFoundException($"no stored file with sha256 {sha256}");
                await using var command = db.CreateCommand();
                command.CommandText = "SELECT c.data FROM blob_chunks c JOIN blobs b ON b.id = c.blob_id WHERE b.sha256 = @sha256 ORDER BY c.seq";
                var parameter = command.CreateParameter();
                parameter.ParameterName = "sha256";
                parameter.Value = sha256;
                command.Parameters.Add(parameter);
                await using var rows = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess);
                await using var copy = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
                var buffer = new byte[81920];
                while (await rows.ReadAsync())
                {
                    await using var data = rows.GetStream(0);
                    int read;
                    while ((read = await data.ReadAsync(buffer)) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        await copy.WriteAsync(buffer.AsMemory(0, read));
                    }
                }
                await copy.FlushAsync();
                if (copy.Length != size)
                    throw new IOException($"stored file {sha256} is damaged: {copy.Length} bytes in its chunks, {size} recorded");
            }
            if (Convert.ToHexStringLower(hash.GetHashAndReset()) != sha256)
                throw new IOException($"stored file {sha256} is damaged: its chunks do not hash to its name");
            File.Move(temp, path, overwrite: true);
            Interlocked.Increment(ref _fetches);
            return path;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Deletes the stored file <paramref name="sha256"/> when no kernel and no catalogue file names
    /// it any more (this instance's copy too; other instances' copies are only disk, never served
    /// without a name that points at them).
    /// </summary>
    public async Task DropIfUnusedAsync(string sha256)
    {
        await using (var db = _database.Open())
        {
            await using var tx = await db.BeginTransactionAsync();
            await LockHash(db, tx, sha256);
            var used = await db.ExecuteScalarAsync<long>(
                "SELECT (SELECT count(*) FROM kernels WHERE sha256 = @sha256) + (SELECT count(*) FROM image_files WHERE sha256 = @sha256)",
                new { sha256 }, tx);
            if (used > 0)
                return;
            await db.ExecuteAsync("DELETE FROM blob_chunks WHERE blob_id IN (SELECT id FROM blobs WHERE sha256 = @sha256)", new { sha256 }, tx);
            await db.ExecuteAsync("DELETE FROM blobs WHERE sha256 = @sha256", new { sha256 }, tx);
            await AnnounceAsync(db, tx);
            await tx.CommitAsync();
        }
        File.Delete(LocalPath(sha256));
    }

    /// <summary>Tells every listening instance, when <paramref name="tx"/> commits, that what is stored or named changed.</summary>
    public Task AnnounceAsync(DbConnection db, DbTransaction tx) =>
        _database.Engine == "postgres" ? PostgresSignal.AnnounceAsync(db, tx, Topic) : Task.CompletedTask;

    /// <summary>
    /// Hears the "files" channel from now on: raises <see cref="Changed"/> and deletes this
    /// instance's copies of files no longer stored, once when listening starts and after every
    /// change. Only a serving instance listens; a CLI run or a site move just announces. Done once
    /// changes are heard.
    /// </summary>
    public Task Listen(Action<string> warn, Action<string> inform)
    {
        _changes = _database.Signal(Topic, warn);
        _changes.Changed += writer =>
        {
            Changed?.Invoke();
            _ = SweepAsync(warn, inform);
        };
        return _changes.Listening.ContinueWith(_ => SweepAsync(warn, inform), TaskScheduler.Default).Unwrap();
    }

    private async Task SweepAsync(Action<string> warn, Action<string> inform)
    {
        try
        {
            if (await DeleteOrphanCopiesAsync() is > 0 and var deleted)
                inform($"deleted {deleted} cop{(deleted == 1 ? "y" : "ies")} of files no longer stored from {_folder}");
        }
        catch (Exception e) when (e is DbException or IOException or TimeoutException or InvalidOperationException or UnauthorizedAccessException)
        {
            warn($"could not sweep {_folder} ({e.Message}); it is tried again at the next change");
        }
    }

    /// <summary>
    /// Deletes this instance's copies whose file the database no longer stores (dropped by another
    /// instance, or while this one was down); returns how many. The copies are listed before the
    /// stored hashes are read: a copy appears only once its file is stored, so a copy made
    /// meanwhile is never taken for an orphan.
    /// </summary>
    public async Task<int> DeleteOrphanCopiesAsync()
    {
        if (!Directory.Exists(_folder))
            return 0;
        var copies = Directory.EnumerateFiles(_folder).Select(Path.GetFileName).Where(name => IsSha256(name!)).ToList();
        HashSet<string> stored;
        await using (var db = _database.Open())
            stored = (await db.QueryAsync<string>("SELECT sha256 FROM blobs WHERE sha256 IS NOT NULL")).ToHashSet(StringComparer.Ordinal);
        var orphans = copies.Where(copy => !stored.Contains(copy!)).ToList();
        foreach (var orphan in orphans)
            File.Delete(Path.Combine(_folder, orphan!));
        return orphans.Count;
    }

    public void Dispose() => _changes?.Dispose();

    /// <summary>
    /// Storing a hash and dropping it take turns (a transaction-scoped advisory lock on
    /// PostgreSQL; SQLite runs one writer at a time anyway), so an upload of content being dropped
    /// never ends up naming a deleted file.
    /// </summary>
    private Task LockHash(DbConnection db, DbTransaction tx, string sha256) =>
        _database.Engine == "postgres"
            ? db.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtext(@sha256))", new { sha256 }, tx)
            : Task.CompletedTask;

    private string LocalPath(string sha256) =>
        IsSha256(sha256) ? Path.Combine(_folder, sha256) : throw new ArgumentException($"not a sha256: '{sha256}'");

    private static bool IsSha256(string name) => name.Length == 64 && name.All(char.IsAsciiHexDigitLower);

    private string Now() => _database.Clock.GetUtcNow().ToString("O");
}
