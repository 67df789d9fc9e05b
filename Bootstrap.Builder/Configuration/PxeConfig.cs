using System.Net;
using System.Net.Sockets;
using System.Text.Json.Serialization;

namespace Bootstrap.Builder.Configuration;

/// <summary>
/// The <c>pxe</c> section of <c>config.json</c>: the built-in proxyDHCP and TFTP server (docs/pxe.md).
/// Off by default; on, it needs the interface (or its address) of the provisioning network.
/// </summary>
public sealed record PxeConfig
{
    [JsonPropertyName("enabled")] public bool Enabled { get; init; }

    /// <summary>The interface the proxy listens on (e.g. eno1); or leave empty and give <see cref="Address"/>.</summary>
    [JsonPropertyName("interface")] public string Interface { get; init; } = "";

    /// <summary>The IPv4 address the answers name (TFTP server, HTTP URLs); default: the interface's first.</summary>
    [JsonPropertyName("address")] public string Address { get; init; } = "";

    /// <summary>What UEFI PXE firmware is given over TFTP: snponly.efi (the firmware's network driver) or ipxe-amd64.efi (iPXE's own drivers).</summary>
    [JsonPropertyName("efi-boot-file")] public string EfiBootFile { get; init; } = "snponly.efi";

    /// <summary>Serve PXE firmware its boot program over TFTP; false answers only UEFI HTTP boot and iPXE (no TFTP port is opened).</summary>
    [JsonPropertyName("tftp")] public bool Tftp { get; init; } = true;

    /// <summary>When not empty, only these MACs are answered.</summary>
    [JsonPropertyName("allow-macs")] public List<string> AllowMacs { get; init; } = [];

    /// <summary>These MACs are never answered (another PXE server owns them).</summary>
    [JsonPropertyName("deny-macs")] public List<string> DenyMacs { get; init; } = [];

    [JsonPropertyName("dhcp-port")] public int DhcpPort { get; init; } = 67;

    [JsonPropertyName("boot-server-port")] public int BootServerPort { get; init; } = 4011;

    [JsonPropertyName("tftp-port")] public int TftpPort { get; init; } = 69;

    public static readonly IReadOnlyList<string> EfiBootFiles = ["snponly.efi", "ipxe-amd64.efi"];

    internal static readonly HashSet<string> Keys = ConfigLoader.KeysOf(typeof(PxeConfig));

    /// <summary>The first problem with this section as (key, why), or null.</summary>
    internal (string Key, string Why)? Problem()
    {
        if (Address.Length > 0 && !(IPAddress.TryParse(Address, out var ip) && ip.AddressFamily == AddressFamily.InterNetwork && Address.Count(c => c == '.') == 3))
            return ("pxe.address", $"'{Address}' is not an IPv4 address");
        if (Interface.Length > 0 && (Interface.Length > 15 || Interface.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))))
            return ("pxe.interface", $"'{Interface}' is not an interface name (1-15 of a-z, 0-9, '.', '-', '_')");
        if (Enabled && Interface.Length == 0 && Address.Length == 0)
            return ("pxe.interface", "set the interface (or the address) of the network machines boot on");
        if (!EfiBootFiles.Contains(EfiBootFile))
            return ("pxe.efi-boot-file", $"'{EfiBootFile}' is neither {string.Join(" nor ", EfiBootFiles)}");
        foreach (var (key, macs) in new[] { ("pxe.allow-macs", AllowMacs), ("pxe.deny-macs", DenyMacs) })
            foreach (var mac in macs)
                if (MacAddress.Normalize(mac) is not { } normal)
                    return (key, $"'{mac}' is not a MAC address");
                else if (MacAddress.NotANic(normal) is { } notANic)
                    return (key, notANic.Message);
        foreach (var (key, port) in new[] { ("pxe.dhcp-port", DhcpPort), ("pxe.boot-server-port", BootServerPort), ("pxe.tftp-port", TftpPort) })
            if (port is < 1 or > 65535)
                return (key, $"{port} is not a UDP port (1-65535)");
        return null;
    }
}
