using Bootstrap.Builder.Images;
using Bootstrap.Builder.Images.Caching;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>The shipped image layouts, with the real template, read back by Debian's tools.</summary>
public sealed class PackerTests
{
    private const string Script = "#!ipxe\necho packer test\n";
    private static readonly PackInput Input = new(RepoTemplate.Template, Script, new byte[] { 0x78, 0x56, 0x34, 0x12 }.Concat(new byte[28]).ToArray());

    [Fact]
    public async Task Hybrid_iso_is_a_cd_and_a_partitioned_disk_with_the_script_in_both_places()
    {
        var image = (await new HybridIsoPacker().PackAsync(Input, default)).ToArray();
        var path = Tool.TempFile(image, ".iso");

        var fdisk = Tool.Ok("fdisk", "-l", path);
        Assert.Contains("Disk identifier: 0x12345678", fdisk);
        var volumeSectors = long.Parse(Tool.Ok("isoinfo", "-d", "-i", path).Split('\n').Single(l => l.StartsWith("Volume size is: "))[16..]) * 4;
        Assert.Matches($@"{path}1 +\* +0 +{volumeSectors - 1} +{volumeSectors} .* 17 Hidden HPFS/NTFS\n", fdisk);
        Assert.Matches($@"{path}2 +{volumeSectors} +{image.Length / 512 - 1} +{image.Length / 512 - volumeSectors} .* ef EFI \(FAT-12/16/32\)\n", fdisk);

        // isohdpfx code, then isolinux.bin's LBA in 512-byte units.
        var isohdpfx = RepoTemplate.File("isohdpfx.bin");
        Assert.Equal(isohdpfx[..432], image[..432]);
        var report = Tool.Ok("xorriso", "-indev", path, "-report_el_torito", "plain");
        var biosLba = long.Parse(report.Split('\n').Single(l => l.StartsWith("El Torito boot img :   1")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal(biosLba * 4, BitConverter.ToInt64(image, 432));
        Assert.Contains("El Torito boot img :   2  UEFI  y   none", report);

        Assert.Equal(Script, Tool.Ok("isoinfo", "-i", path, "-x", "/BOOT.IPXE;1"));
        Assert.Equal(HybridIsoPacker.IsolinuxConfig, Tool.Ok("isoinfo", "-i", path, "-x", "/ISOLINUX/ISOLINUX.CFG;1"));
        Assert.Contains("APPEND initrd=/boot.ipxe", HybridIsoPacker.IsolinuxConfig);

        var fat = $"{path}@@{volumeSectors * 512}";
        Tool.Ok("fsck.fat", "-n", Tool.TempFile(image[(int)(volumeSectors * 512)..]));
        Assert.Equal(Script, Tool.Ok("mtype", "-i", fat, "::/autoexec.ipxe"));
        Assert.Contains($"BOOTX64  EFI {RepoTemplate.File("ipxe-amd64.efi").Length,9}", Tool.Ok("mdir", "-i", fat, "::/EFI/BOOT"));
    }

    [Fact]
    public async Task Uefi_usb_image_is_one_efi_partition_at_1_mib()
    {
        var image = (await new UefiUsbPacker().PackAsync(Input, default)).ToArray();
        var path = Tool.TempFile(image);

        var fdisk = Tool.Ok("fdisk", "-l", path);
        Assert.Contains("Disk identifier: 0x12345678", fdisk);
        Assert.Matches($@"{path}1 +2048 +{image.Length / 512 - 1} +{image.Length / 512 - 2048} .* ef EFI \(FAT-12/16/32\)\n", fdisk);
        Assert.DoesNotContain($"{path}2", fdisk);
        Assert.Contains("2048 hidden sectors", Tool.Ok("fsck.fat", "-n", "-v", Tool.TempFile(image[(2048 * 512)..])));
        Assert.Equal(Script, Tool.Ok("mtype", "-i", $"{path}@@1M", "::/autoexec.ipxe"));
        var copy = Path.GetTempFileName();
        Tool.Ok("mcopy", "-o", "-i", $"{path}@@1M", "::/EFI/BOOT/BOOTX64.EFI", copy);
        Assert.Equal(RepoTemplate.File("ipxe-amd64.efi"), File.ReadAllBytes(copy));
    }

    public static TheoryData<string> Packers => ["hybrid-iso:x64+aa64", "hybrid-iso-secure-boot", "uefi-usb:x64+aa64"];

    [Theory]
    [MemberData(nameof(Packers))]
    public async Task Same_input_gives_the_same_bytes_and_another_script_other_bytes(string id)
    {
        IImagePacker packer = id switch { "hybrid-iso:x64+aa64" => new HybridIsoPacker(), "uefi-usb:x64+aa64" => new UefiUsbPacker(), _ => new HybridIsoPacker(secureBoot: true) };
        var input = Input with { GrubConfig = "echo 'grub'\n" };

        var first = (await packer.PackAsync(input, default)).ToArray();
        var second = (await packer.PackAsync(input with { }, default)).ToArray();
        var other = (await packer.PackAsync(input with { Script = Script + "echo more\n" }, default)).ToArray();
        var otherGrub = (await packer.PackAsync(input with { GrubConfig = "echo 'other'\n" }, default)).ToArray();

        Assert.Equal(id, packer.Id);
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.Equal(packer.CarriesGrubConfig, !first.SequenceEqual(otherGrub));
    }

    [Fact]
    public void Every_target_row_is_complete_and_routes_are_unique()
    {
        Assert.Equal(TargetTable.All.Count, TargetTable.All.Select(t => t.Route).Distinct().Count());
        Assert.All(TargetTable.All.Where(t => t.Route.StartsWith("krn")), t => Assert.Equal(LinuxKernelPacker.NeedsSource, t.Packer.Unsupported(RepoTemplate.Template)));
        Assert.All(TargetTable.All.Where(t => !t.Route.StartsWith("krn")), t => Assert.Null(t.Packer.Unsupported(RepoTemplate.Template)));
        Assert.Equal(
            ["iso:ipxe-prod.iso", "usb:ipxe-prod.img", "iso-sb:boot-sb-prod.iso", "usb-sb:boot-sb-prod.img", "uefimg:uefiusb-prod.img", "debug:uefiusb-debug-prod.img", "uefi:ipxe-prod.efi",
             "snponly:ipxe-snp-prod.efi", "uefi-arm64:ipxe-prod-arm64.efi", "uefi-generic:ipxe-generic.efi", "uefi-generic-arm64:ipxe-generic-arm64.efi",
             "uefi-generic-arm64.efi:ipxe-generic-arm64.efi", "uefi-generic.efi:ipxe-generic.efi", "iso-generic:ipxe-generic.iso", "usb-generic:ipxe-generic.img",
             "uefi-provision:ipxe-provision.efi",
             "krn:ipxe-prod.lkrn", "krn-generic:ipxe-generic.lkrn", "krn-provision:ipxe-provision.lkrn"],
            TargetTable.All.Select(t => $"{t.Route}:{t.FileNameFor("prod")}"));
    }
}
