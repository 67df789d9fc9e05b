using System.Security.Cryptography;
using Bootstrap.Builder.Storage;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Builder.Storage.Files;
using Dapper;

namespace Bootstrap.Builder.Catalogue;

/// <summary>Why a catalogue change was refused; the API maps the kind to 404, 409, 413 or 400.</summary>
public sealed class CatalogueException(CatalogueException.Kind kind, string message) : Exception(message)
{
    public enum Kind { NotFound, Frozen, TooLarge, Invalid }

    public Kind Problem { get; } = kind;
}

/// <summary>
/// The image catalogue: descriptions and file records in the database (migration 0004), bytes in
/// <c>&lt;image-path&gt;/&lt;name&gt;/&lt;file&gt;</c> on a single instance, or in
/// <paramref name="shared"/> by sha256 when instances share PostgreSQL. Uploads stream while they
/// are hashed (never held in memory: ISOs are gigabytes) and replace the old file atomically, so a
/// reader sees the whole old file or the whole new one. A golden image is frozen.
/// </summary>
public sealed class ImageCatalogue
{
    private readonly BootstrapDatabase database;
    private readonly string folder;
    private readonly SharedFiles? shared;

    /// <summary>
    /// Shared files only: the record of each file this instance served, so that while the database
    /// is down a file whose copy is on this disk is still served. Forgotten whenever any instance
    /// announces a change of files (<see cref="SharedFiles.Changed"/>); the generation keeps a
    /// lookup that raced with such a change from putting back what it read before it.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Image, string File), ServedRow> _served = new();
    private long _servedGeneration;

    public ImageCatalogue(BootstrapDatabase database, string folder, SharedFiles? shared = null)
    {
        (this.database, this.folder, this.shared) = (database, folder, shared);
        if (shared != null)
            shared.Changed += () =>
            {
                Interlocked.Increment(ref _servedGeneration);
                _served.Clear();
            };
    }

    public string Folder => folder;

    public async Task<IReadOnlyList<CatalogueImage>> ListAsync()
    {
        await using var db = database.Open();
        var files = (await db.QueryAsync<FileRow>("SELECT image, file, size, sha256, updated FROM image_files ORDER BY image, file"))
            .GroupBy(f => f.image).ToDictionary(g => g.Key, g => g.Select(f => f.ToFile()).ToList());
        return (await db.QueryAsync<ImageRow>("SELECT name, type, title, kernel, initrds, iso, rootfs, args, state, updated, architecture FROM images ORDER BY name"))
            .Select(r => r.ToImage(files.GetValueOrDefault(r.name) ?? [])).ToList();
    }

    public async Task<CatalogueImage?> GetAsync(string name)
    {
        await using var db = database.Open();
        var row = await db.QuerySingleOrDefaultAsync<ImageRow>(
            "SELECT name, type, title, kernel, initrds, iso, rootfs, args, state, updated, architecture FROM images WHERE name = @name", new { name });
        if (row == null)
            return null;
        var files = await db.QueryAsync<FileRow>("SELECT image, file, size, sha256, updated FROM image_files WHERE image = @name ORDER BY file", new { name });
        return row.ToImage(files.Select(f => f.ToFile()).ToList());
    }

    /// <summary>Creates or replaces a staging image's description (its files stay).</summary>
    public async Task<CatalogueImage> SaveAsync(CatalogueImage image)
    {
        if (await GetAsync(image.Name) is { State: ImageState.Golden })
            throw Frozen(image.Name);
        await using var db = database.Open();
        await db.ExecuteAsync(
            """
            INSERT INTO images (name, type, title, kernel, initrds, iso, rootfs, args, state, updated, architecture)
            VALUES (@Name, @Type, @Title, @Kernel, @Initrds, @Iso, @Rootfs, @Args, @State, @Updated, @Architecture)
            ON CONFLICT (name) DO UPDATE SET type = excluded.type, title = excluded.title, kernel = excluded.kernel,
                initrds = excluded.initrds, iso = excluded.iso, rootfs = excluded.rootfs, args = excluded.args, updated = excluded.updated,
                architecture = excluded.architecture
            WHERE images.state = 'staging'
            """,
            new
            {
                image.Name, image.Type, image.Title, image.Kernel, Initrds = string.Join(' ', image.Initrds), image.Iso, image.Rootfs,
                image.Args, image.State, Updated = image.Updated.ToUniversalTime().ToString("O"), image.Architecture,
            });
        return (await GetAsync(image.Name))!;
    }

