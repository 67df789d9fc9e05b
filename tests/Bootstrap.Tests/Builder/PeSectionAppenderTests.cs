using System.Text;
using Bootstrap.Builder.Images.Formats.Pe;
using Bootstrap.Builder.Images;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>The single-file EFI image is a well-formed PE32+, read back by binutils (objdump, objcopy).</summary>
public sealed class PeSectionAppenderTests
{
    private static readonly byte[] Wrapper = RepoTemplate.File(EfiWrapperPacker.Wrapper);
    private static readonly byte[] Ipxe = RepoTemplate.File("snponly.efi");

    [Fact]
    public void Checksum_matches_what_objcopy_wrote_into_the_wrapper()
    {
        var pe = BitConverter.ToInt32(Wrapper, 0x3C);
        var checksumOffset = pe + 24 + 64;

        Assert.Equal(BitConverter.ToUInt32(Wrapper, checksumOffset), PeSectionAppender.Checksum(Wrapper, checksumOffset));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(4097)]
    [InlineData(65536)]
    public void Appended_sections_have_exact_sizes_alignment_and_checksum(int scriptLength)
    {
        var script = Encoding.ASCII.GetBytes(new string('x', scriptLength));
        var packed = PeSectionAppender.Append(Wrapper, new PeSection(".ipxe", Ipxe), new PeSection(".script", script));
        var path = Tool.TempFile(packed, ".efi");

        var headers = Tool.Ok("objdump", "-p", path);
        var sections = Tool.Ok("objdump", "-h", path).Split('\n').Where(l => l.StartsWith("  ")).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 7 && f[1].StartsWith('.')).ToList();
        var ipxe = sections.Single(f => f[1] == ".ipxe");
        var scriptSection = sections.Single(f => f[1] == ".script");
        long Hex(string s) => Convert.ToInt64(s, 16);

        Assert.Equal(sections.Count - 2, sections.IndexOf(ipxe));
        Assert.Equal(sections.Count - 1, sections.IndexOf(scriptSection));
        Assert.Equal(0, Hex(ipxe[3]) % 0x1000);                                  // VMA on SectionAlignment
        Assert.Equal(0, Hex(scriptSection[3]) % 0x1000);
        Assert.Equal(0, Hex(ipxe[5]) % 0x200);                                   // file offset on FileAlignment
        Assert.Equal(0, Hex(scriptSection[5]) % 0x200);
        Assert.True(Hex(scriptSection[3]) >= Hex(ipxe[3]) + Ipxe.Length);
        var sizeOfImage = Hex(headers.Split('\n').Single(l => l.StartsWith("SizeOfImage")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.Equal((Hex(scriptSection[3]) + scriptLength + 0xFFF) / 0x1000 * 0x1000, sizeOfImage);
        var checksum = Hex(headers.Split('\n').Single(l => l.StartsWith("CheckSum")).Split('\t', StringSplitOptions.RemoveEmptyEntries)[^1]);
        var pe = BitConverter.ToInt32(packed, 0x3C);
        Assert.Equal(PeSectionAppender.Checksum(packed, pe + 24 + 64), (uint)checksum);
        Assert.Equal(sections.Count, BitConverter.ToUInt16(packed, pe + 6));

        // VirtualSize is the exact payload: what the wrapper hands iPXE, not the padded raw size.
        var table = pe + 24 + BitConverter.ToUInt16(packed, pe + 20);
        var scriptHeader = table + (sections.Count - 1) * 40;
        Assert.Equal(".script\0"u8.ToArray(), packed[scriptHeader..(scriptHeader + 8)]);
        Assert.Equal((uint)scriptLength, BitConverter.ToUInt32(packed, scriptHeader + 8));
        Assert.Equal(0x40000040u, BitConverter.ToUInt32(packed, scriptHeader + 36));
        Assert.Equal(script, Tool.PeSection(path, ".script")[..scriptLength]);
        Assert.Equal(Ipxe, Tool.PeSection(path, ".ipxe")[..Ipxe.Length]);
    }

    [Fact]
    public void Something_that_is_not_a_pe_image_is_refused()
    {
        var error = Assert.Throws<FormatException>(() => PeSectionAppender.Append(new byte[1024], new PeSection(".x", [1])));

        Assert.Equal("not a PE image (no PE\\0\\0 signature)", error.Message);
    }

}
