using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Dapper;
using Npgsql;

namespace Bootstrap.Tests.Support;

/// <summary>
/// A throw-away service folder (config.json, kernels/, kernels/net/, db/) and the service hosted on
/// it in memory. Each test class gets its own, so tests never share files.
/// <para>
/// The test matrix: with <c>BOOTSTRAP_TEST_STORAGE=postgres</c> and <c>BOOTSTRAP_TEST_POSTGRES</c>
/// (a server's connection string; setup/test.sh's second leg sets both) every site runs on a
/// PostgreSQL database of its own, its kernels shared through the database. Tests about the SQLite
/// file or the kernels folder themselves carry <c>[Trait("engine", "sqlite")]</c> and run in the
/// SQLite leg only.
/// </para>
/// </summary>
public sealed class TestSite : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("bootstrap-test-").FullName;
    public string Kernels => Path.Combine(Root, "kernels");
    public string NetLinks => Path.Combine(Root, "kernels", "net");
    public string ConfigFile => Path.Combine(Root, "config.json");
    public string Database => Path.Combine(Root, "db", "bootstrap.sqlite3");
    public const string Token = "test-token-0123456789";

    private WebApplicationFactory<Program>? _factory;

    /// <summary>True in the matrix's PostgreSQL leg.</summary>
    public static bool OnPostgres => Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_STORAGE") == "postgres";

    /// <summary>The PostgreSQL database of this site (that leg's, or one a test configured), else null.</summary>
    public string? PostgresConnection { get; private set; }

    /// <summary>True when the site's kernels are kept in PostgreSQL rather than its kernels folder.</summary>
    private bool Shared => PostgresConnection != null;

    public TestSite(Action<Dictionary<string, object>>? configure = null)
    {
        Directory.CreateDirectory(NetLinks);
        Directory.CreateDirectory(Path.Combine(Root, "db"));
        _config = new Dictionary<string, object>
        {
            ["base-host"] = "",
            ["kernel-path"] = "kernels",
            ["kernel-net-path"] = "kernels/net",
            ["bootstrap-db"] = "db/bootstrap.sqlite3",
            ["api-token"] = Token,
            ["ipxe-template"] = "ipxe-template",
            ["cache-path"] = "cache",
            // Budgets high enough that only the tests about them ever meet them.
            ["admin-requests-per-minute"] = 1_000_000,
            ["cold-builds-per-minute"] = 1_000_000,
            ["unknown-machines-per-minute"] = 1_000_000,
            ["runmodes"] = new Dictionary<string, string> { ["prod"] = "Production", ["test"] = "Testnet", ["dev"] = "Devnet", ["qa"] = "QA" },
        };
        if (OnPostgres)
        {
            PostgresConnection = NewPostgresDatabase();
            _ownDatabase = true;
            _config["storage"] = "postgres";
            _config["postgres-connection"] = PostgresConnection;
        }
        configure?.Invoke(_config);
        if (_config.GetValueOrDefault("storage") as string == "postgres" && _config.GetValueOrDefault("postgres-connection") is string connection)
            PostgresConnection = connection;
        WriteConfig();
    }

    private static int _databases;
    private bool _ownDatabase;

    /// <summary>Each site's database goes with it (hundreds of copies would fill the disk).</summary>
    private static void DropDatabase(string connection)
    {
        NpgsqlConnection.ClearPool(new NpgsqlConnection(connection));
        var name = new NpgsqlConnectionStringBuilder(connection).Database;
        PostgresServer.Run(Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_POSTGRES")!, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    }

    private static string NewPostgresDatabase()
    {
        var server = Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_POSTGRES")
                     ?? throw new InvalidOperationException("BOOTSTRAP_TEST_STORAGE=postgres needs BOOTSTRAP_TEST_POSTGRES, a server's connection string");
        var name = $"site_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        PostgresServer.Run(server, $"CREATE DATABASE {name} TEMPLATE {MigratedTemplate.Value}");
        // A small pool per site: tests that fire hundreds of requests wait for a connection
        // instead of taking the shared server's every slot.
        return new NpgsqlConnectionStringBuilder(server) { Database = name, MaxPoolSize = 10 }.ToString();
    }

    /// <summary>One database migrated once, copied for every site (a copy is faster than running every migration again).</summary>
    private static readonly Lazy<string> MigratedTemplate = new(() =>
    {
        var server = Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_POSTGRES")!;
        var name = $"sites_template_{Environment.ProcessId}";
        PostgresServer.Run(server, $"CREATE DATABASE {name}");
        var connection = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
        using (var database = Bootstrap.Builder.Storage.Database.BootstrapDatabase.Postgres(connection))
            database.Migrate();
        NpgsqlConnection.ClearAllPools();   // a template may have no open connection while it is copied
        return name;
    });

    /// <summary>What /healthz says of the storage: the SQLite file, or the PostgreSQL server and database.</summary>
    public string StorageCheck => PostgresConnection is { } connection && new NpgsqlConnectionStringBuilder(connection) is var postgres
        ? $"postgres {postgres.Host}:{postgres.Port}/{postgres.Database}"
        : $"sqlite {Database}";

    /// <summary>What /healthz says of the kernels' store.</summary>
    public string KernelStoreCheck => Shared
        ? $"shared in {StorageCheck}, copies in {Path.Combine(Root, "shared-files")}"
        : $"folder {Kernels}";

    private readonly Dictionary<string, object> _config;

    private void WriteConfig() =>
        File.WriteAllText(ConfigFile, JsonSerializer.Serialize(_config, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Stops the hosted service; the next request starts it again on the same folder, with <paramref name="reconfigure"/> applied.</summary>
    public void Restart(Action<Dictionary<string, object>>? reconfigure = null)
    {
        _factory?.Dispose();
        _factory = null;
        reconfigure?.Invoke(_config);
        WriteConfig();
    }

    /// <summary>Writes a kernel file and returns its bytes.</summary>
    public byte[] AddKernel(string name, int size = 4096, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        PutKernel(name, bytes);
        return bytes;
    }

    /// <summary>Stores kernel <paramref name="name"/>: a file in the kernels folder, or in the shared store on PostgreSQL.</summary>
    public void PutKernel(string name, byte[] bytes)
    {
        if (Shared)
            WithKernelStore(store => store.StoreAsync(name, new MemoryStream(bytes), CancellationToken.None));
        else
            File.WriteAllBytes(Path.Combine(Kernels, name), bytes);
    }

    /// <summary>The bytes of kernel <paramref name="name"/> as stored (null when there is none).</summary>
    public byte[]? KernelBytes(string name)
    {
        if (!Shared)
            return File.Exists(Path.Combine(Kernels, name)) ? File.ReadAllBytes(Path.Combine(Kernels, name)) : null;
        byte[]? bytes = null;
        WithKernelStore(async store =>
        {
            if (await store.OpenAsync(name) is { } kernel)
                await using (kernel.Stream)
                {
                    bytes = new byte[kernel.Length];
                    await kernel.Stream.ReadExactlyAsync(bytes);
                }
        });
        return bytes;
    }

    /// <summary>The stored kernels' names, in order.</summary>
    public IReadOnlyList<string> KernelNames()
    {
        if (!Shared)
            return Directory.GetFiles(Kernels).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        IReadOnlyList<string> names = [];
        WithKernelStore(store =>
        {
            names = store.List().Select(k => k.Name).Order(StringComparer.Ordinal).ToList();
            return Task.CompletedTask;
        });
        return names;
    }

    /// <summary>
    /// What holds catalogue bytes: the files in images/<paramref name="image"/>, or on PostgreSQL
    /// every stored file (blobs rows) and every file in this site's shared-files folder, kernels' aside.
    /// </summary>
    public IReadOnlyList<string> StoredImageBytes(string image)
    {
        if (!Shared)
            return Directory.Exists(Path.Combine(Root, "images", image)) ? Directory.GetFiles(Path.Combine(Root, "images", image)) : [];
        using var db = new NpgsqlConnection(PostgresConnection);
        db.Open();
        var kernels = db.Query<string>("SELECT sha256 FROM kernels").ToHashSet();
        var held = db.Query<string>("SELECT 'blob ' || id FROM blobs WHERE sha256 IS NULL OR sha256 NOT IN (SELECT sha256 FROM kernels)");
        var copies = Path.Combine(Root, "shared-files");
        return [.. held, .. (Directory.Exists(copies) ? Directory.GetFiles(copies) : []).Where(f => !kernels.Contains(Path.GetFileName(f)))];
    }

    /// <summary>One value straight from the site's database (SQLite or PostgreSQL), as stored.</summary>
    public string? StoredValue(string sql)
    {
        using System.Data.Common.DbConnection db = Shared ? new NpgsqlConnection(PostgresConnection) : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Database}");
        db.Open();
        return db.ExecuteScalar<string?>(sql);
    }

    /// <summary>The runmode links' names (e.g. prod.efi), in order.</summary>
    public IReadOnlyList<string> LinkNames() => Shared
        ? Links().Keys.Order(StringComparer.Ordinal).ToList()
        : Directory.GetFileSystemEntries(NetLinks).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>The kernel runmode link <paramref name="link"/> points at (a name in the kernels folder), or null.</summary>
    public string? LinkTarget(string link) => Shared
        ? Links().GetValueOrDefault(link)
        : new FileInfo(Path.Combine(NetLinks, link)).LinkTarget is { } target ? Path.GetFileName(target) : null;

    private Dictionary<string, string> Links()
    {
        var links = new Dictionary<string, string>();
        WithKernelStore(store =>
        {
            foreach (var kernel in store.List())
                foreach (var runmode in kernel.Runmodes)
                    links[runmode + ".efi"] = kernel.Name;
            return Task.CompletedTask;
        });
        return links;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the running service's own kernel store (so it answers the
    /// change at once), or, before the service has started, on a store of the site's database.
    /// </summary>
    private void WithKernelStore(Func<Bootstrap.Builder.Kernels.KernelStore, Task> action)
    {
        if (_factory != null)
        {
            action(_factory.Services.GetRequiredService<Bootstrap.Builder.Kernels.KernelStore>()).GetAwaiter().GetResult();
            return;
        }
        if (_offline == null)
        {
            var database = Bootstrap.Builder.Storage.Database.BootstrapDatabase.Postgres(PostgresConnection!);
            if (!_ownDatabase)
                database.Migrate();   // ours is a copy of a migrated template
            _offline = (database, new Bootstrap.Builder.Kernels.SharedKernels(database,
                new Bootstrap.Builder.Storage.Files.SharedFiles(database, Path.Combine(Root, "shared-files"))));
        }
        action(_offline.Value.Store).GetAwaiter().GetResult();
    }

    /// <summary>The kernel store the helpers use before the service starts (one per site: opening one costs a LISTEN and a load).</summary>
    private (Bootstrap.Builder.Storage.Database.BootstrapDatabase Database, Bootstrap.Builder.Kernels.SharedKernels Store)? _offline;

    private void CloseOffline()
    {
        _offline?.Store.Dispose();
        _offline?.Database.Dispose();
        _offline = null;
    }

    /// <summary>A kernel zos.efi that the prod runmode boots: what most route tests need.</summary>
    public void AddProdKernel()
    {
        AddKernel("zos.efi");
        AddLink("prod.efi", "zos.efi");
    }

    /// <summary>Points kernels/net/LINK at TARGET (relative, as the admin API does), or the shared link on PostgreSQL.</summary>
    public void AddLink(string link, string target)
    {
        if (Shared)
            WithKernelStore(store => store.LinkAsync(link, target));
        else
        {
            var path = Path.Combine(NetLinks, link);   // arm64/prod.efi: in the architecture's folder
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.CreateSymbolicLink(path, target.StartsWith('/') ? target : Path.GetRelativePath(Path.GetDirectoryName(path)!, Path.Combine(Kernels, target)));
        }
    }

    public WebApplicationFactory<Program> Factory => _factory ??= NewFactory();

    /// <summary>The service's clock, when a test moves time itself (set before the first request).</summary>
    public TimeProvider? Clock { get; init; }

    private WebApplicationFactory<Program> NewFactory()
    {
        CloseOffline();   // from now on the service's own store takes the helpers' changes
        return new WebApplicationFactory<Program>()
            .WithWebHostBuilder(b => b.UseSetting("config", ConfigFile)
                .ConfigureServices(s =>
                {
                    s.AddSingleton<IStartupFilter, LoopbackPeer>();
                    if (Clock != null)
                        s.AddSingleton(Clock);
                }));
    }

    /// <summary>TestServer leaves the peer address empty; Kestrel on loopback would report 127.0.0.1.</summary>
    private sealed class LoopbackPeer : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                http.Connection.RemoteIpAddress ??= IPAddress.Loopback;
                return nextMiddleware(http);
            });
            next(app);
        };
    }

    public HttpClient Client(string host = "bootstrap.test")
    {
        var client = Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Host = host;
        return client;
    }

    public HttpClient AdminClient()
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return client;
    }

    public void Dispose()
    {
        _factory?.Dispose();
        CloseOffline();
        if (_ownDatabase)
            DropDatabase(PostgresConnection!);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a finishing request; the temp folder is cleaned by the OS.
        }
    }
}
