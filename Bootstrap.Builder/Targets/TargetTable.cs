namespace Bootstrap.Builder.Targets;

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

/// <summary>
/// One downloadable image: its route prefix, the script it carries, the packer that makes it and
/// the file name it is saved as (<c>{network}</c> is replaced). Whether the current template can
/// make it is the packer's to say (<see cref="IImagePacker.Unsupported"/>; answered 501).
/// </summary>
public sealed record Target(string Route, RouteShape Shape, ScriptKind Script, IImagePacker Packer, string FileName)
{
    public string FileNameFor(string? network) => FileName.Replace("{network}", network ?? "generic");
}

/// <summary>The one table every image route is made from (0-bootstrap's file names kept).</summary>
public static class TargetTable
{
    public static readonly HybridIsoPacker HybridIso = new();
    public static readonly UefiUsbPacker UefiUsb = new();
    public static readonly EfiWrapperPacker UefiFull = new("ipxe-amd64.efi", WrapperDevice.Self);
    public static readonly EfiWrapperPacker UefiSnpOnly = new("snponly.efi", WrapperDevice.Network);
    public static readonly LinuxKernelPacker LinuxKernel = new();

    public static IReadOnlyList<Target> All { get; } =
    [
        new("iso", RouteShape.Request, ScriptKind.Boot, HybridIso, "ipxe-{network}.iso"),
        new("usb", RouteShape.Request, ScriptKind.Boot, HybridIso, "ipxe-{network}.img"),
        new("uefimg", RouteShape.Request, ScriptKind.Boot, UefiUsb, "uefiusb-{network}.img"),
        new("debug", RouteShape.NetworkAndFarmer, ScriptKind.Debug, UefiUsb, "uefiusb-debug-{network}.img"),
        new("uefi", RouteShape.Request, ScriptKind.Boot, UefiFull, "ipxe-{network}.efi"),
        new("snponly", RouteShape.Request, ScriptKind.Boot, UefiSnpOnly, "ipxe-snp-{network}.efi"),
        new("uefi-generic", RouteShape.Static, ScriptKind.Provision, UefiFull, "ipxe-generic.efi"),
        new("uefi-provision", RouteShape.Static, ScriptKind.Boot, UefiFull, "ipxe-provision.efi"),
        new("krn", RouteShape.Request, ScriptKind.Boot, LinuxKernel, "ipxe-{network}.lkrn"),
        new("krn-generic", RouteShape.Static, ScriptKind.Provision, LinuxKernel, "ipxe-generic.lkrn"),
        new("krn-provision", RouteShape.Static, ScriptKind.Boot, LinuxKernel, "ipxe-provision.lkrn"),
    ];
}
