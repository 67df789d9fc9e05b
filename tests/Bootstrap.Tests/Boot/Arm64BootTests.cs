using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// ARM64 machines (QEMU's aarch64 virt machine under TCG, AAVMF firmware) beside x86 ones, on a
/// site whose prod runmode links Debian's x86-64 kernel (net/prod.efi) and Debian's ARM64 kernel
/// (net/arm64/prod.efi): each machine boots the kernel of its own architecture, from the same
/// images and the same assignment.
/// </summary>
public sealed partial class Arm64BootTests : IClassFixture<Arm64BootTests.Site>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(6);
    private const string Arm64Mac = "52:54:00:00:a6:01", X86Mac = "52:54:00:00:a6:02";

    private readonly Site _boot;

    public Arm64BootTests(Site boot) => _boot = boot;

    public sealed class Site : IDisposable
    {
        public BootSite Boot { get; } = new(c => c["discovery-poll-seconds"] = 2, arm64: true);

        public void Dispose() => Boot.Dispose();
    }

    private static Qemu.Options Arm64Machine(string? mac = null) => new([new Qemu.Nic("virtio-net-pci", mac)], MemoryMiB: 1024);

    [GeneratedRegex(@"Linux version (\S+)")]
    private static partial Regex LinuxVersion();

    [Theory]
    [InlineData("/uefi-arm64/prod/4242/console=ttyAMA0", false, "4242")]
    [InlineData("/iso/prod/4343/console=ttyAMA0", true, "4343")]
    public async Task The_arm64_efi_file_and_the_one_iso_boot_the_arm64_kernel(string path, bool asCdrom, string farmer)
    {
        var image = await _boot.Boot.DownloadAsync(path);
        var media = asCdrom ? new Qemu.Media(image, AsCdrom: true) : new Qemu.Media(Qemu.FatDriveWith(image, "BOOTAA64.EFI"), AsCdrom: false);

        await using var guest = Qemu.Guest.Start(Firmware.Arm64Uefi, media, _boot.Boot.Service.Port, Arm64Machine());
        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), Timeout);

        Assert.Equal($"Kernel command line: kernel nomodeset version=v3 runmode=prod panic=7200 farmer_id={farmer} console=ttyAMA0", line);
        Assert.Equal(BootSite.Arm64KernelVersion, LinuxVersion().Match(guest.Serial).Groups[1].Value);
        Assert.Contains("Kernel: http://10.0.2.100/kernel/net/arm64/prod.efi", guest.Serial);
    }

    /// <summary>Polls the API until <paramref name="mac"/> is listed as discovered; returns it.</summary>
    private async Task<JsonElement> Discovered(Qemu.Guest guest, string mac)
    {
        using var admin = _boot.Boot.Service.AdminClient();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            var response = await admin.GetAsync($"/api/machines/{mac}");
            if (response.StatusCode == HttpStatusCode.OK)
                return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            await Task.Delay(500);
        }
        throw guest.Failure($"was never listed as {mac}", clock.Elapsed);
    }

    [Fact]
    public async Task Machines_of_both_architectures_discovered_and_assigned_the_same_runmode_each_boot_their_own_kernel()
    {
        var generic = await _boot.Boot.DownloadAsync("/iso-generic");
        var port = _boot.Boot.Service.Port;
        await using var arm64 = Qemu.Guest.Start(Firmware.Arm64Uefi, new Qemu.Media(generic, AsCdrom: true), port, Arm64Machine(Arm64Mac));
        await using var x86 = Qemu.Guest.Start(Firmware.Bios, new Qemu.Media(generic, AsCdrom: true), port, new Qemu.Options([new Qemu.Nic("e1000", X86Mac)]));

        var found = new[] { await Discovered(arm64, Arm64Mac), await Discovered(x86, X86Mac) };
        Assert.Equal([("discovered", "arm64"), ("discovered", "i386")], found.Select(m => (m.GetProperty("state").GetString(), m.GetProperty("arch").GetString())));

        using var admin = _boot.Boot.Service.AdminClient();
        await MachineApi.AssignAsync(admin, Arm64Mac, new { network = "prod", farmer = "6464", args = "console=ttyAMA0" });
        await MachineApi.AssignAsync(admin, X86Mac, new { network = "prod", farmer = "6464", args = "console=ttyS0" });
        var arm64Line = await arm64.WaitForAsync(Qemu.KernelCommandLine(), Timeout);
        var x86Line = await x86.WaitForAsync(Qemu.KernelCommandLine(), Timeout);

        Assert.StartsWith("Kernel command line: kernel nomodeset version=v3 runmode=prod panic=7200 farmer_id=6464 console=ttyAMA0 bootstrap_url=", arm64Line);
        Assert.StartsWith("Kernel command line: nomodeset version=v3 runmode=prod panic=7200 farmer_id=6464 console=ttyS0 bootstrap_url=", x86Line);
        Assert.Equal(BootSite.Arm64KernelVersion, LinuxVersion().Match(arm64.Serial).Groups[1].Value);
        Assert.EndsWith("-amd64", LinuxVersion().Match(x86.Serial).Groups[1].Value);
        foreach (var (mac, link) in new[] { (Arm64Mac, "net/arm64/prod.efi"), (X86Mac, "net/prod.efi") })
        {
            var events = (await MachineApi.GetAsync(admin, $"/api/machines/{mac}/events")).EnumerateArray()
                .Select(e => e.GetProperty("kind").GetString() + ": " + e.GetProperty("detail").GetString());
            Assert.Contains($"script: boot {link}", events);
        }
    }
}

