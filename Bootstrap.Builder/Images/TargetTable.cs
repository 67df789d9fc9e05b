namespace Bootstrap.Builder.Images;

/// <summary>Which script an image carries.</summary>
public enum ScriptKind
{
    /// <summary>The boot script of the request (network, farm, args, kernel).</summary>
    Boot,
    /// <summary>The boot script with network diagnostics and a pause before the download.</summary>
    Debug,
    /// <summary>The generic script: each NIC asks /provision/&lt;mac&gt;.</summary>
    Provision,
}

/// <summary>The URL segments a target's route takes after its prefix.</summary>
public enum RouteShape
{
    /// <summary><c>{network}[/{farmer}[/{args}[/{kernel}]]]</c></summary>
    Request,
    /// <summary><c>{network}/{farmer}</c></summary>
    NetworkAndFarmer,
    /// <summary>No segments: a provisioning script, or the boot script of the default network without a farm.</summary>
    Static,
}

/// <summary>How the generator page offers a target: its name and one line on when to use it.</summary>
public sealed record Offer(string Label, string WhenToUse);

/// <summary>
/// One downloadable image: its route prefix, the script it carries, the packer that makes it,
/// the file name it is saved as (<c>{network}</c> is replaced) and, for the ones a farmer picks,
/// how the generator page offers it. Whether the current template can make it is the packer's to
/// say (<see cref="IImagePacker.Unsupported"/>; answered 501).
/// </summary>
/// <param name="MediaType">Its Content-Type: UEFI HTTP boot takes an EFI program only as <c>application/efi</c> or from a URL ending in .efi (UEFI 2.x §24.7.3).</param>
public sealed record Target(string Route, RouteShape Shape, ScriptKind Script, IImagePacker Packer, string FileName, Offer? Offer = null,
    string MediaType = "application/octet-stream")
{
    public string FileNameFor(string? network) => FileName.Replace("{network}", network ?? "generic");
}

/// <summary>The one table every image route is made from (0-bootstrap's file names kept).</summary>
public static class TargetTable
{
    public static readonly HybridIsoPacker HybridIso = new();
    public static readonly HybridIsoPacker SecureBootIso = new(secureBoot: true);
    public static readonly UefiUsbPacker UefiUsb = new();
    public static readonly EfiWrapperPacker UefiFull = new("ipxe-amd64.efi", WrapperDevice.Self);
    public static readonly EfiWrapperPacker UefiSnpOnly = new("snponly.efi", WrapperDevice.Network);
    public static readonly EfiWrapperPacker UefiArm64 = new(EfiFat.Arm64Ipxe, WrapperDevice.Self, "ipxe-wrapper-arm64.efi");
    public static readonly LinuxKernelPacker LinuxKernel = new();

    /// <summary>The generic EFI file under a URL ending in .efi, for UEFI HTTP boot (the PXE proxy hands it out).</summary>
    public const string HttpBootRoute = "uefi-generic.efi";

    /// <summary>The same for ARM64 UEFI HTTP boot clients.</summary>
    public const string Arm64HttpBootRoute = "uefi-generic-arm64.efi";

    public static IReadOnlyList<Target> All { get; } =
    [
        new("iso", RouteShape.Request, ScriptKind.Boot, HybridIso, "ipxe-{network}.iso",
            new("ISO image", "For a CD, or a server's BMC virtual media (iDRAC, iLO, IPMI). Also boots from a USB stick. One image for x86 BIOS, x86-64 UEFI and ARM64 UEFI machines.")),
        new("usb", RouteShape.Request, ScriptKind.Boot, HybridIso, "ipxe-{network}.img",
            new("USB image", "Write it to a USB stick (dd, Etcher, Rufus); boots BIOS and UEFI machines, x86 and ARM64.")),
        new("iso-sb", RouteShape.Request, ScriptKind.Boot, SecureBootIso, "boot-sb-{network}.iso",
            new("ISO image for Secure Boot", "For machines with Secure Boot on (Microsoft's keys, as delivered): Debian's signed shim and GRUB boot a signed kernel.")),
        new("usb-sb", RouteShape.Request, ScriptKind.Boot, SecureBootIso, "boot-sb-{network}.img",
            new("USB image for Secure Boot", "The Secure Boot image for a USB stick (dd, Etcher, Rufus).")),
        new("uefimg", RouteShape.Request, ScriptKind.Boot, UefiUsb, "uefiusb-{network}.img",
            new("UEFI USB image", "A USB stick for UEFI-only machines.")),
        new("debug", RouteShape.NetworkAndFarmer, ScriptKind.Debug, UefiUsb, "uefiusb-debug-{network}.img"),
        new("uefi", RouteShape.Request, ScriptKind.Boot, UefiFull, "ipxe-{network}.efi",
            new("EFI file", "One .efi file: copy to a stick as EFI/BOOT/BOOTX64.EFI, or chainload it from a UEFI boot menu.")),
        new("snponly", RouteShape.Request, ScriptKind.Boot, UefiSnpOnly, "ipxe-snp-{network}.efi",
            new("EFI file (firmware network driver)", "Like the EFI file, but uses the firmware's own network driver: for NICs iPXE has no driver for.")),
        new("uefi-arm64", RouteShape.Request, ScriptKind.Boot, UefiArm64, "ipxe-{network}-arm64.efi",
            new("EFI file for ARM64", "One .efi file for ARM64 UEFI machines (Ampere, Graviton-class, Raspberry Pi with UEFI firmware): copy to a stick as EFI/BOOT/BOOTAA64.EFI, or chainload it.")),
        new("uefi-generic", RouteShape.Static, ScriptKind.Provision, UefiFull, "ipxe-generic.efi"),
        new("uefi-generic-arm64", RouteShape.Static, ScriptKind.Provision, UefiArm64, "ipxe-generic-arm64.efi"),
        new(Arm64HttpBootRoute, RouteShape.Static, ScriptKind.Provision, UefiArm64, "ipxe-generic-arm64.efi", MediaType: "application/efi"),
        // What the PXE proxy hands UEFI HTTP boot clients: the generic EFI file under a URL ending in .efi.
        new(HttpBootRoute, RouteShape.Static, ScriptKind.Provision, UefiFull, "ipxe-generic.efi", MediaType: "application/efi"),
        new("iso-generic", RouteShape.Static, ScriptKind.Provision, HybridIso, "ipxe-generic.iso"),
        new("usb-generic", RouteShape.Static, ScriptKind.Provision, HybridIso, "ipxe-generic.img"),
        new("uefi-provision", RouteShape.Static, ScriptKind.Boot, UefiFull, "ipxe-provision.efi"),
        new("krn", RouteShape.Request, ScriptKind.Boot, LinuxKernel, "ipxe-{network}.lkrn",
            new("Linux-kernel file (.lkrn)", "For GRUB or syslinux (linux16 ipxe.lkrn).")),
        new("krn-generic", RouteShape.Static, ScriptKind.Provision, LinuxKernel, "ipxe-generic.lkrn"),
        new("krn-provision", RouteShape.Static, ScriptKind.Boot, LinuxKernel, "ipxe-provision.lkrn"),
    ];
}
