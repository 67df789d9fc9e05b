using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// The machines lifecycle on a real guest: a QEMU machine with a known UUID, SMBIOS strings and two
/// NICs boots the generic ISO, appears as discovered with exactly those values, is assigned while
/// it polls, boots Debian's kernel with the assigned command line and its token, reports
/// installed, and (then=local) boots its own disk next time.
/// </summary>
public sealed partial class MachineBootTests : IClassFixture<MachineBootTests.Site>
{
    private const string Uuid = "5f0c2a1e-7b3d-4c8e-9a01-b2c3d4e5f601";
    private const string MacA = "52:54:00:00:aa:01", MacB = "52:54:00:00:aa:02";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    private readonly Site _boot;

    public MachineBootTests(Site boot) => _boot = boot;

    /// <summary>A boot site whose generic script polls every 2 s.</summary>
    public sealed class Site : IDisposable
    {
        public BootSite Boot { get; } = new(c => c["discovery-poll-seconds"] = 2);

        public void Dispose() => Boot.Dispose();
    }

    [GeneratedRegex(@"Kernel command line: [^\r\n]*")]
    private static partial Regex CommandLine();

    [GeneratedRegex("LOCAL DISK BOOTED")]
    private static partial Regex LocalDisk();

    private HttpClient Admin()
    {
        var client = _boot.Boot.Service.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestSite.Token);
        return client;
    }

    private static Qemu.Options Machine(string? disk = null) => new(
        Nics: [new Qemu.Nic("e1000", MacA), new Qemu.Nic("e1000", MacB)],
        ExtraArgs: ["-uuid", Uuid, "-smbios", "type=1,manufacturer=Acme,product=Rack9,serial=SN-QEMU-7"],
        Disks: disk == null ? null : [disk],
        BootOrder: "d");

    /// <summary>Polls the API until the machine with <see cref="MacA"/> is listed (the guest is still booting meanwhile).</summary>
    private async Task<JsonElement> Discovered(Qemu.Guest guest)
    {
        using var admin = Admin();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            var response = await admin.GetAsync($"/api/machines/{MacA}");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var machine = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                if (machine.GetProperty("macs").GetArrayLength() == 2)
                    return machine;
            }
            await Task.Delay(500);
        }
        throw guest.Failure("was never listed with both MACs", clock.Elapsed);
    }

    [Theory]
    [InlineData(Firmware.Bios, "pcbios", "i386")]
    [InlineData(Firmware.Uefi, "efi", "x86_64")]
    public async Task A_new_machine_is_discovered_then_boots_what_it_is_assigned(Firmware firmware, string platform, string arch)
    {
        using (var delete = Admin())
            await delete.DeleteAsync($"/api/machines/{MacA}");
        var iso = await _boot.Boot.DownloadAsync("/iso-generic");
        await using var guest = Qemu.Guest.Start(firmware, new Qemu.Media(iso, AsCdrom: true), _boot.Boot.Service.Port, Machine());

        var machine = await Discovered(guest);
        Assert.Equal(("discovered", $"uuid:{Uuid}", Uuid, "SN-QEMU-7", "Acme", "Rack9", platform, arch, "10.0.2.15"),
            (machine.GetProperty("state").GetString(), machine.GetProperty("id").GetString(), machine.GetProperty("uuid").GetString(),
             machine.GetProperty("serial").GetString(), machine.GetProperty("manufacturer").GetString(), machine.GetProperty("product").GetString(),
             machine.GetProperty("platform").GetString(), machine.GetProperty("arch").GetString(), machine.GetProperty("ip").GetString()));
        Assert.Equal([MacA, MacB], machine.GetProperty("macs").EnumerateArray().Select(m => m.GetString()));

        using var admin = Admin();
        await MachineApi.AssignAsync(admin, MacB, new { network = "prod", farmer = "31337", args = "console=ttyS0 job=discovered" });
        var line = await guest.WaitForAsync(CommandLine(), Timeout);

        var token = Regex.Match(line, "bootstrap_token=([0-9a-f]{32})").Groups[1].Value;
        Assert.Equal("Kernel command line: " + (firmware == Firmware.Bios ? "" : "kernel ") +
                     $"nomodeset version=v3 runmode=prod panic=7200 farmer_id=31337 console=ttyS0 job=discovered bootstrap_url=http://{Qemu.ServiceAddress} bootstrap_token={token}",
            line);
        Assert.Equal("provisioning", (await MachineApi.GetAsync(admin, $"/api/machines/{MacA}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_installed_machine_assigned_then_local_boots_its_own_disk()
    {
        using var admin = Admin();
        await admin.DeleteAsync($"/api/machines/{MacA}");
        await MachineApi.AssignAsync(admin, MacA, new { network = "prod", farmer = "5", args = "console=ttyS0", then = "local" });
        var iso = await _boot.Boot.DownloadAsync("/iso-generic");
        var disk = Tool.TempFile(MbrDisk.PrintingOnSerial("LOCAL DISK BOOTED\r\n"), ".img");

        string token;
        await using (var install = Qemu.Guest.Start(Firmware.Bios, new Qemu.Media(iso, AsCdrom: true), _boot.Boot.Service.Port, Machine(disk)))
        {
            var line = await install.WaitForAsync(CommandLine(), Timeout);
            token = Regex.Match(line, "bootstrap_token=([0-9a-f]{32})").Groups[1].Value;
        }
        // What an installer does at its end, with the token from its /proc/cmdline.
        using var installer = _boot.Boot.Service.Client();
        installer.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var reported = await installer.PostAsJsonAsync($"/api/machines/{MacA}/status", new { state = "installed" });
        Assert.Equal(HttpStatusCode.OK, reported.StatusCode);

        await using var next = Qemu.Guest.Start(Firmware.Bios, new Qemu.Media(iso, AsCdrom: true), _boot.Boot.Service.Port, Machine(disk));
        Assert.Equal("LOCAL DISK BOOTED", await next.WaitForAsync(LocalDisk(), Timeout));

        var events = (await MachineApi.GetAsync(admin, $"/api/machines/{MacA}/events")).EnumerateArray()
            .Select(e => e.GetProperty("kind").GetString() + ": " + e.GetProperty("detail").GetString()).ToList();
        Assert.Equal("script: local disk", events[0]);
        Assert.Contains("status: installed", events);
        Assert.Contains("fetch: kernel net/prod.efi", events);
    }
}
