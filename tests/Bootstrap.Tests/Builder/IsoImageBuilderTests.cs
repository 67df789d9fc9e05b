using System.Text;
using Bootstrap.Builder.Images.Formats.Iso;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>The ISO 9660 + El Torito writer, read back by xorriso and isoinfo.</summary>
public sealed class IsoImageBuilderTests
{
    private static IsoImageBuilder Sample(byte[] efiImage)
    {
        var iso = new IsoImageBuilder { VolumeIdentifier = "TESTVOL", UpdateIsolinuxBootTable = true };
        iso.AddFile("isolinux/isolinux.bin", RepoTemplate.File("isolinux.bin"));
        iso.AddFile("isolinux/ldlinux.c32", RepoTemplate.File("ldlinux.c32"));
        iso.AddFile("isolinux/isolinux.cfg", Encoding.ASCII.GetBytes("DEFAULT x\n"));
        iso.AddFile("ipxe.lkrn", RepoTemplate.File("ipxe.lkrn"));
        iso.AddFile("boot.ipxe", Encoding.ASCII.GetBytes("#!ipxe\n"));
        iso.SetBootImage("isolinux/isolinux.bin", loadSectors: 4);
        iso.SetEfiBootImage(efiImage);
        return iso;
    }

    [Fact]
    public void Xorriso_sees_both_el_torito_entries_where_the_layout_put_them()
    {
        var efi = new byte[1968 * 512];
        var iso = Sample(efi);
        var layout = iso.Plan();
        var path = Tool.TempFile(iso.Build(), ".iso");

        var report = Tool.Ok("xorriso", "-indev", path, "-report_el_torito", "plain");

        Assert.Matches($@"El Torito boot img :\s+1\s+BIOS\s+y\s+none\s+0x0000\s+0x00\s+4\s+{layout.BiosBootFileLba}\n", report);
        Assert.Matches($@"El Torito boot img :\s+2\s+UEFI\s+y\s+none\s+0x0000\s+0x00\s+1968\s+{layout.EfiImageLba}\n", report);
        Assert.Contains("El Torito img path :   1  /ISOLINUX/ISOLINUX.BIN", report);
        Assert.Contains("El Torito img opts :   1  boot-info-table isohybrid-suitable", report);
        Assert.Equal(layout.TotalBytes, new FileInfo(path).Length);
        Assert.Equal(layout.VolumeBlocks, layout.EfiImageLba);
    }

    [Fact]
    public void Isoinfo_reads_the_volume_and_every_file()
    {
        var path = Tool.TempFile(Sample(new byte[2048]).Build(), ".iso");

        var info = Tool.Ok("isoinfo", "-d", "-i", path);
        Assert.Contains("Volume id: TESTVOL", info);
        Assert.Contains("Logical block size is: 2048", info);
        Assert.Contains("El Torito VD version 1 found", info);
        var listing = Tool.Ok("isoinfo", "-f", "-i", path);
        Assert.Equal(
            "/BOOT.IPXE;1\n/IPXE.LKRN;1\n/ISOLINUX\n/ISOLINUX/ISOLINUX.BIN;1\n/ISOLINUX/ISOLINUX.CFG;1\n/ISOLINUX/LDLINUX.C32;1\n",
            listing);
        Assert.Equal("#!ipxe\n", Tool.Ok("isoinfo", "-i", path, "-x", "/BOOT.IPXE;1"));
        Assert.Equal("DEFAULT x\n", Tool.Ok("isoinfo", "-i", path, "-x", "/ISOLINUX/ISOLINUX.CFG;1"));
        var lkrn = Extract(path, "/IPXE.LKRN;1");
        Assert.Equal(RepoTemplate.File("ipxe.lkrn"), lkrn);
    }

    [Fact]
    public void Boot_info_table_holds_pvd_lba_file_lba_length_and_checksum()
    {
        var iso = Sample(new byte[2048]);
        var layout = iso.Plan();
        var image = iso.Build();
        var original = RepoTemplate.File("isolinux.bin");
        var patched = image.AsSpan((int)(layout.BiosBootFileLba * 2048), original.Length).ToArray();

        uint sum = 0;
        for (var i = 64; i < original.Length; i += 4)
            sum += BitConverter.ToUInt32(original, i);
        Assert.Equal(16u, BitConverter.ToUInt32(patched, 8));
        Assert.Equal((uint)layout.BiosBootFileLba, BitConverter.ToUInt32(patched, 12));
        Assert.Equal((uint)original.Length, BitConverter.ToUInt32(patched, 16));
        Assert.Equal(sum, BitConverter.ToUInt32(patched, 20));
        Assert.Equal(new byte[40], patched[24..64]);
        Assert.Equal(original[..8], patched[..8]);
        Assert.Equal(original[64..], patched[64..]);
    }

    [Fact]
    public void Boot_catalog_validation_entry_sums_to_zero()
    {
        var iso = Sample(new byte[4096]);
        var layout = iso.Plan();
        var catalog = iso.Build().AsSpan((int)(layout.BootCatalogLba * 2048), 128).ToArray();

        var sum = 0;
        for (var i = 0; i < 32; i += 2)
            sum += BitConverter.ToUInt16(catalog, i);
        Assert.Equal(0, sum & 0xFFFF);
        Assert.Equal(new byte[] { 0x55, 0xAA }, catalog[30..32]);
        Assert.Equal(0x91, catalog[64]);                                       // final section header
        Assert.Equal(0xEF, catalog[65]);                                       // platform EFI
        Assert.Equal(8, BitConverter.ToUInt16(catalog, 96 + 6));               // 4096 bytes = 8 sectors
        Assert.Equal((uint)layout.EfiImageLba, BitConverter.ToUInt32(catalog, 96 + 8));
    }

    [Fact]
    public void Level_2_identifiers()
    {
        Assert.Equal("IPXE.LKRN;1", IsoImageBuilder.Identifier("ipxe.lkrn", isFile: true));
        Assert.Equal("AUTOEXEC.IPXE;1", IsoImageBuilder.Identifier("autoexec.ipxe", isFile: true));
        Assert.Equal("README.;1", IsoImageBuilder.Identifier("readme", isFile: true));
        Assert.Equal("A_B_C.TXT;1", IsoImageBuilder.Identifier("a-b c.txt", isFile: true));
        Assert.Equal("ISOLINUX", IsoImageBuilder.Identifier("isolinux", isFile: false));
    }

    private static byte[] Extract(string iso, string file)
    {
        var copy = Path.GetTempFileName();
        var (code, _, stderr) = Tool.Run("sh", "-c", $"isoinfo -i '{iso}' -x '{file}' > '{copy}'");
        Assert.True(code == 0, stderr);
        return File.ReadAllBytes(copy);
    }
}
