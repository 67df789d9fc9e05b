using System.Net;
using System.Text;

using Bootstrap.Builder.Pxe.Dhcp;

namespace Bootstrap.Builder.Pxe;

/// <summary>
/// The proxyDHCP answer of PXE 2.1 §2.2.3 (and UEFI 2.x §24.7.2 for HTTP boot): a reply that
/// carries boot information only. It never offers an address (yiaddr stays 0.0.0.0), so the site's
/// own DHCP server keeps that job.
/// </summary>
public static class ProxyReply
{
    /// <summary>
    /// PXE_DISCOVERY_CONTROL (PXE 2.1 §2.4.6, vendor option 43 sub-option 6) bit 3: take the boot
    /// file of this offer, no boot server discovery or menu.
    /// </summary>
    private static readonly byte[] BootFileOnly = [6, 1, 0x08, DhcpOption.End];

    /// <param name="request">The client's DISCOVER (answered with an OFFER on port 67) or its REQUEST to port 4011 (answered with an ACK).</param>
    public static byte[] For(DhcpPacket request, PxeAnswer answer, IPAddress server)
    {
        var (file, vendorClass) = answer switch
        {
            PxeAnswer.TftpFile tftp => (tftp.Name, "PXEClient"),
            PxeAnswer.HttpUrl http => (http.Url, http.Class == ClientClass.Http ? "HTTPClient" : "PXEClient"),
            _ => throw new ArgumentException("a silent answer has no reply", nameof(answer)),
        };
        var reply = new DhcpPacket
        {
            Op = 2,
            HardwareType = request.HardwareType,
            HardwareLength = request.HardwareLength,
            TransactionId = request.TransactionId,
            Flags = request.Flags,
            ClientAddress = request.ClientAddress,
            // Always set: iPXE takes a proxy answer as carrying PXE options only when siaddr and a
            // boot file are both there (its dhcp_has_pxeopts); else it asks again on 4011, forever.
            ServerAddress = server,
            RelayAddress = request.RelayAddress,
            ClientHardware = request.ClientHardware,
            ServerName = answer is PxeAnswer.TftpFile ? server.ToString() : "",
            // A URL too long for the 128-byte field travels in option 67 alone.
            BootFile = file.Length < 128 ? file : "",
        };
        var type = request.MessageType == DhcpMessageType.Discover ? DhcpMessageType.Offer : DhcpMessageType.Ack;
        var options = new List<(byte, byte[])>
        {
            (DhcpOption.MessageType, [(byte)type]),
            (DhcpOption.ServerId, server.GetAddressBytes()),
            (DhcpOption.VendorClass, Encoding.ASCII.GetBytes(vendorClass)),
        };
        // PXE 2.1 §2.4.4: the client's machine identifier comes back as it was sent.
        if (request.Option(DhcpOption.ClientUuid) is { } uuid)
            options.Add((DhcpOption.ClientUuid, uuid));
        if (vendorClass == "PXEClient")
            options.Add((DhcpOption.VendorSpecific, BootFileOnly));
        options.Add((67, Encoding.ASCII.GetBytes(file)));
        return reply.ToBytes(options);
    }
}
