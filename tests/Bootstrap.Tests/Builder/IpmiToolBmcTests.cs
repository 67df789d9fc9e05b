using Bootstrap.Builder.Bmc;
using Bootstrap.Builder.Bmc.Ipmi;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>IPMI through ipmitool against a real IPMI v2.0 LAN BMC: Debian's OpenIPMI simulator on 127.0.0.1.</summary>
public sealed class IpmiToolBmcTests
{
    private static IpmiToolBmc Bmc(IpmiSimulator simulator, string password = IpmiSimulator.Password) =>
        new("127.0.0.1", simulator.Port, IpmiSimulator.User, password);

    [Fact]
    public async Task Power_is_read_off_turned_on_read_on_and_turned_off()
    {
        using var simulator = IpmiSimulator.Start();
        var bmc = Bmc(simulator);

        Assert.Equal(PowerState.Off, await bmc.GetPowerAsync(default));
        await bmc.SetPowerAsync(PowerAction.On, default);
        Assert.Equal(("1", PowerState.On), (simulator.Power, await bmc.GetPowerAsync(default)));
        await bmc.SetPowerAsync(PowerAction.Off, default);

        Assert.Equal(("0", PowerState.Off), (simulator.Power, await bmc.GetPowerAsync(default)));
        Assert.Equal(["power 1", "power 0"], simulator.Changes);
    }

    [Fact]
    public async Task The_next_boot_is_set_to_the_network_the_cd_and_the_disk_and_read_back_each_time()
    {
        using var simulator = IpmiSimulator.Start();
        var bmc = Bmc(simulator);

        await bmc.SetBootDeviceAsync(BootDevice.Network, BootMode.Uefi, once: true, default);
        Assert.Equal("pxe", simulator.Boot);
        await bmc.SetBootDeviceAsync(BootDevice.Cd, BootMode.Legacy, once: true, default);
        Assert.Equal("cdrom", simulator.Boot);
        await bmc.SetBootDeviceAsync(BootDevice.Disk, BootMode.Uefi, once: false, default);

        Assert.Equal(["boot pxe", "boot cdrom", "boot default"], simulator.Changes);
    }

    [Fact]
    public async Task A_wrong_password_fails_with_ipmitools_message_and_changes_nothing()
    {
        using var simulator = IpmiSimulator.Start();

        var error = await Assert.ThrowsAsync<BmcException>(() => Bmc(simulator, password: "wrong").SetPowerAsync(PowerAction.On, default));

        Assert.Equal($"ipmi 127.0.0.1:{simulator.Port}: Error: Unable to establish IPMI v2 / RMCP+ session", error.Message);
        Assert.Empty(simulator.Changes);
    }

    [Fact]
    public async Task A_bmc_that_never_answers_fails_within_the_timeout_and_says_so()
    {
        using var silent = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var port = ((System.Net.IPEndPoint)silent.Client.LocalEndPoint!).Port;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<BmcException>(() =>
            new IpmiToolBmc("127.0.0.1", port, "admin", "x", TimeSpan.FromSeconds(2)).GetPowerAsync(default));

        Assert.Equal($"ipmi 127.0.0.1:{port}: no answer within 2 s", error.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));   // bounded: not ipmitool's own retries
    }

    [Fact]
    public async Task A_bmc_that_answers_garbage_fails_with_ipmitools_message()
    {
        using var garbage = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var port = ((System.Net.IPEndPoint)garbage.Client.LocalEndPoint!).Port;
        using var stop = new CancellationTokenSource();
        var answering = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var asked = await garbage.ReceiveAsync(stop.Token);
                await garbage.SendAsync("\x06\x00\xff\x07garbage, not RMCP+"u8.ToArray(), asked.RemoteEndPoint, stop.Token);
            }
        });

        var error = await Assert.ThrowsAsync<BmcException>(() =>
            new IpmiToolBmc("127.0.0.1", port, "admin", "x", TimeSpan.FromSeconds(30)).GetPowerAsync(default));
        stop.Cancel();

        Assert.Equal($"ipmi 127.0.0.1:{port}: Error: Unable to establish IPMI v2 / RMCP+ session", error.Message);
    }

    [Fact]
    public void The_password_reaches_ipmitool_in_its_environment_never_on_its_command_line()
    {
        var bmc = new IpmiToolBmc("192.0.2.7", 623, "admin", "hunter2-secret");

        Assert.Equal(["-I", "lanplus", "-H", "192.0.2.7", "-p", "623", "-U", "admin", "-E", "-C", "3", "-N", "3", "-R", "2", "chassis", "power", "status"],
            bmc.Arguments(["chassis", "power", "status"]));
    }

    [Theory]
    [InlineData("-f/etc/shadow", "admin", "hunter2", "address")]
    [InlineData("bmc;reboot", "admin", "hunter2", "address")]
    [InlineData("10.0.0.7", "-E", "hunter2", "username")]
    [InlineData("10.0.0.7", "a-user-name-of-17", "hunter2", "username")]
    [InlineData("10.0.0.7", "admin", "a-password-longer-than-20", "password")]
    [InlineData("10.0.0.7", "admin", "line\nbreak", "password")]
    public void Values_ipmitool_would_misread_are_refused_naming_the_field(string address, string username, string password, string field)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new IpmiToolBmc(address, 623, username, password));

        Assert.Equal(field, error.ParamName);
    }

    [Theory]
    [InlineData("Boot parameter data: 0004000000", 1)]         // force PXE
    [InlineData("Boot parameter data: e008000000", 2)]         // valid, persistent, EFI: default hard drive
    [InlineData("Boot parameter data: 8014000000", 5)]         // CD/DVD
    [InlineData("Boot parameter data: 0000000000", 0)]         // no override
    [InlineData("Error: Unable to establish IPMI v2", null)]
    public void The_boot_device_is_read_from_the_boot_flags_data(string output, int? selector)
    {
        Assert.Equal(selector, IpmiToolBmc.BootDeviceSelector($"Boot parameter version: 1\n{output}\n Boot Flags :\n"));
    }
}
