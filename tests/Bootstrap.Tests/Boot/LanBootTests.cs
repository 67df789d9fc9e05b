using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// The first run of a new user: a site on its defaults (no base-host, plain HTTP on port 5555)
/// on a real layer-2 network with the site's own DHCP server, and a machine on that network booting
/// the ISO downloaded from the site's address. The kernel must come over the same plain HTTP the
/// image came from (a script pointing at https:// on that port makes iPXE fail and reboot).
/// </summary>
public sealed class LanBootTests
{
    [Fact]
    public async Task A_machine_on_the_lan_boots_the_image_of_a_site_on_its_defaults()
    {
        var kernel = Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_KERNEL") is { Length: > 0 } k ? k : Path.Combine(RepoRoot.Path, ".cache", "vmlinuz");
        using var site = new TestSite(c => c["ipxe-template"] = RepoTemplate.Folder);
        File.Copy(kernel, Path.Combine(site.Kernels, "vmlinuz-debian.efi"));
        site.AddLink("prod.efi", "vmlinuz-debian.efi");
        using var lan = new LanNetwork();
        using var service = new LiveService(site.ConfigFile, lan);
        var iso = Path.Combine(site.Root, "downloaded.iso");

        lan.Run("curl", "--fail", "--silent", "--show-error", "--output", iso, $"{service.BaseAddress}iso/prod/1234/console=ttyS0");
        await using var machine = Qemu.Guest.Start(Firmware.Bios, new Qemu.Media(iso, AsCdrom: true), service.Port, new Qemu.Options(Lan: lan));
        var line = await machine.WaitForAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4));

        Assert.Equal("http://10.77.0.1:5555/", service.BaseAddress.ToString());
        Assert.Equal("Kernel command line: nomodeset version=v3 runmode=prod panic=7200 farmer_id=1234 console=ttyS0", line);
    }
}
