using Bootstrap.Builder.Images.Caching;
using Bootstrap.Builder.Images.Formats.Pe;

namespace Bootstrap.Builder.Images;

/// <summary>Which device the wrapper tells iPXE it was loaded from.</summary>
public enum WrapperDevice
{
    /// <summary>The device the .efi file itself was loaded from (full iPXE brings its own drivers).</summary>
    Self,
    /// <summary>The first network device the firmware drives: snponly.efi only uses the device it was loaded from.</summary>
    Network,
}

/// <summary>
/// One .efi file that boots straight into the script: our wrapper (setup/efi-wrapper) with iPXE in
/// a <c>.ipxe</c> section, the script in a <c>.script</c> section and the device choice in a
/// <c>.device</c> section. The wrapper starts that iPXE with the script as its EFI command line,
/// which iPXE runs. Copy it to a stick as <c>EFI/BOOT/BOOTX64.EFI</c> (<c>BOOTAA64.EFI</c> for the
/// ARM64 one), or chainload it. Each architecture has its own wrapper, built by setup/template.sh.
/// </summary>
public sealed class EfiWrapperPacker(string ipxeBinary, WrapperDevice device, string wrapper = EfiWrapperPacker.Wrapper) : IImagePacker
{
    public const string Wrapper = "ipxe-wrapper.efi";

    public string Id => $"efi-wrapper:{ipxeBinary}:{device}:{wrapper}";

    /// <summary>
    /// A template without this iPXE (a source template builds x86 iPXE only) cannot make it; nor can
    /// one that compiles scripts in, but has no wrapper for an iPXE it does not build.
    /// </summary>
    public string? Unsupported(Templates.IIpxeTemplate template) =>
        !template.Has(ipxeBinary) ? $"the iPXE template has no {ipxeBinary} (setup/template.sh makes one that has)"
        : !template.EmbedsScripts && !template.Has(wrapper) ? $"the iPXE template has no {wrapper} (setup/template.sh makes one that has)"
        : null;

    /// <summary>
    /// A source template compiles the script into iPXE itself: its EFI file needs no wrapper. With a
    /// site key the inner iPXE is signed too: the wrapper starts it with LoadImage, which firmware verifies.
    /// </summary>
    public async Task<PackedImage> PackAsync(PackInput input, CancellationToken cancel) =>
        PackedImage.Of(input.Signed(input.Template.EmbedsScripts
            ? await input.FileAsync(ipxeBinary, cancel)
            : PeSectionAppender.Append(
            await input.FileAsync(wrapper, cancel),
            new PeSection(".ipxe", input.Signed(await input.FileAsync(ipxeBinary, cancel))),
            new PeSection(".script", input.ScriptBytes),
            new PeSection(".device", device == WrapperDevice.Network ? "network"u8.ToArray() : "self"u8.ToArray()))));
}