/// <summary>
/// The discovery OS's ARM64 build (setup/discovery.sh --arch arm64: Debian's arm64 kernel and
/// busybox, the same agent) on an ARM64 guest: the generic ISO chains it by the machine's
/// architecture, and it posts the machine's inventory.
/// </summary>
public sealed class Arm64DiscoveryOsBootTests : IDisposable
{
    private const string Mac = "52:54:00:00:a6:03";
    private readonly BootSite _boot = new(c =>
    {
        c["discovery-poll-seconds"] = 2;
        c["discovery-image"] = Path.Combine(RepoRoot.Path, ".cache", "discovery");
    }, arm64: true);

    public void Dispose() => _boot.Dispose();

    [Fact]
    public async Task An_arm64_machine_boots_the_arm64_discovery_os_which_posts_its_inventory()
    {
        var iso = await _boot.DownloadAsync("/iso-generic");
        using var admin = _boot.Service.AdminClient();

        await using var guest = Qemu.Guest.Start(Firmware.Arm64Uefi, new Qemu.Media(iso, AsCdrom: true), _boot.Service.Port,
            new Qemu.Options([new Qemu.Nic("virtio-net-pci", Mac)], MemoryMiB: 1024));
        var posted = await guest.WaitForAsync(new Regex("discovery: inventory posted[^\r\n]*"), TimeSpan.FromMinutes(6));

        var machine = await MachineApi.GetAsync(admin, $"/api/machines/{Mac}");
        var inventory = machine.GetProperty("inventory");
        Assert.Equal(("discovered", "arm64"), (machine.GetProperty("state").GetString(), machine.GetProperty("arch").GetString()));
        Assert.Equal(1, inventory.GetProperty("cpus").GetInt32());
        // The agent counts online memory blocks, 128 MiB each on arm64: QEMU's virt machine with -m 1024 shows 9 of them.
        Assert.Equal(9L * 128 * 1024 * 1024, inventory.GetProperty("memory").GetInt64());
        Assert.Equal($$"""[{"name":"eth0","mac":"{{Mac}}"}]""", inventory.GetProperty("nics").GetRawText());
        Assert.Contains("Booting the discovery OS (arm64)", guest.Serial);
        Assert.Contains("GET /discovery/arm64/vmlinuz", _boot.Service.Log);
    }
}
