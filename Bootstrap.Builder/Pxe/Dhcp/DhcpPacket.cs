using System.Buffers.Binary;
using System.Net;

namespace Bootstrap.Builder.Pxe.Dhcp;

/// <summary>DHCP message types (RFC 2132 §9.6, option 53).</summary>
public enum DhcpMessageType : byte
{
    Discover = 1, Offer = 2, Request = 3, Decline = 4, Ack = 5, Nak = 6, Release = 7, Inform = 8,
}

/// <summary>The option codes this service reads or writes (RFC 2132, RFC 4578, PXE 2.1 §2.4, iPXE's 175).</summary>
public static class DhcpOption
{
    public const byte Pad = 0, VendorSpecific = 43, Overload = 52, MessageType = 53, ServerId = 54, ParameterList = 55,
        VendorClass = 60, UserClass = 77, ClientArch = 93, ClientNdi = 94, ClientUuid = 97, IpxeEncapsulated = 175, End = 255;
}

/// <summary>
/// A BOOTP/DHCP message (RFC 2131 §2, figure 1: 236 fixed bytes, then the magic cookie and the
/// options of RFC 2132). <see cref="Parse"/> refuses anything malformed rather than guessing: a
/// reply to a broken packet could only be wrong.
/// </summary>
public sealed class DhcpPacket
{
    public const int FixedLength = 236, MagicCookie = 0x63825363, MinimumLength = FixedLength + 4;
    private const int HardwareOffset = 28, ServerNameOffset = 44, ServerNameLength = 64, FileOffset = 108, FileLength = 128;

    public byte Op { get; init; }
    public byte HardwareType { get; init; } = 1;
    public byte HardwareLength { get; init; } = 6;
    public uint TransactionId { get; init; }
    public ushort Seconds { get; init; }
    public ushort Flags { get; init; }
    public IPAddress ClientAddress { get; init; } = IPAddress.Any;
    public IPAddress YourAddress { get; init; } = IPAddress.Any;
    public IPAddress ServerAddress { get; init; } = IPAddress.Any;
    public IPAddress RelayAddress { get; init; } = IPAddress.Any;
    public byte[] ClientHardware { get; init; } = new byte[16];
    public string ServerName { get; init; } = "";
    public string BootFile { get; init; } = "";

    /// <summary>Options by code, in the order they came; a code sent twice is one option, its parts joined (RFC 3396 §7).</summary>
    public IReadOnlyDictionary<byte, byte[]> Options { get; init; } = new Dictionary<byte, byte[]>();

    public const ushort BroadcastFlag = 0x8000;

    public byte[]? Option(byte code) => Options.GetValueOrDefault(code);

    public DhcpMessageType? MessageType => Option(DhcpOption.MessageType) is [var t] && Enum.IsDefined((DhcpMessageType)t) ? (DhcpMessageType)t : null;

    /// <summary>The client's Ethernet address (htype 1, hlen 6), or null for other hardware.</summary>
    public byte[]? EthernetAddress => HardwareType == 1 && HardwareLength == 6 ? ClientHardware[..6] : null;

