using System.Text.Json;
using System.Text.RegularExpressions;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// Machines with nothing to boot but the network, on a real layer-2 network: the site's DHCP
/// server (dnsmasq, addresses only) and the service with its proxyDHCP and TFTP on the bridge.
/// The firmware finds its boot program through the proxy alone.
/// </summary>
public sealed class PxeBootTests
{
    private const string Mac = "52:54:00:12:34:56";

    private static TestSite PxeSite(bool tftp = true)
    {
        var kernel = Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_KERNEL") is { Length: > 0 } k ? k : Path.Combine(RepoRoot.Path, ".cache", "vmlinuz");
        var site = new TestSite(c =>
        {
            c["ipxe-template"] = RepoTemplate.Folder;
            c["pxe"] = new Dictionary<string, object> { ["enabled"] = true, ["interface"] = "br0", ["tftp"] = tftp };
        });
        File.Copy(kernel, Path.Combine(site.Kernels, "vmlinuz-debian.efi"));
        site.AddLink("prod.efi", "vmlinuz-debian.efi");
        return site;
    }

    /// <summary>curl inside the namespace (the service listens there only); returns the body.</summary>
    private static string Curl(LanNetwork lan, LiveService service, string method, string path, string? json = null) =>
        lan.Run(["curl", "--fail-with-body", "--silent", "--show-error", "-X", method, "-H", $"Authorization: Bearer {TestSite.Token}",
            .. json == null ? Array.Empty<string>() : ["-H", "Content-Type: application/json", "--data", json], $"{service.BaseAddress}{path.TrimStart('/')}"]);

    /// <summary>SeaBIOS's iPXE draws on the screen, not the serial port: a failed boot is told by the service's log.</summary>
    private static async Task<string> WithServiceLog(LiveService service, Task<string> waiting)
    {
        try
        {
            return await waiting;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\nservice log:\n{service.Log}");
        }
    }

