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
    [InlineData("/uefi/prod/4242/console=ttyS0", false)]
    public async Task The_plain_images_are_refused_by_the_firmware(string path, bool asCdrom)
    {
        var image = await site.DownloadAsync(path);
        var media = asCdrom ? new Qemu.Media(image, AsCdrom: true) : new Qemu.Media(Qemu.FatDriveWith(image), AsCdrom: false);
        await using var guest = Qemu.Guest.Start(Firmware.SecureBootMicrosoft, media, site.Service.Port, VirtioNic);

        Assert.Equal("Access Denied", await guest.WaitForAsync(IpxeOrRefusal(), Timeout));
        Assert.DoesNotContain("iPXE", guest.Serial);
    }
}

/// <summary>
/// Secure Boot on with a site key in the firmware's db (OVMF's snakeoil variables; the service
/// configured with the snakeoil pair): iPXE and the kernels the service signs run, from /uefi and
/// from /iso, a kernel uploaded unsigned included; that kernel's own bytes are refused.
/// </summary>
public sealed partial class SiteKeyBootTests(SiteKeyBootTests.Site site) : IClassFixture<SiteKeyBootTests.Site>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    /// <summary>A boot site signing with the snakeoil key; the test network boots a copy of Debian's kernel with its signature removed.</summary>
    public sealed class Site : IDisposable
    {
        private readonly string _keys = Directory.CreateTempSubdirectory("bootstrap-keys-").FullName;
        public BootSite Boot { get; }
        public byte[] UnsignedKernel { get; }

        public Site()
        {
            var (certificate, key) = SnakeoilKey.WriteTo(_keys);
            Boot = new BootSite(c =>
            {
                c["secure-boot-key"] = key;
                c["secure-boot-cert"] = certificate;
            });
            UnsignedKernel = Http.SiteKeyTests.Unsigned(File.ReadAllBytes(Path.Combine(Boot.Site.Kernels, "vmlinuz-debian.efi")));
            File.WriteAllBytes(Path.Combine(Boot.Site.Kernels, "unsigned.efi"), UnsignedKernel);
            Boot.Site.AddLink("test.efi", "unsigned.efi");
        }

        public void Dispose()
        {
            Boot.Dispose();
            Directory.Delete(_keys, recursive: true);
        }
    }

    [GeneratedRegex("secureboot: Secure boot enabled")]
    private static partial Regex SecureBootEnabled();

    [GeneratedRegex("EFI stub: UEFI Secure Boot is enabled|Access Denied")]
    private static partial Regex StubOrRefusal();

    [Theory]
    [InlineData("/uefi/prod/4242/console=ttyS0", false, "prod", "4242")]
    [InlineData("/iso/prod/4242/console=ttyS0", true, "prod", "4242")]
    [InlineData("/uefi/test/77/console=ttyS0", false, "test", "77")]   // the kernel uploaded unsigned
    public async Task Signed_ipxe_runs_the_script_and_boots_the_kernel_the_service_signed(string path, bool asCdrom, string network, string farmer)
    {
        var image = await site.Boot.DownloadAsync(path);
        var media = asCdrom ? new Qemu.Media(image, AsCdrom: true) : new Qemu.Media(Qemu.FatDriveWith(image), AsCdrom: false);
        await using var guest = Qemu.Guest.Start(Firmware.SecureBootSnakeoil, media, site.Boot.Service.Port);

        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), Timeout);

        Assert.Equal($"Kernel command line: kernel nomodeset version=v3 runmode={network} panic=7200 farmer_id={farmer} console=ttyS0", line);
        Assert.Matches(SecureBootEnabled(), guest.Serial);
    }

    [Fact]
    public async Task The_unsigned_kernel_is_refused_by_the_firmware_and_the_same_kernel_served_signed_starts()
    {
        using var client = site.Boot.Service.Client();
        var served = await client.GetByteArrayAsync("/kernel/unsigned.efi");

        await using (var raw = Qemu.Guest.Start(Firmware.SecureBootSnakeoil, new Qemu.Media(Qemu.FatDriveWith(Tool.TempFile(site.UnsignedKernel, ".efi")), AsCdrom: false), site.Boot.Service.Port))
            Assert.Equal("Access Denied", await raw.WaitForAsync(StubOrRefusal(), Timeout));
        await using (var signed = Qemu.Guest.Start(Firmware.SecureBootSnakeoil, new Qemu.Media(Qemu.FatDriveWith(Tool.TempFile(served, ".efi")), AsCdrom: false), site.Boot.Service.Port))
            Assert.Equal("EFI stub: UEFI Secure Boot is enabled", await signed.WaitForAsync(StubOrRefusal(), Timeout));
    }
}