    /// <summary>Null unless <paramref name="data"/> is one whole, well-formed message.</summary>
    public static DhcpPacket? Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < MinimumLength || BinaryPrimitives.ReadInt32BigEndian(data[FixedLength..]) != MagicCookie)
            return null;
        if (data[1] == 1 && data[2] != 6 || data[2] > 16)
            return null;
        var options = new Dictionary<byte, byte[]>();
        if (!ReadOptions(data[(FixedLength + 4)..], options, mustEnd: true))
            return null;
        // Option overload (RFC 2132 §9.3): the file and sname fields carry more options, read in that order.
        var overload = options.GetValueOrDefault(DhcpOption.Overload);
        if (overload is { Length: not 1 } || overload is [not (1 or 2 or 3)])
            return null;
        var fileHoldsOptions = overload is [1 or 3];
        var snameHoldsOptions = overload is [2 or 3];
        if (fileHoldsOptions && !ReadOptions(data.Slice(FileOffset, FileLength), options, mustEnd: false))
            return null;
        if (snameHoldsOptions && !ReadOptions(data.Slice(ServerNameOffset, ServerNameLength), options, mustEnd: false))
            return null;
        return new DhcpPacket
        {
            Op = data[0],
            HardwareType = data[1],
            HardwareLength = data[2],
            TransactionId = BinaryPrimitives.ReadUInt32BigEndian(data[4..]),
            Seconds = BinaryPrimitives.ReadUInt16BigEndian(data[8..]),
            Flags = BinaryPrimitives.ReadUInt16BigEndian(data[10..]),
            ClientAddress = new IPAddress(data.Slice(12, 4)),
            YourAddress = new IPAddress(data.Slice(16, 4)),
            ServerAddress = new IPAddress(data.Slice(20, 4)),
            RelayAddress = new IPAddress(data.Slice(24, 4)),
            ClientHardware = data.Slice(HardwareOffset, 16).ToArray(),
            ServerName = snameHoldsOptions ? "" : Text(data.Slice(ServerNameOffset, ServerNameLength)),
            BootFile = fileHoldsOptions ? "" : Text(data.Slice(FileOffset, FileLength)),
            Options = options,
        };
    }

    /// <summary>Tag-length-value options up to End (RFC 2132 §2); false when a length runs past the field, or the main field has no End.</summary>
    private static bool ReadOptions(ReadOnlySpan<byte> field, Dictionary<byte, byte[]> options, bool mustEnd)
    {
        var i = 0;
        while (i < field.Length)
        {
            var code = field[i++];
            if (code == DhcpOption.Pad)
                continue;
            if (code == DhcpOption.End)
                return true;
            if (i >= field.Length || i + 1 + field[i] > field.Length)
                return false;
            var value = field.Slice(i + 1, field[i]);
            i += 1 + field[i];
            options[code] = options.TryGetValue(code, out var earlier) ? [.. earlier, .. value] : value.ToArray();
        }
        return !mustEnd;
    }

    private static string Text(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return System.Text.Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
    }

    /// <summary>
    /// The message on the wire: fixed fields, cookie, options in the given order, End, padded to
    /// BOOTP's 300 bytes (RFC 1542 §3.3: some relays and old clients drop shorter ones). An option
    /// longer than 255 bytes is split (RFC 3396).
    /// </summary>
    public byte[] ToBytes(IEnumerable<(byte Code, byte[] Value)> options)
    {
        var bytes = new List<byte>(548);
        var head = new byte[FixedLength];
        head[0] = Op;
        head[1] = HardwareType;
        head[2] = HardwareLength;
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(4), TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(8), Seconds);
        BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(10), Flags);
        ClientAddress.GetAddressBytes().CopyTo(head, 12);
        YourAddress.GetAddressBytes().CopyTo(head, 16);
        ServerAddress.GetAddressBytes().CopyTo(head, 20);
        RelayAddress.GetAddressBytes().CopyTo(head, 24);
        ClientHardware.AsSpan(0, Math.Min(16, ClientHardware.Length)).CopyTo(head.AsSpan(HardwareOffset));
        if (ServerName.Length >= ServerNameLength || BootFile.Length >= FileLength)
            throw new ArgumentException("sname or file does not fit its field with its terminating zero");
        System.Text.Encoding.ASCII.GetBytes(ServerName).CopyTo(head, ServerNameOffset);
        System.Text.Encoding.ASCII.GetBytes(BootFile).CopyTo(head, FileOffset);
        bytes.AddRange(head);
        bytes.AddRange([0x63, 0x82, 0x53, 0x63]);
        foreach (var (code, value) in options)
        {
            for (var at = 0; at == 0 || at < value.Length; at += 255)
            {
                var part = value.AsSpan(at, Math.Min(255, value.Length - at));
                bytes.Add(code);
                bytes.Add((byte)part.Length);
                bytes.AddRange(part);
            }
        }
        bytes.Add(DhcpOption.End);
        while (bytes.Count < 300)
            bytes.Add(DhcpOption.Pad);
        return [.. bytes];
    }
}
