using Bootstrap.Builder.Targets;

namespace Bootstrap.Api.Pages;

/// <summary>A choice on the generator page: the route, what it is for, and why it is off when it is.</summary>
public sealed record Format(string Route, string Label, string WhenToUse, string? Unavailable)
{
    public string FileName(string network) => Route == "ipxe" ? $"{network}.ipxe" : TargetTable.All.Single(t => t.Route == Route).FileNameFor(network);
}

public static class Formats
{
    /// <summary>The formats a farmer picks from, each with one line on when to use it.</summary>
    public static IReadOnlyList<Format> All { get; } =
    [
        Make("iso", "ISO image", "For a CD, or a server's BMC virtual media (iDRAC, iLO, IPMI). Also boots from a USB stick."),
        Make("usb", "USB image", "Write it to a USB stick (dd, Etcher, Rufus); boots BIOS and UEFI machines."),
        Make("uefimg", "UEFI USB image", "A USB stick for UEFI-only machines."),
        Make("uefi", "EFI file", "One .efi file: copy to a stick as EFI/BOOT/BOOTX64.EFI, or chainload it from a UEFI boot menu."),
        Make("snponly", "EFI file (firmware network driver)", "Like the EFI file, but uses the firmware's own network driver: for NICs iPXE has no driver for."),
        Make("krn", "Linux-kernel file (.lkrn)", "For GRUB or syslinux (linux16 ipxe.lkrn)."),
        new("ipxe", "iPXE script URL", "For machines that already run iPXE: chain this URL.", null),
    ];

    /// <summary>The page's short word for an unavailable target; the route's 501 body carries the operator's details.</summary>
    private static Format Make(string route, string label, string when) =>
        new(route, label, when, TargetTable.All.Single(t => t.Route == route).Unavailable == null
            ? null
            : "this service has no source-built iPXE. For BIOS machines use the ISO or USB image: they run the same script.");
}
