using System.Text.RegularExpressions;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// Secure Boot on, with the keys servers are delivered with (OVMF's Microsoft-enrolled variables):
/// the Secure Boot images boot through Debian's signed shim and GRUB to Debian's signed kernel
/// with our command line, as a CD and as a disk; and the plain images are refused by the firmware,
/// which shows the test really enforces.
/// </summary>
public sealed partial class SecureBootTests(BootSite site) : IClassFixture<BootSite>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    /// <summary>GRUB drives the network through the firmware, and OVMF has a driver for virtio-net, not for e1000.</summary>
    private static readonly Qemu.Options VirtioNic = new(Nics: [new Qemu.Nic("virtio-net-pci")]);

    [GeneratedRegex("secureboot: Secure boot enabled")]
    private static partial Regex SecureBootEnabled();

    [GeneratedRegex(@"Access Denied|iPXE initialising|iPXE \d")]
    private static partial Regex IpxeOrRefusal();

    [Theory]
    [InlineData("/iso-sb/prod/4242/console=ttyS0", true)]
    [InlineData("/usb-sb/prod/4242/console=ttyS0", false)]
    public async Task The_secure_boot_image_boots_the_signed_kernel_with_our_command_line(string path, bool asCdrom)
    {
        var image = await site.DownloadAsync(path);
        await using var guest = Qemu.Guest.Start(Firmware.SecureBootMicrosoft, new Qemu.Media(image, asCdrom), site.Service.Port, VirtioNic);

        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), Timeout);

        Assert.Equal($"Kernel command line: BOOT_IMAGE=(http,{Qemu.ServiceAddress})/kernel/net/prod.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=4242 console=ttyS0", line);
        Assert.Matches(SecureBootEnabled(), guest.Serial);
        Assert.Contains("Zero-OS boot loader (Secure Boot)", guest.Serial);
    }

    [Theory]
    [InlineData("/iso/prod/4242/console=ttyS0", true)]
    [InlineData("/uefimg/prod/4242/console=ttyS0", false)]
    public async Task The_plain_images_are_refused_by_the_firmware(string path, bool asCdrom)
    {
        var image = await site.DownloadAsync(path);
        await using var guest = Qemu.Guest.Start(Firmware.SecureBootMicrosoft, new Qemu.Media(image, asCdrom), site.Service.Port, VirtioNic);

        Assert.Equal("Access Denied", await guest.WaitForAsync(IpxeOrRefusal(), Timeout));
        Assert.DoesNotContain("iPXE", guest.Serial);
    }
}
