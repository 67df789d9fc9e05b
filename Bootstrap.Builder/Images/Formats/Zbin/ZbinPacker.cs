using System.Buffers.Binary;
using System.IO.Hashing;

namespace Bootstrap.Builder.Images.Formats.Zbin;

/// <summary>
/// iPXE's last BIOS build step (<c>util/zbin.c</c> of the iPXE tree, which defines the format):
/// turns the linked image (<c>X.bin</c>) into the bootable file by following the records of
/// <c>X.zinfo</c>, 16 bytes each, a 4-letter type first:
/// <list type="bullet">
/// <item><c>COPY offset len align</c>: copy input bytes (the real-mode prefix) to the aligned output end.</item>
/// <item><c>PACK offset len align</c>: a 32-bit length, then the input bytes through iPXE's x86 BCJ
/// filter and raw LZMA1 (lc 2, lp 0, pb 0, preset 6e), then the CRC-32 of the packed bytes.</item>
/// <item><c>PAYL _ _ align</c>: align the output; the header ends here.</item>
/// <item><c>ADDB|ADDW|ADDL offset divisor</c>: add ceil(length / divisor) to the 1-, 2- or 4-byte
/// field at offset: ADD* the whole output's length, ADH* the header's, ADP* the payload's, and
/// APP* the payload's at an offset counted from the payload's start.</item>
/// <item><c>BASE _ base</c>: the link address (used only by ZREL, RISC-V's relocations: refused here).</item>
/// </list>
/// Run in-process so a patched script costs one compression, or with a <see cref="Compressor"/> the
/// tail of one, and no temporary file.
/// </summary>
public static class ZbinPacker
{
    private const int RecordSize = 16;

    /// <summary>
    /// Compresses one PACK record's filtered input as <see cref="Lzma1.Encode"/> would, or answers
    /// null to leave it to <see cref="Lzma1"/> (see <see cref="ResumableLzma"/>).
    /// </summary>
    public delegate byte[]? Compressor(ReadOnlySpan<byte> filtered);

    public static byte[] Pack(ReadOnlySpan<byte> image, ReadOnlySpan<byte> zinfo, Compressor? compressor = null)
    {
        if (zinfo.Length % RecordSize != 0)
            throw new InvalidDataException($".zinfo has {zinfo.Length} bytes, not a multiple of {RecordSize}");
        var input = image.ToArray();   // PACK filters its input in place, as zbin does
        var output = new byte[input.Length * 4];   // zbin's bound, filled with 0xff like zbin's
        output.AsSpan().Fill(0xff);
        var state = new State { Compressor = compressor };
        for (var at = 0; at < zinfo.Length; at += RecordSize)
            Apply(zinfo.Slice(at, RecordSize), input, output, state);
        return output.AsSpan(0, state.Length).ToArray();
    }

    private sealed class State
    {
        public int Length;
        public int HeaderLength;
        public Compressor? Compressor;
    }

    /// <summary>Each PACK record's input after the BCJ filter, as <see cref="Pack"/> compresses it, with its offset in the image.</summary>
    public static List<(int Start, byte[] Filtered)> FilteredPackInputs(ReadOnlySpan<byte> image, ReadOnlySpan<byte> zinfo)
    {
        var inputs = new List<(int, byte[])>();
        for (var at = 0; at + RecordSize <= zinfo.Length; at += RecordSize)
        {
            var record = zinfo.Slice(at, RecordSize);
            var start = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(record[8..]);
            if (!record[..4].SequenceEqual("PACK"u8) || (long)start + length > image.Length)
                continue;
            var filtered = image.Slice((int)start, (int)length).ToArray();
            BcjFilter(filtered);
            inputs.Add(((int)start, filtered));
        }
        return inputs;
    }

    private static void Apply(ReadOnlySpan<byte> record, byte[] input, byte[] output, State state)
    {
        var type = System.Text.Encoding.ASCII.GetString(record[..4]);
        var a = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
        var b = BinaryPrimitives.ReadUInt32LittleEndian(record[8..]);
        var c = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        switch (type)
        {
            case "COPY":
                CheckInput(input, a, b, type);
                state.Length = Align(state.Length, c);
                Reserve(output, state.Length, (int)b, type);
                input.AsSpan((int)a, (int)b).CopyTo(output.AsSpan(state.Length));
                state.Length += (int)b;
                break;
            case "PACK":
                CheckInput(input, a, b, type);
                state.Length = Align(state.Length, c);
                Pack(input.AsSpan((int)a, (int)b), output, state);
                break;
            case "PAYL":
                state.Length = Align(state.Length, c);
                state.HeaderLength = state.Length;
                break;
            case "ADDB" or "ADDW" or "ADDL":
                Add(output, state, (int)a, b, state.Length, 0, Width(type));
                break;
            case "ADHB" or "ADHW" or "ADHL":
                Add(output, state, (int)a, b, state.HeaderLength, 0, Width(type));
                break;
            case "ADPB" or "ADPW" or "ADPL":
                Add(output, state, (int)a, b, state.Length - state.HeaderLength, 0, Width(type));
                break;
            case "APPB" or "APPW" or "APPL":
                Add(output, state, (int)a, b, state.Length - state.HeaderLength, state.HeaderLength, Width(type));
                break;
            case "BASE":
                break;
            default:
                throw new InvalidDataException($".zinfo record \"{type.TrimEnd('\0')}\" is not supported (zbin's ZREL is for RISC-V only)");
        }
    }

