using Bootstrap.Builder.Images.Fat;

namespace Bootstrap.Builder.Targets;

/// <summary>
/// The FAT volume UEFI boots iPXE from: <c>EFI/BOOT/BOOTX64.EFI</c> (the removable-media boot
/// path, UEFI 2.10 section 3.5.1.1) and <c>autoexec.ipxe</c>, which iPXE runs from the volume it
/// was loaded from.
/// </summary>
internal static class EfiFat
{
    public static async Task<FatImageBuilder> CreateAsync(PackInput input, uint hiddenSectors, CancellationToken cancel)
    {
        var fat = new FatImageBuilder
        {
            VolumeLabel = "IPXE-EFI",
            VolumeSerial = input.Serial,
            HiddenSectors = hiddenSectors,
            SizeMultiple = 2048,
        };
        fat.AddFile("EFI/BOOT/BOOTX64.EFI", await input.Template.FileAsync("ipxe-amd64.efi", input.Script, cancel));
        fat.AddFile("autoexec.ipxe", input.ScriptBytes);
        return fat;
    }
}