    /// <summary>
    /// Streams <paramref name="content"/> into file <paramref name="file"/> of a staging image,
    /// hashing it on the way; past <paramref name="maxBytes"/> nothing is kept.
    /// </summary>
    public async Task<ImageFile> StoreFileAsync(string name, string file, Stream content, long maxBytes, CancellationToken cancel)
    {
        if (ImageRules.FileProblem(file) is { } bad)
            throw new CatalogueException(CatalogueException.Kind.Invalid, bad);
        var image = await GetAsync(name) ?? throw NotFound(name);
        if (image.State == ImageState.Golden)
            throw Frozen(name);
        if (shared != null)
            return await StoreSharedFileAsync(shared, name, file, content, maxBytes, cancel);
        var dir = Path.Combine(folder, name);
        Directory.CreateDirectory(dir);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var size = await AtomicFile.WriteAsync(Path.Combine(dir, file), async target =>
        {
            var buffer = new byte[81920];
            long total = 0;
            int read;
            while ((read = await content.ReadAsync(buffer, cancel)) > 0)
            {
                total += read;
                if (total > maxBytes)
                    throw TooLarge(maxBytes);
                hash.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), cancel);
            }
        }, flushToDisk: true);
        var stored = new ImageFile(file, size, Convert.ToHexStringLower(hash.GetHashAndReset()), database.Clock.GetUtcNow());
        await using var db = database.Open();
        await RecordFile(db, null, name, stored);
        return stored;
    }

    /// <summary>The bytes go to the shared files; the record is written in the same transaction, and the file it replaced is dropped if nothing else names it.</summary>
    private async Task<ImageFile> StoreSharedFileAsync(SharedFiles files, string name, string file, Stream content, long maxBytes, CancellationToken cancel)
    {
        ImageFile? stored = null;
        await files.PutAsync(content, maxBytes, () => TooLarge(maxBytes), async (db, tx, sha256, size) =>
        {
            var replaced = await db.ExecuteScalarAsync<string?>("SELECT sha256 FROM image_files WHERE image = @name AND file = @file", new { name, file }, tx);
            stored = new ImageFile(file, size, sha256, database.Clock.GetUtcNow());
            await RecordFile(db, tx, name, stored);
            return replaced;
        }, cancel);
        return stored!;
    }

    private static Task RecordFile(System.Data.Common.DbConnection db, System.Data.Common.DbTransaction? tx, string image, ImageFile stored) =>
        db.ExecuteAsync(
            """
            INSERT INTO image_files (image, file, size, sha256, updated) VALUES (@image, @file, @size, @sha256, @updated)
            ON CONFLICT (image, file) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256, updated = excluded.updated
            """, new { image, file = stored.Name, size = stored.Size, sha256 = stored.Sha256, updated = stored.Updated.ToString("O") }, tx);

    private static CatalogueException TooLarge(long maxBytes) =>
        new(CatalogueException.Kind.TooLarge, $"the file is larger than max-image-bytes ({maxBytes} bytes)");

    /// <summary>Freezes a staging image whose described files are all uploaded.</summary>
    public async Task<CatalogueImage> PromoteAsync(string name)
    {
        var image = await GetAsync(name) ?? throw NotFound(name);
        if (image.State == ImageState.Golden)
            throw Frozen(name);
        var missing = image.NamedFiles.Where(f => image.Files.All(stored => stored.Name != f)).ToList();
        if (missing.Count > 0)
            throw new CatalogueException(CatalogueException.Kind.Invalid, $"files: {string.Join(", ", missing)} not uploaded yet (PUT /api/images/{name}/<file>)");
        await using var db = database.Open();
        await db.ExecuteAsync("UPDATE images SET state = 'golden', updated = @now WHERE name = @name AND state = 'staging'",
            new { name, now = database.Clock.GetUtcNow().ToString("O") });
        return (await GetAsync(name))!;
    }

    /// <summary>Deletes an image, its records and its files; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string name)
    {
        if (ImageRules.NameProblem(name) != null)
            return false;
        List<string> hashes;
        await using (var db = database.Open())
        {
            await using var tx = await db.BeginTransactionAsync();
            hashes = (await db.QueryAsync<string>("SELECT sha256 FROM image_files WHERE image = @name", new { name }, tx)).ToList();
            var gone = await db.ExecuteAsync("DELETE FROM images WHERE name = @name", new { name }, tx);
            await db.ExecuteAsync("DELETE FROM image_files WHERE image = @name", new { name }, tx);
            if (shared != null)
                await shared.AnnounceAsync(db, tx);
            await tx.CommitAsync();
            if (gone == 0)
                return false;
        }
        if (shared != null)
            foreach (var sha256 in hashes.Distinct())
                await shared.DropIfUnusedAsync(sha256);
        var dir = Path.Combine(folder, name);
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        return true;
    }

    /// <summary>
    /// Where a recorded file of an image is on this instance's disk, with its record; null when the
    /// image or file is unknown. Shared files are copied from the database on first use.
    /// </summary>
    public async Task<(string Path, ImageFile File, bool Golden)?> FindFileAsync(string name, string file, CancellationToken cancel = default)
    {
        if (ImageRules.NameProblem(name) != null || ImageRules.FileProblem(file) != null)
            return null;
        ServedRow? row;
        var generation = Interlocked.Read(ref _servedGeneration);
        try
        {
            await using var db = database.Open();
            row = await db.QuerySingleOrDefaultAsync<ServedRow>(
                "SELECT f.image, f.file, f.size, f.sha256, f.updated, i.state FROM image_files f JOIN images i ON i.name = f.image " +
                "WHERE f.image = @name AND f.file = @file", new { name, file });
        }
        catch (Exception e) when (shared != null && e is System.Data.Common.DbException or TimeoutException
                                  && _served.TryGetValue((name, file), out var served))
        {
            return (await shared.LocalPathAsync(served.sha256, cancel), served.ToFile(), served.Golden);   // a copy on disk needs no database
        }
        if (row == null)
        {
            _served.TryRemove((name, file), out _);
            return null;
        }
        if (shared == null)
        {
            var path = Path.Combine(folder, name, file);
            return !File.Exists(path) ? null : (path, row.ToFile(), row.Golden);
        }
        if (Interlocked.Read(ref _servedGeneration) == generation)
            _served[(name, file)] = row;
        try
        {
            return (await shared.LocalPathAsync(row.sha256, cancel), row.ToFile(), row.Golden);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static CatalogueException NotFound(string name) => new(CatalogueException.Kind.NotFound, $"no image named '{name}'");

    private static CatalogueException Frozen(string name) =>
        new(CatalogueException.Kind.Frozen, $"image '{name}' is golden (frozen): create a new image to change it");

    private sealed record ImageRow(string name, string type, string title, string? kernel, string initrds, string? iso, string? rootfs,
        string args, string state, string updated, string? architecture)
    {
        public CatalogueImage ToImage(IReadOnlyList<ImageFile> files) => new(name, type, title, kernel,
            initrds.Split(' ', StringSplitOptions.RemoveEmptyEntries), iso, rootfs, args, state, DateTimeOffset.Parse(updated), files, architecture);
    }

    private sealed record FileRow(string image, string file, long size, string sha256, string updated)
    {
        public ImageFile ToFile() => new(file, size, sha256, DateTimeOffset.Parse(updated));
    }

    /// <summary>A file row with its image's state, as serving needs both (kept to serve while the database is away).</summary>
    private sealed record ServedRow(string image, string file, long size, string sha256, string updated, string state)
    {
        public ImageFile ToFile() => new(file, size, sha256, DateTimeOffset.Parse(updated));

        public bool Golden => state == ImageState.Golden;
    }
}
