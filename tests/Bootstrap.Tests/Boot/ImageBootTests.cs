using System.Text.RegularExpressions;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// The images the service produced, booted in QEMU. A case passes only when the Debian kernel,
/// downloaded by iPXE from the service, prints its command line on the serial console with the
/// network and farm of the request: iPXE ran our script, fetched the kernel from us and booted it.
/// </summary>
public abstract partial class ImageBootTests(BootSite boot)
{
    protected const string Request = "prod/4242/console=ttyS0";

    /// <summary>
    /// What the kernel prints: the command line our script handed to imgfetch. Under UEFI, iPXE
    /// starts an EFI image with its image name as the first word (argv[0] convention).
    /// </summary>
    protected static string ExpectedCommandLine(Firmware firmware) =>
        "Kernel command line: " + (firmware == Firmware.Uefi ? "kernel " : "") +
        "nomodeset version=v3 runmode=prod panic=7200 farmer_id=4242 console=ttyS0";


    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    protected async Task BootsAsync(Firmware firmware, string route, bool asCdrom)
    {
        var image = await boot.DownloadAsync($"/{route}/{Request}");

        var line = await Qemu.BootUntilAsync(firmware, new Qemu.Media(image, asCdrom), boot.Service.Port, Qemu.KernelCommandLine(), Timeout);

        Assert.Equal(ExpectedCommandLine(firmware), line);
        File.Delete(image);
    }
}

public sealed class BiosBootTests(BootSite boot) : ImageBootTests(boot), IClassFixture<BootSite>
{
    [Fact] public Task Iso_as_cd() => BootsAsync(Firmware.Bios, "iso", asCdrom: true);
    [Fact] public Task Iso_as_hard_disk() => BootsAsync(Firmware.Bios, "iso", asCdrom: false);
    [Fact] public Task Usb_image_as_disk() => BootsAsync(Firmware.Bios, "usb", asCdrom: false);
}

public sealed class UefiBootTests(BootSite boot) : ImageBootTests(boot), IClassFixture<BootSite>
{
    [Fact] public Task Iso_as_cd() => BootsAsync(Firmware.Uefi, "iso", asCdrom: true);
    [Fact] public Task Iso_as_hard_disk() => BootsAsync(Firmware.Uefi, "iso", asCdrom: false);
    [Fact] public Task Usb_image_as_disk() => BootsAsync(Firmware.Uefi, "usb", asCdrom: false);
    [Fact] public Task Uefi_usb_image_as_disk() => BootsAsync(Firmware.Uefi, "uefimg", asCdrom: false);
}
