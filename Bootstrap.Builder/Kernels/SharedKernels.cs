using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Builder.Storage.Files;
using Bootstrap.Builder.Storage;
using Dapper;

namespace Bootstrap.Builder.Kernels;

/// <summary>
/// Kernels of instances that share PostgreSQL (migration 0008): names and runmode links in tables,
/// bytes in <see cref="SharedFiles"/> by sha256. Every instance keeps the tables in memory (boot
/// scripts ask for every request) and reloads them when any instance announces a change on the
/// "kernels" channel (LISTEN/NOTIFY), so a switch made anywhere is answered everywhere at once.
/// The ETag is the content hash, the same on every instance. With the database gone, what is in
/// memory and on this instance's disk is still served.
/// </summary>
/// <remarks>Refusals say "kernels folder", the name operators and 0-bootstrap give the kernels whatever holds them.</remarks>
public sealed class SharedKernels : KernelStore
{
    private readonly BootstrapDatabase _database;
    private readonly SharedFiles _files;
    private readonly Action<string> _warn;
    private readonly ChangeSignal _signal;
    private readonly string _writerId = Guid.NewGuid().ToString("N");
    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile Tables _tables = new(new Dictionary<string, Kernel>(), new Dictionary<string, string>());

    public SharedKernels(BootstrapDatabase database, SharedFiles files, Action<string>? warn = null)
    {
        _database = database;
        _files = files;
        _warn = warn ?? (_ => { });
        // Listening before loading: a change made in between is in the load or heard after it.
        _signal = database.Signal("kernels", _warn);
        _signal.Changed += writer =>
        {
            if (writer != _writerId)
                _ = ReloadAsync();
        };
        _signal.Listening.Wait(TimeSpan.FromSeconds(10));
        ReloadAsync().GetAwaiter().GetResult();
    }

    public override string Describe => $"shared in {_database.Name}, copies in {_files.Folder}";

    public override bool Exists(string kernelPath) => Find(kernelPath) != null;

    public override async Task<OpenedKernel?> OpenAsync(string kernelPath, CancellationToken cancel = default)
    {
        if (Find(kernelPath) is not { } kernel)
            return null;
        string path;
        try
        {
            path = await _files.LocalPathAsync(kernel.Sha256, cancel);
        }
        catch (FileNotFoundException)
        {
            return null;   // deleted by another instance since our tables were loaded
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException or InvalidOperationException)
        {
            throw new KernelsUnavailableException($"kernel '{kernelPath}' is not on this instance yet and the database did not answer", e);
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1, FileOptions.Asynchronous);
        return new OpenedKernel(stream, kernel.Size, kernel.Updated, $"\"{kernel.Sha256[..32]}\"");
    }

    public override IReadOnlyList<KernelInfo> List()
    {
        var tables = _tables;
        var runmodes = tables.Links.OrderBy(l => l.Key, StringComparer.Ordinal)
            .GroupBy(l => l.Value).ToDictionary(g => g.Key, g => g.Select(l => KernelArchitecture.Shown(l.Key)).ToList());
        return tables.Kernels.Values
            .Select(k => new KernelInfo(k.Name, k.Size, k.Updated, runmodes.GetValueOrDefault(k.Name) ?? [], k.Architecture))
            .OrderByDescending(k => k.Updated).ThenBy(k => k.Name, StringComparer.Ordinal).ToList();
    }

    public override async Task<long> StoreAsync(string name, Stream content, CancellationToken cancel)
    {
        ThrowIfBadFileName(name, "kernel");
        var (head, whole) = await PrefixedStream.PeekAsync(content, KernelArchitecture.HeadBytes, cancel);
        var architecture = KernelArchitecture.Detect(head)?.Name;
        var (_, size) = await _files.PutAsync(whole, long.MaxValue, () => new InvalidOperationException("unreachable"),
            async (db, tx, hash, length) =>
            {
                var replaced = await db.ExecuteScalarAsync<string?>("SELECT sha256 FROM kernels WHERE name = @name", new { name }, tx);
                await db.ExecuteAsync(
                    """
                    INSERT INTO kernels (name, sha256, size, updated, architecture) VALUES (@name, @hash, @length, @now, @architecture)
                    ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, updated = excluded.updated, architecture = excluded.architecture
                    """, new { name, hash, length, now = Now(), architecture }, tx);
                return replaced;
            }, cancel);
        await ChangedHereAsync();
        return size;
    }

