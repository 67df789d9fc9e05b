using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// ARM64 machines (QEMU's aarch64 virt machine under TCG, AAVMF firmware): Debian's ARM64 iPXE
/// runs this service's boot script and starts Debian's ARM64 kernel with the farm's command line.
/// </summary>
public sealed class Arm64BootTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task Arm64_ipxe_runs_the_boot_script_and_starts_the_arm64_kernel()
    {
        var kernel = Path.Combine(RepoRoot.Path, ".cache", "vmlinuz-arm64");
        using var site = new TestSite(c =>
        {
            c["base-host"] = $"http://{Qemu.ServiceAddress}";
            c["ipxe-template"] = RepoTemplate.Folder;
        });
        File.Copy(kernel, Path.Combine(site.Kernels, "vmlinuz-debian-arm64.efi"));
        site.AddLink("prod.efi", "vmlinuz-debian-arm64.efi");
        using var service = new LiveService(site.ConfigFile);
        var drive = Qemu.FatDriveWith(Path.Combine(RepoTemplate.Folder, "ipxe-arm64.efi"), "BOOTAA64.EFI",
            new Dictionary<string, string> { ["autoexec.ipxe"] = $"#!ipxe\ndhcp\nchain http://{Qemu.ServiceAddress}/ipxe/prod/4242/console=ttyAMA0\n" });

        await using var guest = Qemu.Guest.Start(Firmware.Arm64Uefi, new Qemu.Media(drive, AsCdrom: false), service.Port,
            new Qemu.Options([new Qemu.Nic("virtio-net-pci")], MemoryMiB: 1024));
        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), Timeout);

        Assert.StartsWith("Kernel command line: kernel nomodeset version=v3 runmode=prod panic=7200 farmer_id=4242 console=ttyAMA0", line);
        Assert.Contains("GET /kernel/net/prod.efi", service.Log);
    }
}
