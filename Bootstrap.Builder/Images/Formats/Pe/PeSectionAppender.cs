using System.Buffers.Binary;
using System.Text;

namespace Bootstrap.Builder.Images.Formats.Pe;

/// <summary>A section to append: an 8-byte-or-shorter name and its bytes.</summary>
public sealed record PeSection(string Name, byte[] Data);

/// <summary>
/// Appends read-only initialized-data sections to a PE32+ image (Microsoft "PE Format"
/// specification: "COFF File Header", "Optional Header Windows-Specific Fields", "Section Table",
/// "Section Flags"), keeping it loadable: new headers go into the free room before the first
/// section's data, raw data is aligned to FileAlignment, virtual addresses follow the last
/// section at SectionAlignment, and NumberOfSections, SizeOfInitializedData, SizeOfImage and
/// CheckSum are updated. This is what <c>objcopy --add-section</c> does, without the process.
/// </summary>
public static class PeSectionAppender
{
    /// <summary>IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ.</summary>
    public const uint ReadOnlyData = 0x0000_0040 | 0x4000_0000;

    private const int SectionHeaderSize = 40;

    public static byte[] Append(byte[] image, params PeSection[] sections)
    {
        var pe = ReadU32(image, 0x3C);                                    // e_lfanew
        if (pe + 4 > image.Length || BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan((int)pe)) != 0x0000_4550)
            throw new FormatException("not a PE image (no PE\\0\\0 signature)");
        var coff = (int)pe + 4;
        var optional = coff + 20;
        if (ReadU16(image, optional) != 0x20B)
            throw new FormatException("not a PE32+ image");
        int count = ReadU16(image, coff + 2);                             // NumberOfSections
        var tableStart = optional + ReadU16(image, coff + 16);            // after SizeOfOptionalHeader
        var fileAlignment = ReadU32(image, optional + 36);
        var sectionAlignment = ReadU32(image, optional + 32);
        var sizeOfHeaders = ReadU32(image, optional + 60);

        var firstRaw = Enumerable.Range(0, count).Select(i => ReadU32(image, tableStart + i * SectionHeaderSize + 20)).Where(p => p > 0).DefaultIfEmpty(sizeOfHeaders).Min();
        var tableEnd = tableStart + (count + sections.Length) * SectionHeaderSize;
        if (tableEnd > Math.Min(sizeOfHeaders, firstRaw))
            throw new FormatException($"no room for {sections.Length} more section headers ({tableEnd} > {Math.Min(sizeOfHeaders, firstRaw)})");
        if (ReadU32(image, optional + 112 + 4 * 8 + 4) != 0)               // data directory 4: certificate table
            throw new FormatException("the image is signed; appending would break its signature");

        var lastEnd = Enumerable.Range(0, count).Select(i =>
        {
            var h = tableStart + i * SectionHeaderSize;
            return (long)ReadU32(image, h + 12) + Math.Max(ReadU32(image, h + 8), ReadU32(image, h + 16));
        }).Max();
        var virtualAddress = Align(lastEnd, sectionAlignment);
        var rawOffset = Align(image.Length, fileAlignment);
        var rawTotal = sections.Sum(s => Align(s.Data.Length, fileAlignment));

        var output = new byte[rawOffset + rawTotal];
        image.CopyTo(output, 0);
        var initializedData = ReadU32(image, optional + 8);
        for (var i = 0; i < sections.Length; i++)
        {
            var s = sections[i];
            var nameBytes = Encoding.ASCII.GetBytes(s.Name);
            if (nameBytes.Length > 8)
                throw new ArgumentException($"section name '{s.Name}' is longer than 8 bytes");
            var rawSize = Align(s.Data.Length, fileAlignment);
            var h = output.AsSpan(tableStart + (count + i) * SectionHeaderSize, SectionHeaderSize);
            h.Clear();
            nameBytes.CopyTo(h);                                          // Name
            Fields.U32(h, 8, s.Data.Length);                              // VirtualSize: the exact payload length
            Fields.U32(h, 12, virtualAddress);                            // VirtualAddress
            Fields.U32(h, 16, rawSize);                                   // SizeOfRawData
            Fields.U32(h, 20, rawOffset);                                 // PointerToRawData
            Fields.U32(h, 36, ReadOnlyData);                              // Characteristics
            s.Data.CopyTo(output, rawOffset);
            initializedData += (uint)rawSize;
            rawOffset += rawSize;
            virtualAddress = Align(virtualAddress + s.Data.Length, sectionAlignment);
        }
        Fields.U16(output, coff + 2, count + sections.Length);
        Fields.U32(output, optional + 8, initializedData);                // SizeOfInitializedData
        Fields.U32(output, optional + 56, virtualAddress);                // SizeOfImage: end of the last section, aligned
        Fields.U32(output, optional + 64, Checksum(output, optional + 64));
        return output;
    }

    /// <summary>
    /// The PE image checksum (as imagehlp's CheckSumMappedFile computes it): the one's-complement
    /// style 16-bit sum of the file with the CheckSum field taken as zero, plus the file length.
    /// </summary>
    public static uint Checksum(ReadOnlySpan<byte> file, int checksumOffset)
    {
        ulong sum = 0;
        for (var i = 0; i < file.Length; i += 2)
        {
            if (i == checksumOffset || i == checksumOffset + 2)
                continue;
            uint word = file[i];
            if (i + 1 < file.Length)
                word |= (uint)file[i + 1] << 8;
            sum += word;
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (uint)(sum + (ulong)file.Length);
    }

    private static long Align(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
    private static uint ReadU32(byte[] b, long at) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)at));
    private static ushort ReadU16(byte[] b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
}