    private static void Pack(Span<byte> data, byte[] output, State state)
    {
        var lengthField = state.Length;
        Reserve(output, lengthField, 4, "PACK");
        BcjFilter(data);
        var packedAt = lengthField + 4;
        int packed;
        if (state.Compressor?.Invoke(data) is { } stream)
        {
            Reserve(output, packedAt, stream.Length, "PACK");
            stream.CopyTo(output, packedAt);
            packed = stream.Length;
        }
        else
            packed = Lzma1.Encode(data, output.AsSpan(packedAt), Lzma1.IpxePreset, lc: 2, lp: 0, pb: 0);
        Reserve(output, packedAt + packed, 4, "PACK");
        // zbin's crc32_le: seed 0xffffffff and no final inversion, i.e. the complement of the standard CRC-32.
        var crc = ~Crc32.HashToUInt32(output.AsSpan(packedAt, packed));
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(lengthField), (uint)packed + 4);
        BinaryPrimitives.WriteUInt32LittleEndian(output.AsSpan(packedAt + packed), crc);
        state.Length = packedAt + packed + 4;
    }

    /// <summary>
    /// zbin's x86 BCJ filter: every CALL/JMP rel32 (E8/E9) whose target lies inside the data becomes
    /// an absolute address, which compresses better; targets just past the end fold into the unused
    /// negative range so the transform stays reversible.
    /// </summary>
    internal static void BcjFilter(Span<byte> data)
    {
        long limit = data.Length - 5;
        for (long offset = 0; offset <= limit; offset++)
        {
            var opcode = data[(int)offset];
            if (opcode != 0xe8 && opcode != 0xe9)
                continue;
            var field = data.Slice((int)offset + 1, 4);
            long target = BinaryPrimitives.ReadInt32LittleEndian(field);
            if (target >= -offset && target < limit - offset)
                target += offset;
            else if (target >= limit - offset && target < limit)
                target -= limit;
            BinaryPrimitives.WriteInt32LittleEndian(field, (int)target);
            offset += 4;
        }
    }

    private static void Add(byte[] output, State state, int offset, uint divisor, int length, int from, int width)
    {
        var at = from + offset;
        if (at + width > state.Length)
            throw new InvalidDataException($"zinfo add at {at:#x} is outside the output");
        var field = output.AsSpan(at, width);
        long addend = width switch
        {
            1 => (sbyte)field[0],
            2 => BinaryPrimitives.ReadInt16LittleEndian(field),
            _ => BinaryPrimitives.ReadInt32LittleEndian(field),
        };
        var value = Align(length, divisor) / divisor + addend;
        var mask = width == 4 ? uint.MaxValue : (1L << (8 * width)) - 1;
        if (value < 0 || (value & ~mask) != 0)
            throw new InvalidDataException($"zinfo add {addend:+#;-#;0}+{length}/{divisor} at {at:#x} does not fit {width} bytes");
        switch (width)
        {
            case 1: field[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(field, (ushort)value); break;
            default: BinaryPrimitives.WriteUInt32LittleEndian(field, (uint)value); break;
        }
    }

    private static int Width(string type) => type[3] switch { 'B' => 1, 'W' => 2, _ => 4 };

    // zbin's align(): rounds up to a power of two; an alignment of 0 gives 0, as zbin's does.
    private static int Align(int value, uint alignment) => (int)(((uint)value + alignment - 1) & ~(alignment - 1));

    private static void CheckInput(byte[] input, uint offset, uint length, string type)
    {
        if ((long)offset + length > input.Length)
            throw new InvalidDataException($"zinfo {type} [{offset:#x},+{length:#x}) is outside the {input.Length}-byte image");
    }

    private static void Reserve(byte[] output, int at, int length, string type)
    {
        if ((long)at + length > output.Length)
            throw new InvalidDataException($"zinfo {type} overruns the output");
    }
}
