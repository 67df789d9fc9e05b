using Bootstrap.Builder.Images.Caching;
using Bootstrap.Builder.Images.Templates;

namespace Bootstrap.Builder.Images;

/// <summary>
/// iPXE as a Linux-kernel-format file (<c>.lkrn</c>) with the script compiled in, for GRUB or
/// syslinux. Only a source template can make it: the prebuilt BIOS iPXE has no room for a script.
/// </summary>
public sealed class LinuxKernelPacker : IImagePacker
{
    /// <summary>Why the binary template makes no .lkrn.</summary>
    public const string NeedsSource =
        "a BIOS .lkrn that carries its script needs iPXE built from source with the script embedded " +
        "(a source template: setup/template.sh --source); this service has the binary template. " +
        "For BIOS machines use /iso/... (CD or virtual media) or /usb/... (USB stick), which run the same script";

    public string Id => "lkrn";

    public async Task<PackedImage> PackAsync(PackInput input, CancellationToken cancel) => PackedImage.Of(await input.FileAsync("ipxe.lkrn", cancel));

    public bool NeedsEmbeddedScripts => true;

    public string? Unsupported(IIpxeTemplate template) => template.EmbedsScripts ? null : NeedsSource;
}
