using Bootstrap.Builder.Images.Formats.Mbr;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

public sealed class MbrBuilderTests
{
    [Fact]
    public void Partition_entries_are_exact()
    {
        var mbr = MbrBuilder.Build([0xFA, 0x33], 0xA1B2C3D4,
        [
            new MbrPartition(true, MbrPartition.IsoHybrid, 0, 1104),
            new MbrPartition(false, MbrPartition.EfiSystem, 1104, 1968),
        ]);

        Assert.Equal(new byte[] { 0xFA, 0x33, 0x00 }, mbr[0..3]);
        Assert.Equal(new byte[] { 0xD4, 0xC3, 0xB2, 0xA1, 0, 0 }, mbr[440..446]);
        // status, CHS first (head, sector | cylinder high bits, cylinder), type, CHS last, LBA start, sectors
        Assert.Equal(new byte[] { 0x80, 0, 1, 0, 0x17, 34, 16, 0, 0, 0, 0, 0, 0x50, 0x04, 0, 0 }, mbr[446..462]);
        Assert.Equal(new byte[] { 0x00, 34, 17, 0, 0xEF, 31, 32, 1, 0x50, 0x04, 0, 0, 0xB0, 0x07, 0, 0 }, mbr[462..478]);
        Assert.Equal(new byte[32], mbr[478..510]);
        Assert.Equal(new byte[] { 0x55, 0xAA }, mbr[510..512]);
    }

    [Fact]
    public void Fdisk_reads_the_partitions()
    {
        var disk = new byte[3072 * 512];
        MbrBuilder.Build([], 0x0BAD_F00D, [new MbrPartition(false, MbrPartition.EfiSystem, 2048, 1024)]).CopyTo(disk, 0);
        var path = Tool.TempFile(disk);

        var listing = Tool.Ok("fdisk", "-l", path);

        Assert.Contains("Disk identifier: 0x0badf00d", listing);
        Assert.Matches($@"{path}1\s+2048\s+3071\s+1024\s+512K\s+ef\s+EFI \(FAT-12/16/32\)\n", listing);
    }

    [Theory]
    [InlineData(0L, new byte[] { 0, 1, 0 })]
    [InlineData(2047L, new byte[] { 63, 32, 0 })]
    [InlineData(2048L, new byte[] { 0, 1, 1 })]
    [InlineData(1024L * 2048, new byte[] { 0xFE, 0xFF, 0xFF })]
    public void Chs_uses_the_64_head_32_sector_geometry(long lba, byte[] chs)
    {
        Assert.Equal(chs, MbrBuilder.Chs(lba));
    }
}
