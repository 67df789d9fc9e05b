namespace Bootstrap.Builder.Images.Formats.Mbr;

/// <summary>One primary partition: start and length in 512-byte sectors.</summary>
public sealed record MbrPartition(bool Bootable, byte Type, long StartLba, long SectorCount)
{
    public const byte IsoHybrid = 0x17;
    public const byte EfiSystem = 0xEF;
}

/// <summary>
/// The classic master boot record (first 512 bytes of a disk): boot code (0–439), 32-bit disk
/// signature (440–443), two zero bytes, four 16-byte partition entries (446–509), 0x55 0xAA.
/// Layout as in the UEFI specification 2.10, section 5.2.1 "Legacy Master Boot Record".
/// </summary>
public static class MbrBuilder
{
    public const int Size = 512;

    public static byte[] Build(ReadOnlySpan<byte> bootCode, uint diskSignature, IReadOnlyList<MbrPartition> partitions)
    {
        if (bootCode.Length > 440)
            throw new ArgumentException("MBR boot code is at most 440 bytes", nameof(bootCode));
        if (partitions.Count > 4)
            throw new ArgumentException("an MBR holds at most 4 primary partitions", nameof(partitions));
        var mbr = new byte[Size];
        bootCode.CopyTo(mbr);
        Fields.U32(mbr, 440, diskSignature);
        for (var i = 0; i < partitions.Count; i++)
        {
            var p = partitions[i];
            var e = mbr.AsSpan(446 + 16 * i, 16);
            e[0] = (byte)(p.Bootable ? 0x80 : 0x00);            // BootIndicator
            Chs(p.StartLba).CopyTo(e[1..]);                      // StartingCHS
            e[4] = p.Type;                                       // OSType
            Chs(p.StartLba + p.SectorCount - 1).CopyTo(e[5..]);  // EndingCHS
            Fields.U32(e, 8, p.StartLba);                        // StartingLBA
            Fields.U32(e, 12, p.SectorCount);                    // SizeInLBA
        }
        mbr[510] = 0x55;
        mbr[511] = 0xAA;
        return mbr;
    }

    /// <summary>
    /// Cylinder/head/sector of an LBA in the 64-head, 32-sector geometry isohybrid uses; past
    /// cylinder 1023 the conventional "use LBA" value 1023/254/63.
    /// </summary>
    internal static byte[] Chs(long lba)
    {
        const int heads = 64, sectors = 32;
        var cylinder = lba / (heads * sectors);
        if (cylinder > 1023)
            return [0xFE, 0xFF, 0xFF];
        var head = lba / sectors % heads;
        var sector = lba % sectors + 1;
        return [(byte)head, (byte)(sector | ((cylinder >> 2) & 0xC0)), (byte)(cylinder & 0xFF)];
    }
}
