using System.Collections.Concurrent;
using Bootstrap.Builder;
using Bootstrap.Builder.Bmc;
using Bootstrap.Builder.Machines;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// A bulk provision's rules, against BMCs that answer from memory: what it does to each machine,
/// how many it acts on at once, and that one failing BMC fails its machine only.
/// </summary>
public sealed class BmcProvisioningTests : IAsyncLifetime
{
    private readonly TestSite _site = new();
    private readonly FakeProtocol _protocol = new();
    private readonly Bootstrap.Builder.Storage.Database.BootstrapDatabase _database;
    private MachineDirectory _machines = null!;
    private BmcOperations _bmcs = null!;
    private readonly List<string> _log = [];

    public BmcProvisioningTests() => _database = Bootstrap.Builder.Storage.Database.BootstrapDatabase.Sqlite(_site.Database);

    public Task InitializeAsync()
    {
        _database.Migrate();
        _machines = new MachineDirectory(new MachineStore(_database), maxDiscovered: 100);
        _bmcs = new BmcOperations(new BmcStore(_database), new PlainSealer(), TimeProvider.System, [_protocol]);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _machines.DisposeAsync();
        _database.Dispose();
        _site.Dispose();
    }

    private BmcProvisioning Provisioning(int concurrency) =>
        new(_bmcs, _machines, TimeProvider.System, concurrency, (mac, what) => { lock (_log) _log.Add($"{mac} {what}"); });

    private async Task<string> WithBmc(int n, PowerState power = PowerState.Off)
    {
        var mac = $"52:54:00:00:01:{n:x2}";
        await _bmcs.SetAsync(mac, "ipmi", $"bmc-{n}", 623, "admin", "secret");
        _protocol.Machines[$"bmc-{n}"] = new FakeBmc(_protocol) { Power = power };
        return mac;
    }

    private static IReadOnlyList<ProvisionOrder> Orders(params string[] macs) => macs.Select(m => new ProvisionOrder(m, null)).ToList();

    [Fact]
    public async Task An_off_machine_is_set_to_boot_from_the_network_once_and_powered_on_an_on_machine_is_cycled()
    {
        var off = await WithBmc(1);
        var on = await WithBmc(2, PowerState.On);

        var result = await Provisioning(8).ProvisionAsync(Orders(off, on), mode: null, default);

        Assert.Equal([
            new ProvisionOutcome(off, true, PowerState.On, "next boot from network (uefi); power on, now on"),
            new ProvisionOutcome(on, true, PowerState.On, "next boot from network (uefi); power cycle, now on"),
        ], result.Value);
        Assert.Equal(["boot Network Uefi once", "power On"], _protocol.Machines["bmc-1"].Calls);
        Assert.Equal(["boot Network Uefi once", "power Cycle"], _protocol.Machines["bmc-2"].Calls);
        Assert.Equal("2 provisioned, 0 failed", result.Message);
    }

    [Fact]
    public async Task Forty_machines_are_provisioned_eight_at_a_time_and_every_result_is_reported()
    {
        var macs = new List<string>();
        for (var n = 0; n < 40; n++)
            macs.Add(await WithBmc(n));
        _protocol.HoldUntilInFlight = 8;

        var result = await Provisioning(8).ProvisionAsync(Orders([.. macs]), "legacy", default);

        Assert.Equal(8, _protocol.MostInFlight);
        Assert.Equal(macs, result.Value!.Select(o => o.Mac));
        Assert.All(result.Value!, o => Assert.Equal((true, PowerState.On, "next boot from network (legacy); power on, now on"), (o.Succeeded, o.State, o.Message)));
    }

    [Fact]
    public async Task A_failing_bmc_fails_only_its_machine_with_the_bmcs_own_message()
    {
        var first = await WithBmc(1);
        var failing = await WithBmc(2);
        var third = await WithBmc(3);
        _protocol.Machines["bmc-2"].FailPowerWith = "ipmi bmc-2:623: Error: Unable to establish IPMI v2 / RMCP+ session";

        var result = await Provisioning(2).ProvisionAsync(Orders(first, failing, third), null, default);

        Assert.Equal([true, false, true], result.Value!.Select(o => o.Succeeded));
        Assert.Equal("next boot from network (uefi); then ipmi bmc-2:623: Error: Unable to establish IPMI v2 / RMCP+ session", result.Value![1].Message);
        Assert.Equal("2 provisioned, 1 failed", result.Message);
        Assert.Contains($"{failing} provision failed: ipmi bmc-2:623: Error: Unable to establish IPMI v2 / RMCP+ session", _log);
        Assert.Contains($"{first} provisioned", _log);
    }

