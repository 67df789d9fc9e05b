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

    private HttpClient Admin() => _boot.Boot.Service.AdminClient();

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
        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), Timeout);

        var token = MachineApi.TokenIn(line);
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
        var disk = Tool.TempFile(MbrDisk.WithMessage(), ".img");

        string token;
        await using (var install = Qemu.Guest.Start(Firmware.Bios, new Qemu.Media(iso, AsCdrom: true), _boot.Boot.Service.Port, Machine(disk)))
        {
            var line = await install.WaitForAsync(Qemu.KernelCommandLine(), Timeout);
            token = MachineApi.TokenIn(line);
        }
        // What an installer does at its end, with the token from its /proc/cmdline.
        using var installer = _boot.Boot.Service.Client();
        installer.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var reported = await installer.PostAsJsonAsync($"/api/machines/{MacA}/status", new { state = "installed" });
        Assert.Equal(HttpStatusCode.OK, reported.StatusCode);

        await using var next = Qemu.Guest.Start(Firmware.Bios, new Qemu.Media(iso, AsCdrom: true), _boot.Boot.Service.Port, Machine(disk));
        Assert.Equal(MbrDisk.Message, await next.WaitForAsync(MbrDisk.Booted(), Timeout));

        var events = (await MachineApi.GetAsync(admin, $"/api/machines/{MacA}/events")).EnumerateArray()
            .Select(e => e.GetProperty("kind").GetString() + ": " + e.GetProperty("detail").GetString()).ToList();
        Assert.Equal("script: local disk", events[0]);
        Assert.Contains("status: installed", events);
        Assert.Contains("fetch: kernel net/prod.efi", events);
    }
}

/// <summary>
/// The discovery OS on a real guest: the generic ISO chains it for an unassigned machine; it posts
/// an inventory matching QEMU's -m, -drive and MAC, waits, reboots into its assignment once given
/// one; the installer's report makes it installed, and then=local sends the next boot to its disk.
/// </summary>
public sealed partial class DiscoveryOsBootTests : IClassFixture<DiscoveryOsBootTests.Site>
{
    private const string Mac = "52:54:00:00:bb:01";
    private const long DiskBytes = 64L * 1024 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly Site _site;

    public DiscoveryOsBootTests(Site site) => _site = site;

    public sealed class Site : IDisposable
    {
        public BootSite Boot { get; } = new(c =>
        {
            c["discovery-poll-seconds"] = 2;
            c["discovery-image"] = Path.Combine(RepoRoot.Path, ".cache", "discovery");
        });

        public void Dispose() => Boot.Dispose();
    }

    private HttpClient Admin() => _site.Boot.Service.AdminClient();

    [Fact]
    public async Task The_discovery_os_reports_the_hardware_and_the_machine_goes_from_discovered_to_its_own_disk()
    {
        var iso = await _site.Boot.DownloadAsync("/iso-generic");
        var disk = Tool.TempFile(MbrDisk.WithMessage(DiskBytes), ".img");
        var options = new Qemu.Options(Nics: [new Qemu.Nic("e1000", Mac)], Disks: [disk], BootOrder: "d", MemoryMiB: 512);
        using var admin = Admin();

        await using (var discovery = Qemu.Guest.Start(Firmware.Bios, new Qemu.Media(iso, AsCdrom: true), _site.Boot.Service.Port, options))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            JsonElement inventory = default;
            while (clock.Elapsed < Timeout)
            {
                var response = await admin.GetAsync($"/api/machines/{Mac}");
                if (response.StatusCode == HttpStatusCode.OK
                    && JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("inventory") is { ValueKind: JsonValueKind.Object } found)
                {
                    inventory = found.Clone();
                    break;
                }
                await Task.Delay(500);
            }
            if (inventory.ValueKind != JsonValueKind.Object)
                throw discovery.Failure("never posted an inventory", clock.Elapsed);

            Assert.Equal((1, 512L * 1024 * 1024), (inventory.GetProperty("cpus").GetInt32(), inventory.GetProperty("memory").GetInt64()));
            Assert.Equal($$"""[{"name":"sda","size":{{DiskBytes}}}]""", inventory.GetProperty("disks").GetRawText());
            Assert.Equal($$"""[{"name":"eth0","mac":"{{Mac}}"}]""", inventory.GetProperty("nics").GetRawText());
            Assert.Equal("QEMU", inventory.GetProperty("dmi").GetProperty("sys_vendor").GetString());

            await MachineApi.AssignAsync(admin, Mac, new { network = "prod", farmer = "808", args = "console=ttyS0", then = "local" });
            await discovery.WaitForAsync(new Regex("discovery: assigned: rebooting"), Timeout);
            await discovery.WaitForExitAsync(TimeSpan.FromSeconds(60));
        }

        string token;
        await using (var install = Qemu.Guest.Start(Firmware.Bios, new Qemu.Media(iso, AsCdrom: true), _site.Boot.Service.Port, options))
        {
            var line = await install.WaitForAsync(Qemu.KernelCommandLine(), Timeout);
            token = MachineApi.TokenIn(line);
            Assert.Equal($"Kernel command line: nomodeset version=v3 runmode=prod panic=7200 farmer_id=808 console=ttyS0 bootstrap_url=http://{Qemu.ServiceAddress} bootstrap_token={token}", line);
        }
        using var installer = _site.Boot.Service.Client();
        installer.DefaultRequestHeaders.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await installer.PostAsJsonAsync($"/api/machines/{Mac}/status", new { state = "installed" })).StatusCode);
        Assert.Equal("installed", (await MachineApi.GetAsync(admin, $"/api/machines/{Mac}")).GetProperty("state").GetString());

        await using var next = Qemu.Guest.Start(Firmware.Bios, new Qemu.Media(iso, AsCdrom: true), _site.Boot.Service.Port, options);
        Assert.Equal(MbrDisk.Message, await next.WaitForAsync(MbrDisk.Booted(), Timeout));
        File.Delete(disk);
    }
}
