using System.Net;

namespace Bootstrap.Api.Http;

/// <summary>
/// Who a client is for budgets and connection counts: its IPv4 address, or for IPv6 its /64
/// (one site's prefix; a single host can pick any address inside it).
/// </summary>
public static class ClientKey
{
    public static string Of(IPAddress? address)
    {
        if (address == null)
            return "unknown";
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
