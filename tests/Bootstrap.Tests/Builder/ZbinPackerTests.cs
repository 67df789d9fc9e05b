using System.Buffers.Binary;
using System.Text;
using Bootstrap.Builder.Images.Formats.Zbin;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// Our zbin against its definition (iPXE's util/zbin.c) with xz as the oracle for the LZMA stream.
/// The real proof, that it packs a linked iPXE into the very bytes make does, is in RealSourceTreeTests.
/// </summary>
public class ZbinPackerTests
{
    private static byte[] Record(string type, uint a, uint b, uint c)
    {
        var record = new byte[16];
        Encoding.ASCII.GetBytes(type).CopyTo(record, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), a);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), b);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), c);
        return record;
    }

    /// <summary>A 100-byte "prefix" and 3,000 bytes of code-like payload with CALLs and JMPs in it.</summary>
    private static byte[] Image()
    {
        var image = new byte[3100];
        for (var i = 0; i < 100; i++)
            image[i] = (byte)(0x40 + i % 20);
        for (var i = 100; i < image.Length; i++)
            image[i] = (byte)(i % 7 == 0 ? 0xe8 : i % 11 == 0 ? 0xe9 : i * 31 % 251);
        BinaryPrimitives.WriteInt16LittleEndian(image.AsSpan(8), 3);    // ADDW addend
        BinaryPrimitives.WriteInt32LittleEndian(image.AsSpan(12), -1);  // ADPL addend
        return image;
    }

    [Fact]
    public void Bcj_filter_turns_rel32_targets_inside_the_data_into_absolute_ones()
    {
        // 16 bytes, limit 11: a CALL at 2 to +3 → 5; a JMP at 7 to +5 (past the limit) → 5 - 11 = -6.
        byte[] data = [0, 0, 0xe8, 3, 0, 0, 0, 0xe9, 5, 0, 0, 0, 0, 0, 0, 0];

        ZbinPacker.BcjFilter(data);

        Assert.Equal(new byte[] { 0, 0, 0xe8, 5, 0, 0, 0, 0xe9, 0xfa, 0xff, 0xff, 0xff, 0, 0, 0, 0 }, data);
    }

    [Fact]
    public void Pack_copies_the_prefix_packs_the_payload_as_xz_would_and_fixes_up_the_sizes()
    {
        var image = Image();
        byte[] zinfo = [.. Record("COPY", 0, 100, 1), .. Record("PAYL", 0, 0, 16), .. Record("PACK", 100, 3000, 4),
                        .. Record("ADDW", 8, 512, 0), .. Record("ADPL", 12, 16, 0)];

        var packed = ZbinPacker.Pack(image, zinfo);

        var filtered = image[100..];
        ZbinPacker.BcjFilter(filtered);
        var lzma = Xz(filtered, "--format=raw", "--lzma1=preset=6e,lc=2,lp=0,pb=0", "-c");
        // 100 prefix bytes, 0xff to the payload's 16-byte alignment at 112, length, stream, CRC.
        Assert.Equal(112 + 4 + lzma.Length + 4, packed.Length);
        Assert.Equal(image.AsSpan(16, 84).ToArray(), packed.AsSpan(16, 84).ToArray());
        Assert.All(packed[100..112], b => Assert.Equal(0xff, b));
        Assert.Equal((uint)lzma.Length + 4, BinaryPrimitives.ReadUInt32LittleEndian(packed.AsSpan(112)));
        Assert.Equal(lzma, packed.AsSpan(116, lzma.Length).ToArray());
        Assert.Equal(ZbinCrc(lzma), BinaryPrimitives.ReadUInt32LittleEndian(packed.AsSpan(116 + lzma.Length)));
        Assert.Equal(3 + (packed.Length + 511) / 512, BinaryPrimitives.ReadInt16LittleEndian(packed.AsSpan(8)));
        Assert.Equal(-1 + (packed.Length - 112 + 15) / 16, BinaryPrimitives.ReadInt32LittleEndian(packed.AsSpan(12)));
        Assert.Equal(filtered, Xz(lzma, "--format=raw", "--lzma1=lc=2,lp=0,pb=0", "-d", "-c"));
    }

    [Fact]
    public void Pack_refuses_a_record_outside_the_image_and_an_unknown_type()
    {
        var image = Image();

        Assert.Contains("outside", Assert.Throws<InvalidDataException>(() => ZbinPacker.Pack(image, Record("PACK", 3000, 200, 1))).Message);
        Assert.Contains("\"ZREL\" is not supported", Assert.Throws<InvalidDataException>(() => ZbinPacker.Pack(image, Record("ZREL", 0, 8, 243))).Message);
        Assert.Contains("multiple of 16", Assert.Throws<InvalidDataException>(() => ZbinPacker.Pack(image, new byte[15])).Message);
        Assert.Contains("does not fit 1 bytes", Assert.Throws<InvalidDataException>(() =>
            ZbinPacker.Pack(image, [.. Record("COPY", 0, 100, 1), .. Record("PACK", 100, 3000, 1), .. Record("ADDB", 20, 1, 0)])).Message);
    }

    /// <summary>util/zbin.c crc32_le, bit by bit: seed 0xffffffff, polynomial 0xedb88320, no final inversion.</summary>
    private static uint ZbinCrc(byte[] data)
    {
        var crc = 0xffffffffu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var i = 0; i < 8; i++)
                crc = (crc >> 1) ^ ((crc & 1) != 0 ? 0xedb88320u : 0);
        }
        return crc;
    }

    private static byte[] Xz(byte[] input, params string[] args)
    {
        var inputFile = Tool.TempFile(input, ".raw");
        var output = Path.GetTempFileName();
        Tool.Ok("sh", "-c", $"xz {string.Join(' ', args)} < {inputFile} > {output}");
        return File.ReadAllBytes(output);
    }
}
