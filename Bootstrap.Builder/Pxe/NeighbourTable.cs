using System.Net;

namespace Bootstrap.Builder.Pxe;

/// <summary>
/// The kernel's IPv4 neighbour (ARP) table, /proc/net/arp (proc(5)): the MAC behind an address on
/// a directly attached network. TFTP names its client by address only; this names the machine.
/// </summary>
public static class NeighbourTable
{
    public static string? MacOf(IPAddress address, string path = "/proc/net/arp")
    {
        try
        {
            // "IP address  HW type  Flags  HW address  Mask  Device", one entry per line after the header.
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 4 && fields[0] == address.ToString() && MacAddress.Normalize(fields[3]) is { } mac && mac != "00:00:00:00:00:00")
                    return mac;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
