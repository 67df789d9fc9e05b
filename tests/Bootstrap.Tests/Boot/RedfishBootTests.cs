using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// A machine the service boots through its Redfish BMC's virtual media: the test emulator drives a
/// QEMU guest over QMP. The service has the BMC insert /iso-generic as the virtual CD, boot it
/// once and power on; the guest boots the generic image, is discovered, assigned and reaches
/// its kernel; the service powers it off.
/// </summary>
public sealed class RedfishBootTests
{
    private const string Mac = "52:54:00:12:34:5a";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task The_generic_iso_boots_from_virtual_media_is_discovered_assigned_and_reaches_the_kernel()
    {
        using var boot = new BootSite(c => c["discovery-poll-seconds"] = 2);
        await using var chassis = new QemuChassis(Firmware.Bios, boot.Service.Port, new Qemu.Options([new Qemu.Nic("e1000", Mac)]));
        await using var bmc = await RedfishEmulator.StartAsync(chassis);
        using var admin = boot.Service.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/machines/{Mac}/bmc", new Dictionary<string, object>
        {
            ["type"] = "redfish", ["address"] = "127.0.0.1", ["port"] = bmc.Port, ["username"] = RedfishEmulator.User,
            ["password"] = RedfishEmulator.Password, ["ca-fingerprint"] = bmc.Fingerprint,
        })).StatusCode);

        // The BMC fetches the image from where it reaches the service; the image's script points where the guest does (base-host).
        var provisioned = await admin.PostAsJsonAsync("/api/machines/provision", new
        {
            machines = new[] { new { mac = Mac } }, via = "virtual-media", mode = "legacy", image = $"{boot.Service.BaseAddress}iso-generic",
        });
        var outcome = (await provisioned.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("machines")[0];
        Assert.Equal($"virtual CD {boot.Service.BaseAddress}iso-generic; next boot from cd (legacy); power on, now on", outcome.GetProperty("message").GetString());

        await Discovered(admin, chassis);
        await MachineApi.AssignAsync(admin, Mac, new { network = "prod", farmer = "5150", args = "console=ttyS0" });
        var line = await chassis.WaitForSerialAsync(Qemu.KernelCommandLine(), Timeout);
        var off = await admin.PostAsJsonAsync($"/api/machines/{Mac}/power", new { action = "off" });

        Assert.StartsWith("Kernel command line: nomodeset version=v3 runmode=prod panic=7200 farmer_id=5150 console=ttyS0 ", line);
        Assert.Equal("""{"state":"off"}""", await off.Content.ReadAsStringAsync());
        Assert.Equal([$"insert {boot.Service.BaseAddress}iso-generic", "boot Cd Once Legacy", "reset On", "reset ForceOff"], bmc.Changes);
        Assert.False(chassis.On);
    }

    private static async Task Discovered(HttpClient admin, QemuChassis chassis)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            if ((await admin.GetAsync($"/api/machines/{Mac}")).StatusCode == HttpStatusCode.OK)
                return;
            await Task.Delay(500);
        }
        throw new Xunit.Sdk.XunitException($"the guest was never discovered\nserial:\n{chassis.Serial}");
    }
}
