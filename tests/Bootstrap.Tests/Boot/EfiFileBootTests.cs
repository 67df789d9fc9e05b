using System.Text.RegularExpressions;
using Bootstrap.Builder.Machines;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// The single .efi downloads, each alone as EFI/BOOT/BOOTX64.EFI on a FAT drive, booted by OVMF:
/// /uefi with an e1000 (iPXE's own driver), /snponly with virtio-net and no option ROM (iPXE
/// drives the firmware's SNP). Each passes only when the kernel shows our command line.
/// </summary>
public sealed partial class EfiFileBootTests(BootSite boot) : IClassFixture<BootSite>
{

    [Theory]
    [InlineData("uefi", "e1000")]
    [InlineData("snponly", "virtio-net-pci")]
    public async Task Efi_file_alone_boots_the_kernel(string route, string nic)
    {
        var line = await BootEfiFile($"/{route}/prod/4242/console=ttyS0", nic);

        Assert.Equal("Kernel command line: kernel nomodeset version=v3 runmode=prod panic=7200 farmer_id=4242 console=ttyS0", line);
    }

    /// <summary>
    /// The generic image asks /provision/&lt;its MAC&gt;; the service answers with the quick script of
    /// the registered machine (QEMU's default MAC), whose farm and arguments come from the database.
    /// </summary>
    [Fact]
    public async Task Generic_efi_file_boots_what_the_database_says_for_its_mac()
    {
        using var admin = boot.Service.AdminClient();
        await MachineApi.AssignAsync(admin, "52:54:00:12:34:56", new { network = "prod", farmer = "777", args = "console=ttyS0 from=db" });
        var token = (await admin.GetStringAsync("/provision/52:54:00:12:34:56")) is var script ? MachineApi.TokenIn(script) : "";

        var line = await BootEfiFile("/uefi-generic", "e1000");

        Assert.Equal("Kernel command line: kernel nomodeset version=v3 runmode=prod panic=7200 farmer_id=777 console=ttyS0 from=db " +
                     $"bootstrap_url=http://{Qemu.ServiceAddress} bootstrap_token={token}", line);
    }

    private async Task<string> BootEfiFile(string path, string nic)
    {
        var efi = await boot.DownloadAsync(path);
        var esp = Directory.CreateTempSubdirectory("bootstrap-esp-").FullName;
        Directory.CreateDirectory(Path.Combine(esp, "EFI", "BOOT"));
        File.Move(efi, Path.Combine(esp, "EFI", "BOOT", "BOOTX64.EFI"));
        try
        {
            return await Qemu.BootUntilAsync(Firmware.Uefi, new Qemu.Media($"fat:rw:{esp}", AsCdrom: false), boot.Service.Port,
                Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4), nic);
        }
        finally
        {
            Directory.Delete(esp, recursive: true);
        }
    }
}
