using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

namespace Bootstrap.Builder.Pxe;

/// <summary>The interface the PXE listeners serve: its name (sockets are bound to it) and its IPv4 address (the one answers name).</summary>
public sealed record PxeInterface(string Name, IPAddress Address)
{
    /// <summary>
    /// The interface named <paramref name="name"/>, or the one holding <paramref name="address"/>;
    /// null with the reason when there is none.
    /// </summary>
    public static (PxeInterface? Interface, string? Problem) Find(string name, string address)
    {
        var candidates = NetworkInterface.GetAllNetworkInterfaces()
            .Select(n => (n.Name, Addresses: n.GetIPProperties().UnicastAddresses.Select(a => a.Address).Where(a => a.AddressFamily == AddressFamily.InterNetwork).ToList()))
            .ToList();
        if (name.Length > 0)
        {
            var named = candidates.FirstOrDefault(c => c.Name == name);
            if (named.Name == null)
                return (null, $"there is no interface '{name}' (there are: {string.Join(", ", candidates.Select(c => c.Name))})");
            var wanted = address.Length > 0 ? IPAddress.Parse(address) : named.Addresses.FirstOrDefault();
            if (wanted == null || !named.Addresses.Contains(wanted))
                return (null, address.Length > 0 ? $"interface '{name}' does not hold {address}" : $"interface '{name}' has no IPv4 address");
            return (new PxeInterface(name, wanted), null);
        }
        var holder = candidates.FirstOrDefault(c => c.Addresses.Contains(IPAddress.Parse(address)));
        return holder.Name == null ? (null, $"no interface holds {address}") : (new PxeInterface(holder.Name, IPAddress.Parse(address)), null);
    }
}

/// <summary>UDP sockets for the PXE listeners.</summary>
public static class PxeSockets
{
    private const int SolSocket = 1, SoBindToDevice = 25;

    /// <summary>
    /// A socket on every address of <paramref name="on"/>'s interface and <paramref name="port"/>:
    /// DHCP clients without an address broadcast to 255.255.255.255, which a socket bound to one
    /// unicast address never sees; binding to the device (SO_BINDTODEVICE, socket(7)) keeps other
    /// interfaces' clients out and sends broadcasts out of this one, even with no route.
    /// </summary>
    public static Socket Listen(PxeInterface on, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.EnableBroadcast = true;
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.SetRawSocketOption(SolSocket, SoBindToDevice, Encoding.ASCII.GetBytes(on.Name + "\0"));
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Why binding failed, in an operator's words.</summary>
    public static string Explain(SocketException e, int port) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => $"UDP port {port} is in use by another program (another DHCP or TFTP server?)",
        SocketError.AccessDenied => $"no permission for UDP port {port} (needs CAP_NET_BIND_SERVICE, and CAP_NET_RAW to bind to the interface)",
        _ => $"UDP port {port}: {e.Message}",
    };
}
