using Bootstrap.Api;
using Bootstrap.Api.Cli;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Builder.Machines;
using Bootstrap.Tests.Support;
using Dapper;
using Npgsql;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// "storage": "postgres" on a real server (<see cref="PostgresServer"/>): the migrations build the
/// same schema as on SQLite, once however many instances start together, and services on one
/// database share its rows.
/// </summary>
[Collection("postgres")]
public sealed class PostgresStorageTests(PostgresServer server) : IDisposable
{
    private readonly List<TestSite> _sites = [];

    public void Dispose() => _sites.ForEach(s => s.Dispose());

    private TestSite Site(string connection)
    {
        var site = new TestSite(c => { c["storage"] = "postgres"; c["postgres-connection"] = connection; });
        site.AddProdKernel();
        _sites.Add(site);
        return site;
    }

    private static List<string> Journal(string connection)
    {
        using var db = new NpgsqlConnection(connection);
        return db.Query<string>("SELECT scriptname FROM schemaversions ORDER BY schemaversionsid").ToList();
    }

    [Fact]
    public void Every_script_runs_once_when_eight_instances_migrate_together()
    {
        var connection = server.NewDatabase();
        var applied = new List<string>[8];

        Parallel.For(0, applied.Length, i => applied[i] = BootstrapDatabase.Postgres(connection).Migrate().ToList());

        Assert.Equal(Migrations.Scripts, applied.SelectMany(a => a).Order(StringComparer.Ordinal));
        Assert.Equal(Migrations.Scripts.Select(s => "Bootstrap.Migrations." + s), Journal(connection));
        Assert.Equal([], BootstrapDatabase.Postgres(connection).Migrate());
    }

    [Fact]
    public void The_schema_has_the_tables_and_64_bit_integers_the_stores_read()
    {
        var connection = server.NewDatabase();
        BootstrapDatabase.Postgres(connection).Migrate();

        using var db = new NpgsqlConnection(connection);
        var tables = db.Query<string>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name").ToList();
        var integers = db.Query<(string Table, string Column, string Type)>(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schemaversions' AND data_type LIKE '%int%' ORDER BY 1, 2").ToList();

        Assert.DoesNotContain("provision", tables);
        Assert.Contains("machines", tables);
        Assert.Contains("menus", tables);
        Assert.All(integers, c => Assert.Equal("bigint", c.Type));
        Assert.Equal("YES", db.ExecuteScalar<string>("SELECT is_identity FROM information_schema.columns WHERE table_name = 'machine_events' AND column_name = 'id'"));
    }

    [Fact]
    public async Task A_machine_added_through_one_instance_boots_from_another_on_the_same_database()
    {
        var connection = server.NewDatabase();
        var (a, b) = (Site(connection), Site(connection));
        await a.Client().GetAsync("/healthz");   // A starts and migrates

        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await BootstrapCli.RunAsync(["provision", "add", "--address", "52:54:00:00:16:01", "--network", "prod", "--farmer", "1601",
            "--args", "console=ttyS0", "--config", a.ConfigFile], stdout, stderr);
        var script = await b.Client().GetStringAsync("/provision/52-54-00-00-16-01");

        Assert.Equal((0, ""), (code, stderr.ToString()));
        Assert.Contains("imgfetch --name kernel http://bootstrap.test/kernel/net/prod.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=1601 console=ttyS0 bootstrap_url=", Scripts.AsSeenBy(script));
        var health = await b.AdminClient().GetStringAsync("/healthz");
        var port = new NpgsqlConnectionStringBuilder(connection).Port;
        Assert.Contains($"\"database\":\"ok\",\"storage\":\"postgres 127.0.0.1:{port}/{new NpgsqlConnectionStringBuilder(connection).Database}\"", health);
    }

    [Fact]
    public async Task A_change_made_elsewhere_reaches_a_running_instance_within_a_second_by_notify()
    {
        var connection = server.NewDatabase();
        var a = Site(connection);
        // Five fresh instances, each assigned a machine by the CLI right after its first answer:
        // a change made while an instance starts is in its load or heard by its LISTEN, never lost.
        for (var round = 0; round < 5; round++)
        {
            var b = Site(connection);
            var mac = $"52:54:00:00:16:0{round}";
            async Task<string> Provision() => await (await b.Client().GetAsync($"/provision/{mac.Replace(':', '-')}")).Content.ReadAsStringAsync();
            Assert.DoesNotContain($"farmer_id=160{round}", await Provision());   // B runs, and has just discovered the machine itself

            var code = await BootstrapCli.RunAsync(["provision", "add", "--address", mac, "--network", "prod", "--farmer", $"160{round}",
                "--config", a.ConfigFile], new StringWriter(), new StringWriter());
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var script = "";
            while (!script.Contains($"farmer_id=160{round}") && clock.Elapsed < TimeSpan.FromSeconds(1))
                script = await Provision();

            Assert.Equal(0, code);
            Assert.Contains($"runmode=prod panic=7200 farmer_id=160{round} bootstrap_url=", script);
        }
    }

    [Fact]
    public async Task A_store_reads_back_what_it_wrote()
    {
        var database = BootstrapDatabase.Postgres(server.NewDatabase());
        database.Migrate();
        var store = new MachineStore(database);

        Assert.True(await store.IsUsableAsync());
        Assert.Empty(await store.AllAsync());
        Assert.Equal("postgres", database.Engine);
        Assert.DoesNotContain("Password", database.Name);
    }

    [Fact]
    public void A_config_with_storage_postgres_and_no_connection_is_refused_naming_the_key()
    {
        using var site = new TestSite(c => c["storage"] = "postgres");

        var problem = Assert.Throws<Bootstrap.Builder.Configuration.ConfigException>(() => Bootstrap.Builder.Configuration.ConfigLoader.Load(site.ConfigFile));

        Assert.StartsWith("config key 'postgres-connection': storage \"postgres\" needs an Npgsql connection string", problem.Message);
    }
}
