using Bootstrap.Api;
using Bootstrap.Api.Cli;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Builder.Machines;
using Bootstrap.Tests.Support;
using CliWrap;
using Bootstrap.Builder.Processes;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bootstrap.Tests.Builder;

/// <summary>DbUp migrations: old databases upgrade in place without losing a row; each script runs once.</summary>
public sealed class MigrationTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private SqliteConnection Open()
    {
        var db = new SqliteConnection($"Data Source={_site.Database};Pooling=False");
        db.Open();
        return db;
    }

    private async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await BootstrapCli.RunAsync([.. args, "--config", _site.ConfigFile], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private List<string> Journal()
    {
        using var db = Open();
        return db.Query<string>("SELECT ScriptName FROM SchemaVersions ORDER BY rowid").ToList();
    }

    [Fact]
    public async Task An_original_0_bootstrap_database_upgrades_without_losing_a_row()
    {
        using (var db = Open())
        {
            // 0-bootstrap's db/schema.sql, and rows as its operators wrote them.
            db.Execute("CREATE TABLE provision (client varchar(32), branch varchar(32), zerotier varchar(32), kargs text)");
            db.Execute("INSERT INTO provision VALUES ('52:54:00:00:00:01', 'prod', '1234', 'console=ttyS0'), ('52:54:00:00:00:02', 'test', '77', NULL)");
        }

        Assert.Equal((0, "52:54:00:00:00:01  network=prod  farmer=1234  args=console=ttyS0\n52:54:00:00:00:02  network=test  farmer=77  args=\n", ""),
            await Cli("provision", "list"));
        Assert.Equal(Migrations.Scripts.Select(s => "Bootstrap.Migrations." + s), Journal());
        _site.AddProdKernel();
        var script = await _site.Client().GetStringAsync("/provision/52-54-00-00-00-01");
        Assert.Contains("farmer_id=1234 console=ttyS0", script);
    }

    [Fact]
    public async Task A_database_of_the_previous_release_upgrades_without_losing_a_row()
    {
        using (var db = Open())
        {
            // What the release before migrations applied at every start (db/schema.sql), with its rows.
            db.Execute("""
                CREATE TABLE provision (client varchar(32), branch varchar(32), zerotier varchar(32), kargs text);
                CREATE INDEX provision_by_client ON provision (client COLLATE NOCASE);
                CREATE TABLE provision_pending (mac TEXT PRIMARY KEY, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, remote_address TEXT, count INTEGER NOT NULL);
                INSERT INTO provision VALUES ('52:54:00:00:00:03', 'qa', '5', 'a=b');
                INSERT INTO provision_pending VALUES ('52:54:00:00:00:09', '2026-11-22T10:00:00.0000000+00:00', '2026-11-22T11:00:00.0000000+00:00', '192.0.2.8', 4);
                """);
        }

        var store = new MachineStore(_site.Database);
        Assert.Equal(Migrations.Scripts, store.Migrate());
        Assert.Equal([], store.Migrate());

        Assert.Equal((0, "52:54:00:00:00:03  network=qa  farmer=5  args=a=b\n", ""), await Cli("provision", "list"));
        Assert.Equal((0, "52:54:00:00:00:09  first=2026-11-22 10:00:00Z  last=2026-11-22 11:00:00Z  from=192.0.2.8  count=4  first_from=192.0.2.8\n", ""),
            await Cli("provision", "pending"));
    }

    [Fact]
    public async Task A_database_of_todays_schema_moves_every_row_into_machines()
    {
        BootstrapDatabase.Sqlite(_site.Database).MigrateUpTo("0002_pending_first_address.sql");
        using (var db = Open())
            db.Execute("""
                INSERT INTO provision VALUES ('52:54:00:00:00:03', 'qa', '5', 'root=/dev/sda1'), ('52:54:00:00:00:03', 'prod', '6', 'later'),
                                             ('52:54:00:00:00:04', 'prod', '7', NULL);
                INSERT INTO provision_pending (mac, first_seen, last_seen, remote_address, count, first_address)
                VALUES ('52:54:00:00:00:09', '2026-11-22T10:00:00.0000000+00:00', '2026-11-22T11:00:00.0000000+00:00', '192.0.2.8', 4, '192.0.2.7'),
                       ('52:54:00:00:00:04', '2026-11-22T10:00:00.0000000+00:00', '2026-11-22T11:00:00.0000000+00:00', '192.0.2.9', 1, '192.0.2.9');
                """);

        var store = new MachineStore(_site.Database);
        Assert.Equal(Migrations.Scripts.Skip(2), store.Migrate());
        var machines = (await store.AllAsync()).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();

        Assert.Equal(["mac:52:54:00:00:00:03", "mac:52:54:00:00:00:04", "mac:52:54:00:00:00:09"], machines.Select(m => m.Id));
        Assert.Equal(new Assignment("qa", "5", "root=/dev/sda1", null, null, null, "repeat"), machines[0].Assignment);   // the row 0-bootstrap answered
        Assert.Equal(new Assignment("prod", "7", "", null, null, null, "repeat"), machines[1].Assignment);
        Assert.Equal((MachineState.Assigned, MachineState.Assigned, MachineState.Discovered), (machines[0].State, machines[1].State, machines[2].State));
        Assert.All(machines.Take(2), m => Assert.Matches("^[0-9a-f]{32}$", m.Token));
        Assert.Equal(("192.0.2.7", "192.0.2.8", 4L, new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero)),
            (machines[2].FirstAddress, machines[2].LastAddress, machines[2].Asks, machines[2].FirstSeen));
        Assert.Equal([["52:54:00:00:00:03"], ["52:54:00:00:00:04"], ["52:54:00:00:00:09"]], machines.Select(m => m.Macs));
    }

    [Fact]
    public void Every_script_runs_once_when_many_start_together_in_one_process()
    {
        var applied = new List<string>[8];
        Parallel.For(0, applied.Length, i => applied[i] = new MachineStore(_site.Database).Migrate().ToList());

        Assert.Equal(Migrations.Scripts, applied.SelectMany(a => a).Order(StringComparer.Ordinal));
        Assert.Equal(Migrations.Scripts.Select(s => "Bootstrap.Migrations." + s), Journal());
    }

    [Fact]
    public async Task Every_script_runs_once_when_two_processes_start_together()
    {
        var api = Path.Combine(AppContext.BaseDirectory, "Bootstrap.Api.dll");
        var runs = Enumerable.Range(0, 2).Select(_ =>
            CliWrap.Cli.Wrap("dotnet").WithArguments([api, "provision", "list", "--config", _site.ConfigFile])
                .RunAsync(TimeSpan.FromSeconds(120), validateExitCode: false)).ToList();
        var results = await Task.WhenAll(runs);

        Assert.All(results, r => Assert.Equal((0, ""), (r.ExitCode, r.StandardError)));
        Assert.Equal(Migrations.Scripts.Select(s => "Bootstrap.Migrations." + s), Journal());
    }
}
