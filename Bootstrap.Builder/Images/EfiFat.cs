using Bootstrap.Builder.Images.Formats.Fat;

namespace Bootstrap.Builder.Images;

/// <summary>
/// The FAT volume UEFI boots from, at the removable-media boot path <c>EFI/BOOT/BOOTX64.EFI</c>
/// (UEFI 2.10 section 3.5.1.1; <c>BOOTAA64.EFI</c> beside it for ARM64): either iPXE with <c>autoexec.ipxe</c>, which iPXE runs from the
/// volume it was loaded from, or, for Secure Boot, Debian's signed shim, which loads
/// <c>grubx64.efi</c> (Debian's signed GRUB netboot image) and <c>mmx64.efi</c> (MokManager)
/// from its own folder; that GRUB reads <c>grub/grub.cfg</c> from the volume it was loaded from.
/// </summary>
internal static class EfiFat
{
    /// <summary>The template files a Secure Boot volume needs (from Debian trixie, fetched by setup/template.sh).</summary>
    public static readonly IReadOnlyList<string> SecureBootFiles = ["shimx64.efi", "grubnetx64.efi", "mmx64.efi"];

    public static async Task<FatImageBuilder> CreateAsync(PackInput input, uint hiddenSectors, CancellationToken cancel, bool secureBoot = false)
    {
        var fat = new FatImageBuilder
        {
            VolumeLabel = secureBoot ? "BOOT-SB" : "IPXE-EFI",
            VolumeSerial = input.Serial,
            HiddenSectors = hiddenSectors,
            SizeMultiple = 2048,
        };
        if (secureBoot)
        {
            fat.AddFile("EFI/BOOT/BOOTX64.EFI", await input.FileAsync("shimx64.efi", cancel));
            fat.AddFile("EFI/BOOT/grubx64.efi", await input.FileAsync("grubnetx64.efi", cancel));
            fat.AddFile("EFI/BOOT/mmx64.efi", await input.FileAsync("mmx64.efi", cancel));
            fat.AddFile(GrubConfigPath, input.GrubConfigBytes);
            // For an operator at the console: MokManager enrols a certificate from a file of this volume.
            if (input.Signer != null)
                fat.AddFile("EFI/BOOT/site.der", input.Signer.Certificate.RawData);
            return fat;
        }
        fat.AddFile("EFI/BOOT/BOOTX64.EFI", input.Signed(await input.FileAsync("ipxe-amd64.efi", cancel)));
        // The same volume boots ARM64 UEFI machines (the removable-media path of AArch64, UEFI 2.10
        // table 3.5): the script chooses each architecture's kernel by ${buildarch}. A template
        // without an ARM64 iPXE (a source template) makes x86 volumes.
        if (input.Template.Has(Arm64Ipxe))
            fat.AddFile("EFI/BOOT/BOOTAA64.EFI", input.Signed(await input.FileAsync(Arm64Ipxe, cancel)));
        fat.AddFile("autoexec.ipxe", input.ScriptBytes);
        return fat;
    }

    /// <summary>The ARM64 iPXE of the template (Debian's <c>ipxe-arm64.efi</c>).</summary>
    public const string Arm64Ipxe = "ipxe-arm64.efi";

    /// <summary>Where Debian's GRUB netboot image looks for its config: its prefix is <c>($root)/grub</c>.</summary>
    public const string GrubConfigPath = "grub/grub.cfg";
}
