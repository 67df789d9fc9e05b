using Bootstrap.Builder.Images.Caching;
using Bootstrap.Builder.Images.Formats;
using Bootstrap.Builder.Images.Formats.Mbr;

namespace Bootstrap.Builder.Images;

/// <summary>
/// A disk image for UEFI machines: an MBR with one EFI system partition at 1 MiB holding
/// <c>EFI/BOOT/BOOTX64.EFI</c> and <c>autoexec.ipxe</c>. Built in memory: no loop device, no root.
/// </summary>
public sealed class UefiUsbPacker : IImagePacker
{
    /// <summary>1 MiB alignment, as partitioning tools place the first partition.</summary>
    public const int PartitionStartLba = 2048;

    public string Id => "uefi-usb:x64+aa64";

    public async Task<PackedImage> PackAsync(PackInput input, CancellationToken cancel)
    {
        var fat = await EfiFat.CreateAsync(input, PartitionStartLba, cancel);
        var mbr = MbrBuilder.Build([], input.Serial, [new MbrPartition(false, MbrPartition.EfiSystem, PartitionStartLba, fat.Size / 512)]);
        return new PackedImage(PartitionStartLba * 512L + fat.Size, output =>
        {
            output.Write(mbr);
            Zeros.Write(output, PartitionStartLba * 512L - mbr.Length);
            fat.Build(output);
        });
    }
}
