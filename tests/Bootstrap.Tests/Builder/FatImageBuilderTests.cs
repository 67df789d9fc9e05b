using System.Text;
using Bootstrap.Builder.Images.Formats.Fat;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>The FAT writer, checked by mtools and fsck.fat (Debian's own implementations of the format).</summary>
public sealed class FatImageBuilderTests
{
    private static string Image(FatImageBuilder fat) => Tool.TempFile(fat.Build());

    [Fact]
    public void Efi_boot_volume_reads_back_with_mtools_and_passes_fsck()
    {
        var efi = new byte[996_864];
        new Random(3).NextBytes(efi);
        var fat = new FatImageBuilder { VolumeLabel = "IPXE-EFI", VolumeSerial = 0xCAFE1234, SizeMultiple = 2048 };
        fat.AddFile("EFI/BOOT/BOOTX64.EFI", efi);
        fat.AddFile("autoexec.ipxe", Encoding.ASCII.GetBytes("#!ipxe\necho hi\n"));
        var path = Image(fat);

        Assert.Contains("2 FATs, 12 bit entries", Tool.Ok("fsck.fat", "-n", "-v", path));
        Assert.Equal(0, fat.Size % 2048);
        Assert.Equal(fat.Size, new FileInfo(path).Length);
        var root = Tool.Ok("mdir", "-i", path, "::/");
        Assert.Contains("Volume in drive : is IPXE-EFI", root);
        Assert.Contains("Volume Serial Number is CAFE-1234", root);
        Assert.Contains("AUTOEX~1 IPX        15 2020-01-01   0:00  autoexec.ipxe", root);
        Assert.Equal("#!ipxe\necho hi\n", Tool.Ok("mtype", "-i", path, "::/autoexec.ipxe"));
        var copy = Path.GetTempFileName();
        Tool.Ok("mcopy", "-o", "-i", path, "::/EFI/BOOT/BOOTX64.EFI", copy);
        Assert.Equal(efi, File.ReadAllBytes(copy));
    }

    [Fact]
    public void Long_names_share_a_basis_without_clashing()
    {
        var fat = new FatImageBuilder { VolumeLabel = "NAMES" };
        fat.AddFile("autoexec.ipxe", [1]);
        fat.AddFile("autoexec.ipxe.bak", [2]);
        fat.AddFile("a name with spaces and a very long tail.txt", [3]);
        fat.AddFile("UPPER.TXT", [4]);
        fat.AddFile("empty.bin", []);
        var path = Image(fat);

        Tool.Ok("fsck.fat", "-n", path);
        var listing = Tool.Ok("mdir", "-i", path, "::/");
        Assert.Contains("AUTOEX~1 IPX         1 2020-01-01   0:00  autoexec.ipxe", listing);
        Assert.Contains("AUTOEX~1 BAK         1 2020-01-01   0:00  autoexec.ipxe.bak", listing);
        Assert.Contains("ANAMEW~1 TXT         1 2020-01-01   0:00  a name with spaces and a very long tail.txt", listing);
        Assert.Contains("UPPER    TXT         1 2020-01-01   0:00 ", listing);
        Assert.Contains("EMPTY~1  BIN         0 2020-01-01   0:00  empty.bin", listing);
        Assert.Equal([3], File.ReadAllBytes(Extract(path, "::/a name with spaces and a very long tail.txt")));
    }

    [Fact]
    public void Large_content_switches_to_fat16_and_stays_consistent()
    {
        var big = new byte[40_000_000];
        new Random(9).NextBytes(big);
        var fat = new FatImageBuilder { VolumeLabel = "BIG" };
        fat.AddFile("deep/er/still/big.bin", big);
        var path = Image(fat);

        Assert.Contains("2 FATs, 16 bit entries", Tool.Ok("fsck.fat", "-n", "-v", path));
        Assert.Equal(big, File.ReadAllBytes(Extract(path, "::/deep/er/still/big.bin")));
    }

    [Fact]
    public void Boot_sector_fields_are_exact()
    {
        var fat = new FatImageBuilder { VolumeLabel = "ipxe", VolumeSerial = 0x01020304, HiddenSectors = 2048 };
        fat.AddFile("autoexec.ipxe", [1, 2, 3]);

        var b = fat.Build();

        Assert.Equal(new byte[] { 0xEB, 0x3C, 0x90 }, b[0..3]);
        Assert.Equal("BOOTSTRP", Encoding.ASCII.GetString(b, 3, 8));
        Assert.Equal(512, BitConverter.ToUInt16(b, 11));           // bytes per sector
        Assert.Equal(2, b[16]);                                    // FAT copies
        Assert.Equal(0xF8, b[21]);                                 // media
        Assert.Equal(2048u, BitConverter.ToUInt32(b, 28));         // hidden sectors = partition start
        Assert.Equal(0x29, b[38]);                                 // extended boot signature
        Assert.Equal(0x01020304u, BitConverter.ToUInt32(b, 39));   // volume serial
        Assert.Equal("IPXE       FAT12   ", Encoding.ASCII.GetString(b, 43, 19));
        Assert.Equal(new byte[] { 0x55, 0xAA }, b[510..512]);
        Assert.Equal(new byte[] { 0xF8, 0xFF, 0xFF }, b[512..515]); // FAT[0], FAT[1] packed as FAT12
    }

    [Fact]
    public void Same_files_give_the_same_bytes()
    {
        byte[] Make()
        {
            var fat = new FatImageBuilder { VolumeLabel = "X", VolumeSerial = 7 };
            fat.AddFile("EFI/BOOT/BOOTX64.EFI", new byte[5000]);
            fat.AddFile("autoexec.ipxe", [1]);
            return fat.Build();
        }

        Assert.Equal(Make(), Make());
    }

    private static string Extract(string image, string file)
    {
        var copy = Path.GetTempFileName();
        Tool.Ok("mcopy", "-o", "-i", image, file, copy);
        return copy;
    }
}