    [Fact]
    public async Task A_bios_machine_with_qemus_ipxe_rom_is_sent_straight_to_its_assigned_script()
    {
        using var site = PxeSite();
        using var lan = new LanNetwork();
        using var service = new LiveService(site.ConfigFile, lan);
        Assert.Matches(@"""pxe"":""on 10\.77\.0\.1 \(br0\): proxyDHCP on UDP 67 and 4011, TFTP on UDP 69; scripts from http://10\.77\.0\.1:5555/""",
            Curl(lan, service, "GET", "healthz"));
        Curl(lan, service, "PUT", $"api/machines/{Mac}", """{"network": "prod", "farmer": "4242", "args": "console=ttyS0"}""");

        await using var machine = Qemu.Guest.Start(Firmware.Bios, Qemu.NetworkOnly, service.Port,
            new Qemu.Options([new Qemu.Nic("e1000", Mac, Rom: true)], BootOrder: "n", Lan: lan));
        var line = await WithServiceLog(service, machine.WaitForAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4)));

        Assert.StartsWith("Kernel command line: nomodeset version=v3 runmode=prod panic=7200 farmer_id=4242 console=ttyS0", line);
        Assert.Contains($"GET /provision/{Mac}", service.Log);
        Assert.DoesNotContain("GET /ipxe-generic", service.Log);
        // The address came from the site's DHCP server; the service offered none.
        Assert.Matches($@"^\d+ {Mac} 10\.77\.0\.\d+ ", lan.Leases);
        Assert.Contains("bootstrap_pxe_addresses_offered_total 0\n", Curl(lan, service, "GET", "metrics"));
    }

    [Fact]
    public async Task Arm64_uefi_firmware_pxe_fetches_arm64_ipxe_over_tftp_and_boots_the_runmodes_arm64_kernel()
    {
        using var site = PxeSite();
        File.Copy(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz-arm64"), Path.Combine(site.Kernels, "vmlinuz-debian-arm64.efi"));
        site.AddLink("arm64/prod.efi", "vmlinuz-debian-arm64.efi");
        using var lan = new LanNetwork();
        using var service = new LiveService(site.ConfigFile, lan);
        Curl(lan, service, "PUT", $"api/machines/{Mac}", """{"network": "prod", "farmer": "6411", "args": "console=ttyAMA0"}""");

        await using var machine = Qemu.Guest.Start(Firmware.Arm64Uefi, Qemu.NetworkOnly, service.Port,
            new Qemu.Options([new Qemu.Nic("virtio-net-pci", Mac)], MemoryMiB: 1024, Lan: lan));
        var line = await WithServiceLog(service, machine.WaitForAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(5)));

        Assert.StartsWith("Kernel command line: kernel nomodeset version=v3 runmode=prod panic=7200 farmer_id=6411 console=ttyAMA0 ", line);
        Assert.Contains($"GET /provision/{Mac}", service.Log);
        Assert.Contains("GET /kernel/net/arm64/prod.efi", service.Log);
        // The boot log is written behind: its lines arrive within a second or so of the boot.
        string[] events = [];
        for (var i = 0; i < 50 && !events.Any(e => e.StartsWith("tftp: ipxe-arm64.efi in ")); i++, await Task.Delay(200))
            events = JsonDocument.Parse(Curl(lan, service, "GET", $"api/machines/{Mac}/events")).RootElement.EnumerateArray()
                .Select(e => e.GetProperty("kind").GetString() + ": " + e.GetProperty("detail").GetString()).ToArray();
        Assert.Contains("pxe: offered ipxe-arm64.efi over TFTP", events);
        Assert.Contains(events, e => e.StartsWith("tftp: ipxe-arm64.efi in "));
    }

    [Fact]
    public async Task Uefi_firmware_pxe_fetches_snponly_over_tftp_then_is_discovered_assigned_and_boots()
    {
        using var site = PxeSite();
        using var lan = new LanNetwork();
        using var service = new LiveService(site.ConfigFile, lan);

        await using var machine = Qemu.Guest.Start(Firmware.Uefi, Qemu.NetworkOnly, service.Port,
            new Qemu.Options([new Qemu.Nic("virtio-net-pci", Mac)], Lan: lan));
        var discovered = false;
        for (var i = 0; i < 240 && !discovered; i++)
        {
            discovered = JsonDocument.Parse(Curl(lan, service, "GET", "api/machines")).RootElement.EnumerateArray()
                .Any(m => m.GetProperty("macs").EnumerateArray().Any(x => x.GetString() == Mac));
            if (!discovered)
                await Task.Delay(1000);
        }
        Assert.True(discovered, "the machine was not discovered within 4 minutes:\n" + service.Log);
        Curl(lan, service, "PUT", $"api/machines/{Mac}", """{"network": "prod", "farmer": "4343", "args": "console=ttyS0"}""");
        var line = await WithServiceLog(service, machine.WaitForAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(3)));

        Assert.StartsWith("Kernel command line: kernel nomodeset version=v3 runmode=prod panic=7200 farmer_id=4343 console=ttyS0 ", line);
        Assert.Matches(new Regex(@"GET /ipxe-generic\b"), service.Log);
    }

    [Fact]
    public async Task An_installed_then_local_machine_gets_no_answer_and_boots_its_own_disk()
    {
        using var site = PxeSite();
        using var lan = new LanNetwork();
        using var service = new LiveService(site.ConfigFile, lan);
        Curl(lan, service, "PUT", $"api/machines/{Mac}", """{"network": "prod", "farmer": "4444", "args": "console=ttyS0", "then": "local"}""");
        var disk = Tool.TempFile(MbrDisk.WithMessage(), ".img");
        var options = new Qemu.Options([new Qemu.Nic("e1000", Mac, Rom: true)], Disks: [disk], BootOrder: "nc", Lan: lan);

        await using (var install = Qemu.Guest.Start(Firmware.Bios, Qemu.NetworkOnly, service.Port, options))
            Assert.Contains("farmer_id=4444", await WithServiceLog(service, install.WaitForAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4))));
        Curl(lan, service, "POST", $"api/machines/{Mac}/status", """{"state": "installed"}""");

        await using var next = Qemu.Guest.Start(Firmware.Bios, Qemu.NetworkOnly, service.Port, options);
        Assert.Equal(MbrDisk.Message, await WithServiceLog(service, next.WaitForAsync(MbrDisk.Booted(), TimeSpan.FromMinutes(3))));
        Assert.Contains($"pxe: no answer to {Mac} (x86 BIOS): installed with then: local, it boots its own disk", service.Log);
    }

    [Fact]
    public async Task Uefi_http_boot_fetches_the_generic_efi_file_when_pxe_is_not_answered()
    {
        using var site = PxeSite(tftp: false);
        using var lan = new LanNetwork();
        using var service = new LiveService(site.ConfigFile, lan);
        Curl(lan, service, "PUT", $"api/machines/{Mac}", """{"network": "prod", "farmer": "4545", "args": "console=ttyS0"}""");

        // OVMF tries PXE over IPv4 and IPv6 first (unanswered here), then HTTP boot over IPv4.
        await using var machine = Qemu.Guest.Start(Firmware.Uefi, Qemu.NetworkOnly, service.Port,
            new Qemu.Options([new Qemu.Nic("virtio-net-pci", Mac)], Lan: lan));
        var line = await WithServiceLog(service, machine.WaitForAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(6)));

        Assert.StartsWith("Kernel command line: kernel nomodeset version=v3 runmode=prod panic=7200 farmer_id=4545 console=ttyS0 ", line);
        Assert.Matches(new Regex(@"GET /uefi-generic\.efi 200 .*target=uefi-generic\.efi"), service.Log);
        Assert.Contains($"pxe: no answer to {Mac} (x86-64 UEFI): TFTP is off (pxe.tftp), so PXE firmware is not answered", service.Log);
    }

    [Fact]
    public async Task A_bios_machine_set_to_chain_fetches_undionly_over_tftp_and_boots_through_it()
    {
        using var site = PxeSite();
        using var lan = new LanNetwork();
        using var service = new LiveService(site.ConfigFile, lan);
        Curl(lan, service, "PUT", $"api/machines/{Mac}", """{"network": "prod", "farmer": "4646", "args": "console=ttyS0"}""");
        Curl(lan, service, "PUT", $"api/machines/{Mac}/pxe", """{"pxe": "chain"}""");

        await using var machine = Qemu.Guest.Start(Firmware.Bios, Qemu.NetworkOnly, service.Port,
            new Qemu.Options([new Qemu.Nic("e1000", Mac, Rom: true)], BootOrder: "n", Lan: lan));
        var line = await WithServiceLog(service, machine.WaitForAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4)));

        Assert.StartsWith("Kernel command line: nomodeset version=v3 runmode=prod panic=7200 farmer_id=4646 console=ttyS0 ", line);
        var metrics = Curl(lan, service, "GET", "metrics");
        Assert.Contains("bootstrap_tftp_transfers_total{outcome=\"completed\"} 1\n", metrics);
        Assert.Contains("bootstrap_pxe_addresses_offered_total 0\n", metrics);
        Assert.Matches(@"bootstrap_boot_phase_seconds_count\{phase=""tftp""\} 1\n", metrics);
        var log = JsonDocument.Parse(Curl(lan, service, "GET", $"api/machines/{Mac}/events")).RootElement.EnumerateArray()
            .Select(e => e.GetProperty("kind").GetString() + ": " + e.GetProperty("detail").GetString()).Reverse().ToList();
        // The boot's timeline, oldest first: our iPXE offered to the ROM, sent, offered the script, the script, the kernel.
        Assert.Equal(["pxe: offered undionly.kpxe over TFTP", "tftp: undionly.kpxe in", $"pxe: offered http://10.77.0.1:5555/provision/{Mac}", "script: boot", "fetch: kernel net/prod.efi"],
            log.SkipWhile(l => !l.StartsWith("pxe:")).Select(l => l.StartsWith("tftp:") ? l[..l.LastIndexOf(" in ")] + " in" : l.StartsWith("script:") ? "script: boot" : l).Distinct().ToList());
    }
}