    [Fact]
    public async Task A_machine_without_a_bmc_fails_before_its_job_is_assigned()
    {
        const string bare = "52:54:00:00:02:01";
        var orders = new[] { new ProvisionOrder(bare, new Assignment("prod", "1234", "", null, null, null, ThenBoot.Repeat, null)) };

        var result = await Provisioning(8).ProvisionAsync(orders, null, default);

        Assert.Equal(new ProvisionOutcome(bare, false, PowerState.Unknown, $"{bare} has no BMC: PUT /api/machines/{bare}/bmc first"), result.Value!.Single());
        Assert.Null(_machines.FindByMac(bare));
    }

    [Fact]
    public async Task A_given_job_is_assigned_before_the_machine_is_powered()
    {
        var mac = await WithBmc(1);
        var orders = new[] { new ProvisionOrder(mac, new Assignment("prod", "1234", "", null, null, null, ThenBoot.Repeat, null)) };

        var result = await Provisioning(8).ProvisionAsync(orders, null, default);

        Assert.Equal("assigned prod/1234; next boot from network (uefi); power on, now on", result.Value!.Single().Message);
        Assert.Equal(("prod", "1234"), (_machines.FindByMac(mac)!.Assignment!.Network, _machines.FindByMac(mac)!.Assignment!.Farmer));
    }

    [Fact]
    public async Task A_bad_mode_is_refused_before_any_bmc_is_called()
    {
        var mac = await WithBmc(1);

        var result = await Provisioning(8).ProvisionAsync(Orders(mac), "bios", default);

        Assert.Equal("mode: 'bios' is not uefi or legacy", result.Problem!.Message);
        Assert.Empty(_protocol.Machines["bmc-1"].Calls);
    }

    public static TheoryData<ProvisionInput?[]?, string?, string> Refusals => new()
    {
        { [new("52:54:00:00:00:01"), new("nope")], null, "machines[1].mac: 'nope' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)" },
        { [new("52:54:00:00:00:01"), new("52-54-00-00-00-01")], null, "machines[1].mac: 52:54:00:00:00:01 is listed twice" },
        { [new("ff:ff:ff:ff:ff:ff")], null, "machines[0].mac: ff:ff:ff:ff:ff:ff is a broadcast address, not a network card's" },
        { [null], null, "machines[0]: an object ({\"mac\": ...}) is needed" },
        { [], null, "machines: at least one machine is needed ([{\"mac\": \"52:54:00:12:34:56\"}])" },
        { null, null, "machines: at least one machine is needed ([{\"mac\": \"52:54:00:12:34:56\"}])" },
        { [new("52:54:00:00:00:01")], "usb", "via: 'usb' is not pxe or virtual-media" },
        { [new("52:54:00:00:00:01", new AssignmentInput(Network: "mars"))], null, "machines[0].assign.network: no such network" },
        { [new("52:54:00:00:00:01", new AssignmentInput(Network: "prod", AnswerTemplate: "x"))], null,
            "machines[0].assign.answer_template: belongs to a profile (PUT /api/profiles/<name>)" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Every_entry_is_checked_before_anything_is_done(ProvisionInput?[]? inputs, string? via, string refusal)
    {
        var result = BmcProvisioning.Check(inputs, via, job => job.Network == "mars"
            ? (null, new AssignmentProblem("network", "no such network"))
            : (new Assignment(job.Network!, null, "", null, null, null, ThenBoot.Repeat, null), null));

        Assert.Equal(refusal, result.Problem?.Message);
    }

    [Fact]
    public void More_machines_than_one_provision_takes_are_refused()
    {
        var inputs = Enumerable.Range(0, BmcProvisioning.MaxMachines + 1).Select(i => (ProvisionInput?)new ProvisionInput($"52:54:00:00:{i / 256:x2}:{i % 256:x2}")).ToList();

        Assert.Equal("machines: 1001 machines in one provision; at most 1000", BmcProvisioning.Check(inputs, null, _ => (null, null)).Problem?.Message);
    }
}
