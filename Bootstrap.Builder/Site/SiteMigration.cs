using System.Data.Common;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Builder.Storage.Files;
using Bootstrap.Builder.Kernels;
using Dapper;

namespace Bootstrap.Builder.Site;

/// <summary>
/// Moves a single-instance site into PostgreSQL (setup/cluster.sh migrate): every row of its SQLite
/// file, every kernel of its kernels folder with the runmode links, and every catalogue file of its
/// images folder, into an empty PostgreSQL database that instances then share. Rows go in one
/// transaction; files are stored by hash (<see cref="SharedFiles"/>). At the end every table's row
/// count and every file's hash are compared with the source, so nothing is lost silently.
/// </summary>
public static class SiteMigration
{
    /// <summary>Tables whose rows come from files, not from the SQLite file (migration 0008).</summary>
    private static readonly HashSet<string> FileTables = ["blobs", "blob_chunks", "kernels", "runmode_links"];

    /// <summary>Runs the move; <paramref name="progress"/> gets one line per step. Throws <see cref="InvalidOperationException"/> when the target is not empty or a check fails.</summary>
    public static async Task RunAsync(BootstrapConfig site, string postgresConnection, string sharedFilesFolder, Action<string> progress)
    {
        using var source = BootstrapDatabase.Sqlite(site.BootstrapDb);
        using var target = BootstrapDatabase.Postgres(postgresConnection);
        source.Migrate();
        target.Migrate();
        var tables = await TablesAsync(source, target);
        await using (var db = target.Open())
            foreach (var table in tables.Append("kernels"))
                if (await db.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}") > 0)
                    throw new InvalidOperationException($"{target.Name} already has rows in {table}: migrate into an empty database");

        await using (var from = source.Open())
        await using (var to = target.Open())
        {
            await using var tx = await to.BeginTransactionAsync();
            foreach (var table in tables)
                progress($"{table}: {await CopyRowsAsync(from, to, tx, table)} rows");
            await tx.CommitAsync();
        }

        var files = new SharedFiles(target, sharedFilesFolder);
        using (var folder = new KernelFolder(site.KernelPath, site.KernelNetPath))
        using (var shared = new SharedKernels(target, files))
        {
            var kernels = folder.List();
            foreach (var kernel in kernels)
            {
                await using var file = File.OpenRead(Path.Combine(site.KernelPath, kernel.Name));
                await shared.StoreAsync(kernel.Name, file, CancellationToken.None);
            }
            foreach (var kernel in kernels)
                foreach (var runmode in kernel.Runmodes)
                    await shared.LinkAsync(runmode + ".efi", kernel.Name);
            progress($"kernels: {kernels.Count} files, {kernels.Sum(k => k.Runmodes.Count)} runmode links");
            await CheckKernelsAsync(folder, shared, site.KernelPath);
        }

        var imageFiles = 0;
        await using (var db = target.Open())
        {
            foreach (var (image, name, sha256) in await db.QueryAsync<(string, string, string)>("SELECT image, file, sha256 FROM image_files ORDER BY image, file"))
            {
                var path = Path.Combine(site.ImagePath, image, name);
                if (!File.Exists(path))
                    throw new InvalidOperationException($"image {image}: file {name} is recorded but missing from {Path.Combine(site.ImagePath, image)}");
                await using var content = File.OpenRead(path);
                var (stored, _) = await files.PutAsync(content, long.MaxValue, () => new InvalidOperationException("unreachable"), (_, _, _, _) => Task.FromResult<string?>(null), CancellationToken.None);
                if (stored != sha256)
                    throw new InvalidOperationException($"image {image}: file {name} hashes to {stored}, its record says {sha256}");
                imageFiles++;
            }
        }
        progress($"images: {imageFiles} files");

        await using (var from = source.Open())
        await using (var to = target.Open())
            foreach (var table in tables)
            {
                var (had, has) = (await from.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}"), await to.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}"));
                if (had != has)
                    throw new InvalidOperationException($"{table}: {had} rows in the SQLite file, {has} in PostgreSQL");
            }
        progress($"checked: every table's row count and every file's sha256 match {site.BootstrapDb}");
    }

    /// <summary>The tables both databases have, rows to copy (not the migration journal, not the file tables).</summary>
    private static async Task<List<string>> TablesAsync(BootstrapDatabase source, BootstrapDatabase target)
    {
        await using var from = source.Open();
        await using var to = target.Open();
        var inTarget = (await to.QueryAsync<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).ToHashSet();
        return (await from.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"))
            .Where(t => inTarget.Contains(t) && !t.Equals("schemaversions", StringComparison.OrdinalIgnoreCase) && !FileTables.Contains(t)).ToList();
    }

    /// <summary>Copies one table column by column as the source holds them; identity columns go on from the highest id copied.</summary>
    private static async Task<long> CopyRowsAsync(DbConnection from, DbConnection to, DbTransaction tx, string table)
    {
        var targetColumns = (await to.QueryAsync<string>(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @table", new { table }, tx)).ToHashSet();
        await using var read = from.CreateCommand();
        read.CommandText = $"SELECT * FROM {table}";
        await using var rows = await read.ExecuteReaderAsync();
        var ordinals = Enumerable.Range(0, rows.FieldCount).Where(i => targetColumns.Contains(rows.GetName(i))).ToList();
        var insert = $"INSERT INTO {table} ({string.Join(", ", ordinals.Select(rows.GetName))}) VALUES ({string.Join(", ", ordinals.Select((_, i) => $"@p{i}"))})";
        long count = 0;
        while (await rows.ReadAsync())
        {
            var values = new DynamicParameters();
            for (var i = 0; i < ordinals.Count; i++)
                values.Add($"p{i}", rows.IsDBNull(ordinals[i]) ? null : rows.GetValue(ordinals[i]));
            await to.ExecuteAsync(insert, values, tx);
            count++;
        }
        foreach (var identity in await to.QueryAsync<string>(
                     "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = @table AND is_identity = 'YES'", new { table }, tx))
            await to.ExecuteAsync($"SELECT setval(pg_get_serial_sequence('{table}', '{identity}'), coalesce(max({identity}), 0) + 1, false) FROM {table}", transaction: tx);
        return count;
    }

    private static async Task CheckKernelsAsync(KernelFolder folder, SharedKernels shared, string kernelPath)
    {
        var moved = shared.List().ToDictionary(k => k.Name);
        foreach (var kernel in folder.List())
        {
            if (!moved.TryGetValue(kernel.Name, out var copy) || copy.Size != kernel.Size || !copy.Runmodes.Order().SequenceEqual(kernel.Runmodes.Order()))
                throw new InvalidOperationException($"kernel {kernel.Name} did not arrive whole with its runmode links");
            var opened = await shared.OpenAsync(kernel.Name) ?? throw new InvalidOperationException($"kernel {kernel.Name} cannot be opened after the move");
            await using (opened.Stream)
            await using (var original = File.OpenRead(Path.Combine(kernelPath, kernel.Name)))
                if (!System.Security.Cryptography.SHA256.HashData(original).AsSpan().SequenceEqual(System.Security.Cryptography.SHA256.HashData(opened.Stream)))
                    throw new InvalidOperationException($"kernel {kernel.Name} differs after the move");
        }
    }
}
