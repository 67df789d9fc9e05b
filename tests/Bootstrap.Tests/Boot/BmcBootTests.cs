using System.Text.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// A machine the service powers through its BMC: OpenIPMI's ipmi_sim is the BMC, its chassis a
/// QEMU guest on a real layer-2 network (the site's DHCP server, the service's proxyDHCP and TFTP).
/// Nobody presses a button: the service sets the next boot, powers the machine on, and it boots.
/// </summary>
public sealed class BmcBootTests
{
    private const string Mac = "52:54:00:12:34:59";

    private static string Curl(LanNetwork lan, LiveService service, string method, string path, string? json = null) =>
        lan.Run(["curl", "--fail-with-body", "--silent", "--show-error", "-X", method, "-H", $"Authorization: Bearer {TestSite.Token}",
            .. json == null ? Array.Empty<string>() : ["-H", "Content-Type: application/json", "--data", json], $"{service.BaseAddress}{path.TrimStart('/')}"]);

    [Fact]
    public async Task A_powered_off_machine_is_provisioned_through_ipmi_boots_its_kernel_and_is_powered_off_again()
    {
        var kernel = Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_KERNEL") is { Length: > 0 } k ? k : Path.Combine(RepoRoot.Path, ".cache", "vmlinuz");
        using var site = new TestSite(c =>
        {
            c["ipxe-template"] = RepoTemplate.Folder;
            c["pxe"] = new Dictionary<string, object> { ["enabled"] = true, ["interface"] = "br0" };
        });
        File.Copy(kernel, Path.Combine(site.Kernels, "vmlinuz-debian.efi"));
        site.AddLink("prod.efi", "vmlinuz-debian.efi");
        using var lan = new LanNetwork();
        using var service = new LiveService(site.ConfigFile, lan);
        using var bmc = IpmiSimulator.StartWithGuest(lan, Firmware.Bios, new Qemu.Options([new Qemu.Nic("e1000", Mac, Rom: true)], Lan: lan));
        Curl(lan, service, "PUT", $"api/machines/{Mac}/bmc",
            $$"""{"type": "ipmi", "address": "127.0.0.1", "port": {{bmc.Port}}, "username": "{{IpmiSimulator.User}}", "password": "{{IpmiSimulator.Password}}"}""");

        var before = Curl(lan, service, "GET", $"api/machines/{Mac}/power");
        var provisioned = JsonDocument.Parse(Curl(lan, service, "POST", "api/machines/provision",
            $$$"""{"machines": [{"mac": "{{{Mac}}}", "assign": {"network": "prod", "farmer": "4747", "args": "console=ttyS0"}}], "mode": "legacy"}""")).RootElement;
        var line = await bmc.WaitForSerialAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4));
        var off = Curl(lan, service, "POST", $"api/machines/{Mac}/power", """{"action": "off"}""");

        Assert.Equal("""{"state":"off"}""", before);
        Assert.Equal("assigned prod/4747; next boot from network (legacy); power on, now on",
            provisioned.GetProperty("machines")[0].GetProperty("message").GetString());
        Assert.StartsWith("Kernel command line: nomodeset version=v3 runmode=prod panic=7200 farmer_id=4747 console=ttyS0", line);
        Assert.Equal("""{"state":"off"}""", off);
        Assert.Equal(["boot pxe", "power 1", "power 0"], bmc.Changes);
        Assert.Contains($"GET /provision/{Mac}", service.Log);
    }
}
