using Bootstrap.Builder.Images.Caching;
using Bootstrap.Builder.Images.Templates;

namespace Bootstrap.Builder.Images;

/// <summary>
/// What a packer turns into an image: the template, the rendered iPXE script, for the Secure Boot
/// images the same boot in GRUB's language, a content hash for serials, and the site's signer when
/// a Secure Boot key is configured, and the trace that learns how the template made its binaries.
/// </summary>
public sealed record PackInput(IIpxeTemplate Template, string Script, byte[] ContentHash, string? GrubConfig = null,
    Formats.Pe.AuthenticodeSigner? Signer = null, BuildTrace? Trace = null)
{
    private readonly BuildTrace _trace = Trace ?? new BuildTrace();

    /// <summary>The template's file <paramref name="name"/> for this script.</summary>
    public Task<byte[]> FileAsync(string name, CancellationToken cancel) => Template.FileAsync(name, Script, _trace, cancel);

    /// <summary>An EFI executable as the image carries it: signed with the site key when there is one.</summary>
    public byte[] Signed(byte[] efi) => Signer == null ? efi : Signer.Sign(efi);

    public byte[] ScriptBytes => System.Text.Encoding.UTF8.GetBytes(Script);

    public byte[] GrubConfigBytes => System.Text.Encoding.UTF8.GetBytes(GrubConfig ?? throw new InvalidOperationException("this image needs the boot as a grub.cfg"));

    /// <summary>A 32-bit serial (FAT volume id, MBR disk signature) derived from the content: same input, same image.</summary>
    public uint Serial => BitConverter.ToUInt32(ContentHash, 0);
}

/// <summary>Turns a script into one downloadable file. Pure: the same input gives the same bytes.</summary>
public interface IImagePacker
{
    /// <summary>Names the packer in cache keys; two routes sharing a packer share cached images.</summary>
    string Id { get; }

    Task<PackedImage> PackAsync(PackInput input, CancellationToken cancel);

    /// <summary>True when the image also carries the boot as a <c>grub.cfg</c> (the Secure Boot images).</summary>
    bool CarriesGrubConfig => false;

    /// <summary>True when only a template that compiles scripts into iPXE (a source template) can feed this packer.</summary>
    bool NeedsEmbeddedScripts => false;

    /// <summary>Why this packer cannot work with <paramref name="template"/> (answered 501), or null when it can.</summary>
    string? Unsupported(IIpxeTemplate template) => null;
}
