using System.Buffers.Binary;
using System.Text;

namespace Bootstrap.Builder.Pxe.Dhcp;

/// <summary>Which firmware family a client class names.</summary>
public enum ClientClass { Other, Pxe, Http }

/// <summary>
/// Who asks, read from a DHCP message: its MAC, whether it is a PXE or a UEFI HTTP boot client
/// (option 60 "PXEClient…" / "HTTPClient…", PXE 2.1 §2.4.1; UEFI 2.x §24.7.2), its processor
/// architecture (option 93, RFC 4578 §2.1), and whether it is iPXE already (user class "iPXE",
/// option 77 in RFC 3004's form or as bare text, or iPXE's own option 175).
/// </summary>
public sealed record PxeRequest(string Mac, ClientClass Class, ushort? Arch, bool IsIpxe, uint Xid = 0)
{
    public static PxeRequest? From(DhcpPacket packet)
    {
        if (packet.Op != 1 || packet.EthernetAddress is not { } hardware)
            return null;
        var mac = string.Join(':', hardware.Select(b => b.ToString("x2")));
        var vendor = packet.Option(DhcpOption.VendorClass) is { } v ? Encoding.ASCII.GetString(v) : "";
        var clientClass = vendor.StartsWith("PXEClient", StringComparison.Ordinal) ? ClientClass.Pxe
            : vendor.StartsWith("HTTPClient", StringComparison.Ordinal) ? ClientClass.Http
            : ClientClass.Other;
        // Option 93 is a list of 16-bit types; the first is the one the client boots as.
        ushort? arch = packet.Option(DhcpOption.ClientArch) is { Length: >= 2 } a ? BinaryPrimitives.ReadUInt16BigEndian(a) : null;
        return new PxeRequest(mac, clientClass, arch, IsIpxeClient(packet), packet.TransactionId);
    }

    private static bool IsIpxeClient(DhcpPacket packet)
    {
        if (packet.Option(DhcpOption.IpxeEncapsulated) != null)
            return true;
        if (packet.Option(DhcpOption.UserClass) is not { } userClass)
            return false;
        // iPXE sends the bare text "iPXE"; RFC 3004 §4 frames each class as length + text.
        if (userClass.AsSpan().SequenceEqual("iPXE"u8))
            return true;
        for (var i = 0; i < userClass.Length; i += 1 + userClass[i])
        {
            var length = userClass[i];
            if (i + 1 + length > userClass.Length)
                return false;
            if (userClass.AsSpan(i + 1, length).SequenceEqual("iPXE"u8))
                return true;
        }
        return false;
    }
}

/// <summary>Processor architecture types of option 93 (RFC 4578 §2.1 and IANA's registry, which added the HTTP boot ones).</summary>
public static class ClientArch
{
    public const ushort X86Bios = 0, EfiIa32 = 6, EfiX64 = 7, EfiX64Alternate = 9, EfiArm32 = 10, EfiArm64 = 11,
        EfiX64Http = 16, EfiArm64Http = 19;

    public static string Name(ushort? arch) => arch switch
    {
        null => "none given",
        X86Bios => "x86 BIOS",
        EfiIa32 => "x86 UEFI (32-bit)",
        EfiX64 or EfiX64Alternate => "x86-64 UEFI",
        EfiArm32 => "ARM32 UEFI",
        EfiArm64 => "ARM64 UEFI",
        EfiX64Http => "x86-64 UEFI HTTP",
        EfiArm64Http => "ARM64 UEFI HTTP",
        _ => $"type {arch}",
    };
}