    public override async Task LinkAsync(string link, string target)
    {
        SplitLinkOrThrow(link);
        ThrowIfBadFileName(target, "target");
        await using (var db = _database.Open())
        {
            // One statement: the link is written only while its kernel exists.
            var linked = await db.ExecuteAsync(
                """
                INSERT INTO runmode_links (link, kernel, updated) SELECT @link, name, @now FROM kernels WHERE name = @target
                ON CONFLICT (link) DO UPDATE SET kernel = excluded.kernel, updated = excluded.updated
                """, new { link, target, now = Now() });
            if (linked == 0)
                throw new FileNotFoundException($"target: no kernel file '{target}' in the kernels folder");
        }
        await ChangedHereAsync();
    }

    public override async Task DeleteAsync(string name)
    {
        ThrowIfBadFileName(name, "kernel");
        string sha256;
        await using (var db = _database.Open())
        {
            await using var tx = await db.BeginTransactionAsync();
            sha256 = await db.ExecuteScalarAsync<string?>("SELECT sha256 FROM kernels WHERE name = @name", new { name }, tx)
                     ?? throw new FileNotFoundException($"kernel: no kernel file '{name}' in the kernels folder");
            var runmodes = (await db.QueryAsync<string>("SELECT link FROM runmode_links WHERE kernel = @name ORDER BY link", new { name }, tx)).ToList();
            if (runmodes.Count > 0)
                throw BootedBy(name, runmodes.Select(KernelArchitecture.Shown));
            await db.ExecuteAsync("DELETE FROM kernels WHERE name = @name", new { name }, tx);
            await tx.CommitAsync();
        }
        await _files.DropIfUnusedAsync(sha256);
        await ChangedHereAsync();
    }

    public override void Dispose() => _signal.Dispose();

    /// <summary>Our own change: reloaded here before the caller is answered, then announced to the others.</summary>
    private async Task ChangedHereAsync()
    {
        await ReloadAsync();
        try
        {
            _signal.Announce(_writerId);
        }
        catch (IOException e)
        {
            _warn($"{e.Message}: other instances see this kernel change at their next reload");
        }
    }

    private async Task ReloadAsync()
    {
        await _loading.WaitAsync();
        try
        {
            await using var db = _database.Open();
            var kernels = (await db.QueryAsync<KernelRow>("SELECT name, sha256, size, updated, architecture FROM kernels"))
                .ToDictionary(k => k.name, k => new Kernel(k.name, k.sha256, k.size, DateTimeOffset.Parse(k.updated), k.architecture), StringComparer.Ordinal);
            var links = (await db.QueryAsync<(string Link, string Kernel)>("SELECT link, kernel FROM runmode_links")).ToDictionary(l => l.Link, l => l.Kernel, StringComparer.Ordinal);
            _tables = new Tables(kernels, links);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or TimeoutException or InvalidOperationException)
        {
            _warn($"reloading the kernels failed ({e.Message}); serving the ones loaded before");
        }
        finally
        {
            _loading.Release();
        }
    }

    private Kernel? Find(string kernelPath)
    {
        var tables = _tables;
        var isLink = kernelPath.StartsWith("net/", StringComparison.Ordinal);
        var name = isLink ? kernelPath[4..] : kernelPath;
        if (isLink && !tables.Links.TryGetValue(name, out name!))
            return null;
        return tables.Kernels.GetValueOrDefault(name);
    }

    private string Now() => _database.Clock.GetUtcNow().ToString("O");

    private sealed record Tables(Dictionary<string, Kernel> Kernels, Dictionary<string, string> Links);

    /// <summary>A kernel as requests read it (its date parsed once, at the load).</summary>
    private sealed record Kernel(string Name, string Sha256, long Size, DateTimeOffset Updated, string? Architecture);

    /// <summary>A kernels row as stored (column names as in the table, read by Dapper).</summary>
    private sealed record KernelRow(string name, string sha256, long size, string updated, string? architecture);
}
