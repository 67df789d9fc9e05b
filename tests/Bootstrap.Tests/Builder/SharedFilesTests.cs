using System.Security.Cryptography;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Builder.Storage.Files;
using Bootstrap.Builder.Kernels;
using Bootstrap.Tests.Support;
using Dapper;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// Files shared through PostgreSQL (<see cref="SharedFiles"/>) on a real server: stored once by
/// hash in chunks, copied to another instance's disk once however many ask, checked on the way,
/// and nothing left by an upload that fails.
/// </summary>
[Collection("postgres")]
public sealed class SharedFilesTests(PostgresServer server) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("bootstrap-shared-").FullName;
    private readonly BootstrapDatabase _database = Migrated(server.NewDatabase());

    private static BootstrapDatabase Migrated(string connection)
    {
        var database = BootstrapDatabase.Postgres(connection);
        database.Migrate();
        return database;
    }

    public void Dispose()
    {
        _database.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private SharedFiles Instance(string name) => new(_database, Path.Combine(_root, name));

    private static byte[] Bytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static Task<(string Sha256, long Size)> Put(SharedFiles files, byte[] content, long maxBytes = long.MaxValue) =>
        files.PutAsync(new MemoryStream(content), maxBytes, () => new InvalidDataException("too large"), (_, _, _, _) => Task.FromResult<string?>(null), CancellationToken.None);

    [Fact]
    public async Task A_file_is_stored_in_1_mib_rows_and_a_cold_instance_copies_it_once_for_eight_requests()
    {
        var content = Bytes(2_621_440, 1);   // 2.5 MiB: three rows
        var (sha256, size) = await Put(Instance("a"), content);
        var cold = Instance("c");

        var paths = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => cold.LocalPathAsync(sha256, CancellationToken.None)));

        await using var db = _database.Open();
        Assert.Equal((Convert.ToHexStringLower(SHA256.HashData(content)), 2_621_440L), (sha256, size));
        Assert.Equal([1_048_576L, 1_048_576L, 524_288L], (await db.QueryAsync<long>("SELECT length(data) FROM blob_chunks ORDER BY seq")).ToList());
        Assert.Equal(1, cold.Fetches);
        Assert.Equal([Path.Combine(_root, "c", sha256)], paths.Distinct());
        Assert.Equal(content, await File.ReadAllBytesAsync(paths[0]));
        Assert.Equal([sha256], Directory.GetFiles(Path.Combine(_root, "c")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task The_same_content_twice_is_one_file_and_the_uploader_keeps_its_copy_without_a_fetch()
    {
        var content = Bytes(5000, 2);
        var uploader = Instance("a");

        var first = await Put(uploader, content);
        var second = await Put(uploader, content);
        var path = await uploader.LocalPathAsync(first.Sha256, CancellationToken.None);

        await using var db = _database.Open();
        Assert.Equal(first, second);
        Assert.Equal(1L, await db.ExecuteScalarAsync<long>("SELECT count(*) FROM blobs"));
        Assert.Equal(0, uploader.Fetches);
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task An_upload_past_its_bound_leaves_no_row_and_no_file()
    {
        var uploader = Instance("a");

        await Assert.ThrowsAsync<InvalidDataException>(() => Put(uploader, Bytes(3_000_000, 3), maxBytes: 2_000_000));

        await using var db = _database.Open();
        Assert.Equal((0L, 0L), (await db.ExecuteScalarAsync<long>("SELECT count(*) FROM blobs"), await db.ExecuteScalarAsync<long>("SELECT count(*) FROM blob_chunks")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "a")));
    }

    [Fact]
    public async Task A_damaged_row_is_refused_by_its_hash_and_leaves_no_copy()
    {
        var (sha256, _) = await Put(Instance("a"), Bytes(100_000, 4));
        await using (var db = _database.Open())
            await db.ExecuteAsync("UPDATE blob_chunks SET data = set_byte(data, 500, 255 - get_byte(data, 500))");
        var cold = Instance("c");

        var refused = await Assert.ThrowsAsync<IOException>(() => cold.LocalPathAsync(sha256, CancellationToken.None));

        Assert.Equal($"stored file {sha256} is damaged: its chunks do not hash to its name", refused.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "c")));
    }

    [Fact]
    public async Task A_replaced_kernel_drops_the_file_nothing_names_and_keeps_the_one_a_second_name_holds()
    {
        var files = Instance("a");
        using var kernels = new SharedKernels(_database, files);
        var (old, fresh) = (Bytes(4000, 5), Bytes(4000, 6));
        await kernels.StoreAsync("a.efi", new MemoryStream(old), CancellationToken.None);
        await kernels.StoreAsync("b.efi", new MemoryStream(fresh), CancellationToken.None);

        await kernels.StoreAsync("a.efi", new MemoryStream(fresh), CancellationToken.None);

        await using var db = _database.Open();
        Assert.Equal([Convert.ToHexStringLower(SHA256.HashData(fresh))], (await db.QueryAsync<string>("SELECT sha256 FROM blobs")).ToList());
        Assert.False(File.Exists(Path.Combine(_root, "a", Convert.ToHexStringLower(SHA256.HashData(old)))));
        Assert.Equal(["a.efi", "b.efi"], kernels.List().Select(k => k.Name).Order());
    }

    [Fact]
    public async Task A_file_dropped_through_one_instance_leaves_the_disk_of_every_listening_one()
    {
        var dropper = Instance("a");
        var (dropped, kept) = ((await Put(dropper, Bytes(3000, 7))).Sha256, (await Put(dropper, Bytes(3000, 8))).Sha256);
        using var listener = Instance("b");
        await listener.LocalPathAsync(dropped, CancellationToken.None);
        await listener.LocalPathAsync(kept, CancellationToken.None);
        var news = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var changed = new TaskCompletionSource();
        listener.Changed += () => changed.TrySetResult();
        await listener.Listen(warning => news.Enqueue("warning: " + warning), news.Enqueue);

        await dropper.DropIfUnusedAsync(dropped);   // nothing names it
        await changed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        for (var wait = 0; wait < 50 && news.IsEmpty; wait++)
            await Task.Delay(100);

        var folder = Path.Combine(_root, "b");
        Assert.Equal([$"deleted 1 copy of files no longer stored from {folder}"], news);
        Assert.Equal([kept], Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_listening_instance_deletes_at_start_the_copies_of_files_dropped_while_it_was_down()
    {
        var dropper = Instance("a");
        var dropped = (await Put(dropper, Bytes(3000, 9))).Sha256;
        await Instance("b").LocalPathAsync(dropped, CancellationToken.None);
        await dropper.DropIfUnusedAsync(dropped);
        using var restarted = Instance("b");
        var news = new System.Collections.Concurrent.ConcurrentQueue<string>();

        await restarted.Listen(warning => news.Enqueue("warning: " + warning), news.Enqueue);

        Assert.Equal([$"deleted 1 copy of files no longer stored from {Path.Combine(_root, "b")}"], news);
        Assert.Empty(Directory.GetFiles(Path.Combine(_root, "b")));
    }
}
