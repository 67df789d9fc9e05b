using Bootstrap.Builder.Images;

namespace Bootstrap.Api.Features.Images;

/// <summary>A choice on the generator page: an image target that has an <see cref="Offer"/>, or the script URL itself.</summary>
public sealed record Format(string Route, string Label, string WhenToUse, Target? Target)
{
    public string FileName(string network) => Target?.FileNameFor(network) ?? $"{network}.ipxe";

    /// <summary>Only a source template (iPXE compiled per script) can make it.</summary>
    public bool NeedsSource => Target?.Packer.NeedsEmbeddedScripts == true;
}

public static class Formats
{
    /// <summary>The formats a farmer picks from, in <see cref="TargetTable"/>'s order, then the script URL.</summary>
    public static IReadOnlyList<Format> All { get; } =
    [
        .. TargetTable.All.Where(t => t.Offer != null).Select(t => new Format(t.Route, t.Offer!.Label, t.Offer.WhenToUse, t)),
        new("ipxe", "iPXE script URL", "For machines that already run iPXE: chain this URL.", null),
    ];

    /// <summary>The page's short word for a format the current template cannot make; the route's 501 body has the details.</summary>
    public const string NeedsSourceNote = "this service has no source-built iPXE. For BIOS machines use the ISO or USB image: they run the same script.";
}
