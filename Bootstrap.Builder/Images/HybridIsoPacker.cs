using Bootstrap.Builder.Images.Caching;
using Bootstrap.Builder.Images.Formats;
using System.Text;
using Bootstrap.Builder.Images.Formats.Iso;
using Bootstrap.Builder.Images.Formats.Mbr;

namespace Bootstrap.Builder.Images;

/// <summary>
/// One hybrid image that boots as a CD, a hard disk or a USB stick, under BIOS and UEFI:
/// <list type="bullet">
/// <item>BIOS CD: El Torito no-emulation entry → isolinux → <c>/ipxe.lkrn</c> with <c>initrd=/boot.ipxe</c>.</item>
/// <item>BIOS disk: isohdpfx MBR code → the same isolinux.bin, found through MBR bytes 432–439.</item>
/// <item>UEFI CD: El Torito EFI entry → the appended FAT volume (BOOTX64.EFI + autoexec.ipxe).</item>
/// <item>UEFI disk: MBR partition 2 (type 0xEF) → the same FAT volume.</item>
/// </list>
/// With <c>secureBoot</c>, the FAT volume holds Debian's signed shim and GRUB with the request's
/// <c>grub.cfg</c> instead of iPXE (<see cref="EfiFat"/>), so machines that trust only Microsoft's
/// keys boot it with Secure Boot on; the BIOS side stays iPXE (BIOS has no Secure Boot).
/// </summary>
public sealed class HybridIsoPacker(bool secureBoot = false) : IImagePacker
{
    public string Id => secureBoot ? "hybrid-iso-secure-boot" : "hybrid-iso:x64+aa64";

    public bool CarriesGrubConfig => secureBoot;

    public string? Unsupported(Templates.IIpxeTemplate template) =>
        secureBoot && EfiFat.SecureBootFiles.FirstOrDefault(f => !template.Has(f)) is { } missing
            ? $"the iPXE template has no {missing} (Debian's signed shim and GRUB): run setup/template.sh"
            : null;

    internal const string IsolinuxConfig = """
        DEFAULT ipxe
        PROMPT 0
        TIMEOUT 0
        LABEL ipxe
          LINUX /ipxe.lkrn
          APPEND initrd=/boot.ipxe

        """;

    public async Task<PackedImage> PackAsync(PackInput input, CancellationToken cancel)
    {
        // With a source template the BIOS and the EFI iPXE each cost a compression or a relink: both at once.
        var lkrn = input.FileAsync("ipxe.lkrn", cancel);
        var fat = await EfiFat.CreateAsync(input, hiddenSectors: 0, cancel, secureBoot);

        var iso = new IsoImageBuilder { VolumeIdentifier = "IPXE", UpdateIsolinuxBootTable = true };
        iso.AddFile("isolinux/isolinux.bin", await input.FileAsync("isolinux.bin", cancel));
        iso.AddFile("isolinux/ldlinux.c32", await input.FileAsync("ldlinux.c32", cancel));
        iso.AddFile("isolinux/isolinux.cfg", Encoding.ASCII.GetBytes(IsolinuxConfig.Replace("\r\n", "\n")));
        iso.AddFile("ipxe.lkrn", await lkrn);
        iso.AddFile("boot.ipxe", input.ScriptBytes);
        // A GRUB started from the CD's EFI image may take the CD (ISO 9660) as its root: the config is there too.
        if (secureBoot)
            iso.AddFile(EfiFat.GrubConfigPath, input.GrubConfigBytes);
        iso.SetBootImage("isolinux/isolinux.bin", loadSectors: 4);
        iso.SetEfiBootImage(fat.Size, fat.Build);

        var layout = iso.Plan();
        const int blocksToSectors = IsoImageBuilder.BlockSize / 512;
        // isohdpfx.bin's code (0-431) loads isolinux.bin from the 64-bit LBA (512-byte units) at 432.
        var bootCode = new byte[440];
        (await input.FileAsync("isohdpfx.bin", cancel)).AsSpan(0, 432).CopyTo(bootCode);
        Fields.U64(bootCode, 432, layout.BiosBootFileLba * blocksToSectors);
        iso.SystemArea = MbrBuilder.Build(bootCode, input.Serial,
        [
            new MbrPartition(true, MbrPartition.IsoHybrid, 0, layout.VolumeBlocks * blocksToSectors),
            new MbrPartition(false, MbrPartition.EfiSystem, layout.EfiImageLba * blocksToSectors, fat.Size / 512),
        ]);
        return new PackedImage(iso.Size, iso.Build);
    }
}
