using System.Buffers.Binary;
using System.Text;

namespace Bootstrap.Builder.Pxe.Tftp;

/// <summary>TFTP opcodes (RFC 1350 §5; OACK is RFC 2347's).</summary>
public enum TftpOpcode : ushort { ReadRequest = 1, WriteRequest = 2, Data = 3, Ack = 4, Error = 5, OptionAck = 6 }

/// <summary>TFTP error codes (RFC 1350 appendix; 8 is RFC 2347's option negotiation failure).</summary>
public enum TftpError : ushort
{
    NotDefined = 0, FileNotFound = 1, AccessViolation = 2, DiskFull = 3, IllegalOperation = 4, UnknownTransferId = 5,
    FileExists = 6, NoSuchUser = 7, OptionRefused = 8,
}

/// <summary>A read or write request: file name, mode and the options of RFC 2347 (names lowercased; values as sent).</summary>
public sealed record TftpRequest(TftpOpcode Opcode, string FileName, string Mode, IReadOnlyDictionary<string, string> Options);

/// <summary>The packets of RFC 1350 §5 and RFC 2347 §2–3, read and written.</summary>
public static class TftpPacket
{
    public static TftpOpcode? OpcodeOf(ReadOnlySpan<byte> packet) =>
        packet.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(packet) is >= 1 and <= 6 and var op ? (TftpOpcode)op : null;

    /// <summary>
    /// RRQ/WRQ: opcode, then NUL-terminated strings: file name, mode, and option/value pairs.
    /// Null when a string is not terminated, a pair is incomplete, an option repeats, or a string is not printable ASCII.
    /// </summary>
    public static TftpRequest? ParseRequest(ReadOnlySpan<byte> packet)
    {
        if (OpcodeOf(packet) is not (TftpOpcode.ReadRequest or TftpOpcode.WriteRequest))
            return null;
        var strings = new List<string>();
        var rest = packet[2..];
        while (rest.Length > 0)
        {
            var end = rest.IndexOf((byte)0);
            if (end < 0)
                return null;
            var text = rest[..end];
            foreach (var b in text)
                if (b is < 0x20 or > 0x7e)
                    return null;
            strings.Add(Encoding.ASCII.GetString(text));
            rest = rest[(end + 1)..];
        }
        if (strings.Count < 2 || strings.Count % 2 != 0 || strings[0].Length == 0)
            return null;
        var options = new Dictionary<string, string>();
        for (var i = 2; i < strings.Count; i += 2)
            if (!options.TryAdd(strings[i].ToLowerInvariant(), strings[i + 1]))
                return null;
        return new TftpRequest((TftpOpcode)BinaryPrimitives.ReadUInt16BigEndian(packet), strings[0], strings[1].ToLowerInvariant(), options);
    }

    /// <summary>The block number of an ACK (RFC 1350 §5: exactly 4 bytes), or null.</summary>
    public static ushort? AckedBlock(ReadOnlySpan<byte> packet) =>
        packet.Length == 4 && OpcodeOf(packet) == TftpOpcode.Ack ? BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) : null;

    public static int WriteData(Span<byte> into, ushort block, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt16BigEndian(into, (ushort)TftpOpcode.Data);
        BinaryPrimitives.WriteUInt16BigEndian(into[2..], block);
        data.CopyTo(into[4..]);
        return 4 + data.Length;
    }

    public static byte[] Error(TftpError code, string message)
    {
        var text = Encoding.ASCII.GetBytes(message);
        var packet = new byte[5 + text.Length];
        BinaryPrimitives.WriteUInt16BigEndian(packet, (ushort)TftpOpcode.Error);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)code);
        text.CopyTo(packet, 4);
        return packet;
    }

    public static byte[] OptionAck(IEnumerable<KeyValuePair<string, string>> options)
    {
        var bytes = new List<byte> { 0, (byte)TftpOpcode.OptionAck };
        foreach (var (name, value) in options)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes(name));
            bytes.Add(0);
            bytes.AddRange(Encoding.ASCII.GetBytes(value));
            bytes.Add(0);
        }
        return [.. bytes];
    }
}
