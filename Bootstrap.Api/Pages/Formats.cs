using Bootstrap.Builder.Targets;

namespace Bootstrap.Api.Pages;

/// <summary>A choice on the generator page: the route, what it is for, and whether it needs a source template.</summary>
public sealed record Format(string Route, string Label, string WhenToUse, bool NeedsSource = false)
{
    public string FileName(string network) => Route == "ipxe" ? $"{network}.ipxe" : TargetTable.All.Single(t => t.Route == Route).FileNameFor(network);
}

public static class Formats
{
    /// <summary>The formats a farmer picks from, each with one line on when to use it.</summary>
    public static IReadOnlyList<Format> All { get; } =
    [
        new("iso", "ISO image", "For a CD, or a server's BMC virtual media (iDRAC, iLO, IPMI). Also boots from a USB stick."),
        new("usb", "USB image", "Write it to a USB stick (dd, Etcher, Rufus); boots BIOS and UEFI machines."),
        new("uefimg", "UEFI USB image", "A USB stick for UEFI-only machines."),
        new("uefi", "EFI file", "One .efi file: copy to a stick as EFI/BOOT/BOOTX64.EFI, or chainload it from a UEFI boot menu."),
        new("snponly", "EFI file (firmware network driver)", "Like the EFI file, but uses the firmware's own network driver: for NICs iPXE has no driver for."),
        new("krn", "Linux-kernel file (.lkrn)", "For GRUB or syslinux (linux16 ipxe.lkrn).", NeedsSource: true),
        new("ipxe", "iPXE script URL", "For machines that already run iPXE: chain this URL."),
    ];

    /// <summary>The page's short word for a format the current template cannot make; the route's 501 body has the details.</summary>
    public const string NeedsSourceNote = "this service has no source-built iPXE. For BIOS machines use the ISO or USB image: they run the same script.";
}
