using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Bootstrap.Builder.Pxe.Dhcp;
using Bootstrap.Tests.Builder;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// The live service with PXE on the loopback interface (high ports), under 100,000 hostile DHCP
/// packets and 100,000 hostile TFTP packets: it does not crash, answers nothing malformed on DHCP,
/// answers TFTP's malformed requests with an error packet, keeps its memory, and serves a normal
/// client right after.
/// </summary>
public sealed partial class PxeListenerFuzzTests : IDisposable
{
    private readonly TestSite _site;
    private readonly LiveService _service;
    private readonly int _dhcpPort = Tool.FreePort(), _bootServerPort = Tool.FreePort(), _tftpPort = Tool.FreePort();

    public PxeListenerFuzzTests()
    {
        _site = new TestSite(c =>
        {
            c["ipxe-template"] = RepoTemplate.Folder;
            c["pxe"] = new Dictionary<string, object>
            {
                ["enabled"] = true, ["interface"] = "lo", ["address"] = "127.0.0.1",
                ["dhcp-port"] = _dhcpPort, ["boot-server-port"] = _bootServerPort, ["tftp-port"] = _tftpPort,
            };
        });
        _service = new LiveService(_site.ConfigFile);
    }

    private long RssKiB() => long.Parse(VmRss().Match(ProcFile.Read($"/proc/{_service.Process.Id}/status")).Groups[1].Value);

    [GeneratedRegex(@"VmRSS:\s+(\d+) kB")]
    private static partial Regex VmRss();

    [Fact]
    public async Task Hostile_packets_leave_the_listeners_serving_with_flat_memory()
    {
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sender.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var random = new Random(2828);
        var dhcp = new IPEndPoint(IPAddress.Loopback, _dhcpPort);
        var bootServer = new IPEndPoint(IPAddress.Loopback, _bootServerPort);
        var tftp = new IPEndPoint(IPAddress.Loopback, _tftpPort);
        // Warm up (JIT, the template's files), then measure.
        Assert.NotNull(ProxyAck());
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoTemplate.Folder, "undionly.kpxe")), TftpDownload("undionly.kpxe"));
        var before = RssKiB();

        var discover = ProxyDhcpTests.ClientMessage(1, (60, "PXEClient:Arch:00007:UNDI:003000"u8.ToArray()), (93, [0, 7]));
        for (var i = 0; i < 100_000; i++)
        {
            var packet = (i % 6) switch
            {
                0 => discover[..random.Next(discover.Length)],                                        // truncated
                1 => [.. discover[..236], 0, 0, 0, 0, .. discover[240..]],                            // wrong magic
                2 => [.. discover[..^1], 53, 255],                                                    // an option running past the end
                3 => [.. discover[..240], 52, 1, 3, .. Enumerable.Repeat((byte)1, 60), 255],          // option overload into fields that hold no End
                4 => [.. discover[..^1], 55, 255, .. Enumerable.Range(0, 255).Select(b => (byte)b), 93, 2, 0xff, 0xfe, 255],   // a huge option 55, an unknown arch
                _ => Flipped(discover, random),
            };
            sender.SendTo(packet, i % 2 == 0 ? dhcp : bootServer);
            sender.SendTo(HostileTftp(i, random), tftp);
            if (i % 1000 == 999)
                await Task.Delay(5);   // the receive buffers are finite; a flood that overflows them tests the kernel, not us
        }
        await Task.Delay(1000);

        Assert.False(_service.Process.HasExited, _service.Log);
        var ack = ProxyAck();
        Assert.NotNull(ack);
        Assert.Matches(@"^http://127\.0\.0\.1:\d+/ipxe-generic$", ack!.BootFile);
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoTemplate.Folder, "snponly.efi")), TftpDownload("snponly.efi"));
        var grownMiB = (RssKiB() - before) / 1024.0;
        Assert.True(grownMiB < 32, $"RSS grew {grownMiB:F0} MiB over 200,000 hostile packets");
        using var metrics = _service.Client();
        var text = await metrics.GetStringAsync("/metrics");
        Assert.Contains("bootstrap_pxe_addresses_offered_total 0", text);
        Assert.Matches(@"bootstrap_pxe_dhcp_packets_total\{outcome=""malformed""\} \d{5}", text);
    }

    private static byte[] Flipped(byte[] packet, Random random)
    {
        var copy = packet.ToArray();
        for (var n = random.Next(1, 6); n > 0; n--)
            copy[random.Next(copy.Length)] = (byte)random.Next(256);
        return copy;
    }

    private static byte[] HostileTftp(int i, Random random) => (i % 8) switch
    {
        0 => Request(1, "../../../../etc/passwd", "octet"),
        1 => Request(1, "/etc/shadow", "octet"),
        2 => Request(1, "snponly.efi\0../x", "octet"),
        3 => Request(1, "snponly.efi", "mail"),
        4 => Request(2, "snponly.efi", "octet"),
        5 => Request(1, "snponly.efi", "octet", "blksize", "99999999999", "windowsize", "0"),
        6 => [0, 4, (byte)random.Next(256), (byte)random.Next(256)],                                 // an ACK for a block never sent
        _ => [.. Enumerable.Range(0, random.Next(0, 40)).Select(_ => (byte)random.Next(256))],
    };

    private static byte[] Request(ushort opcode, string name, params string[] rest) =>
        [0, (byte)opcode, .. Encoding.ASCII.GetBytes(string.Join('\0', [name, .. rest]) + "\0")];

    /// <summary>iPXE's ProxyDHCPREQUEST to the boot server port, answered to its sender.</summary>
    private DhcpPacket? ProxyAck()
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.ReceiveTimeout = 5000;
        client.SendTo(ProxyDhcpTests.ClientMessage(3, (60, "PXEClient:Arch:00007:UNDI:003001"u8.ToArray()), (93, [0, 7]), (77, "iPXE"u8.ToArray())),
            new IPEndPoint(IPAddress.Loopback, _bootServerPort));
        var buffer = new byte[1500];
        try
        {
            return DhcpPacket.Parse(buffer.AsSpan(0, client.Receive(buffer)));
        }
        catch (SocketException)
        {
            return null;
        }
    }

    private byte[] TftpDownload(string name)
    {
        var output = Path.GetTempFileName();
        try
        {
            Tool.Ok("curl", "--silent", "--show-error", "--fail", "--max-time", "60", "--tftp-blksize", "1468", "--output", output, $"tftp://127.0.0.1:{_tftpPort}/{name}");
            return File.ReadAllBytes(output);
        }
        finally
        {
            File.Delete(output);
        }
    }

    public void Dispose()
    {
        _service.Dispose();
        _site.Dispose();
    }

    [Fact]
    public async Task A_port_another_program_holds_is_named_in_healthz_and_the_log_and_http_still_serves()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var held = ((IPEndPoint)holder.LocalEndPoint!).Port;
        using var site = new TestSite(c =>
        {
            c["ipxe-template"] = RepoTemplate.Folder;
            c["pxe"] = new Dictionary<string, object> { ["enabled"] = true, ["interface"] = "lo", ["tftp-port"] = held, ["dhcp-port"] = Tool.FreePort(), ["boot-server-port"] = Tool.FreePort() };
        });
        using var service = new LiveService(site.ConfigFile);

        var health = await service.AdminClient().GetStringAsync("/healthz");
        Assert.Contains($"\"pxe\":\"not running: UDP port {held} is in use by another program (another DHCP or TFTP server?)\"", health);
        Assert.Contains($"pxe: not running: UDP port {held} is in use by another program", service.Log);
        Assert.StartsWith("{\"status\":\"ok\"", health);
    }
}
