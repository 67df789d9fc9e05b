using System.Net;
using System.Net.Sockets;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>Connection bounds on the real server: idle hoarders are refused past their bound while others are served.</summary>
public sealed class ConnectionLimitTests : IDisposable
{
    private const int PerClient = 50;
    private readonly TestSite _site;

    public ConnectionLimitTests()
    {
        _site = new TestSite(c => c["max-connections-per-client"] = PerClient);
        _site.AddKernel("zos.efi");
        _site.AddLink("prod.efi", "zos.efi");
    }

    public void Dispose() => _site.Dispose();

    /// <summary>A TCP connection to the service from <paramref name="source"/> (any 127.x address is this machine).</summary>
    private static async Task<Socket> Connect(IPAddress source, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return socket;
    }

    /// <summary>True when the server has closed the connection (a read returns 0 or fails within the wait).</summary>
    private static async Task<bool> ClosedByServer(Socket socket, TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            return await socket.ReceiveAsync(new byte[1], SocketFlags.None, timeout.Token) == 0;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    [Fact]
    public async Task A_thousand_idle_connections_from_one_client_are_cut_to_its_bound_while_others_are_served()
    {
        using var service = new LiveService(_site.ConfigFile);
        var hoarder = IPAddress.Parse("127.0.0.2");
        var sockets = new List<Socket>();
        var refusedAtConnect = 0;
        try
        {
            for (var i = 0; i < 1000; i++)
            {
                try
                {
                    sockets.Add(await Connect(hoarder, service.Port));
                }
                catch (SocketException)
                {
                    refusedAtConnect++;   // the server's reset raced the handshake: refused all the same
                }
            }

            var answer = await service.Client().GetAsync("/ipxe/prod/1");
            var closed = await Task.WhenAll(sockets.Select(s => ClosedByServer(s, TimeSpan.FromSeconds(3))));

            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal(PerClient, closed.Count(c => !c));
            Assert.Equal(1000 - PerClient, refusedAtConnect + closed.Count(c => c));
        }
        finally
        {
            foreach (var socket in sockets)
                socket.Dispose();
        }
    }
}

/// <summary>A client that stops reading a kernel is dropped within two checks; one that reads slowly but steadily is not.</summary>
public sealed class StalledReaderTests : IDisposable
{
    private const int KernelBytes = 64 * 1024 * 1024;
    private readonly TestSite _site = new();

    public StalledReaderTests()
    {
        _site.AddKernel("big.efi", KernelBytes);
        _site.AddLink("prod.efi", "big.efi");
    }

    public void Dispose() => _site.Dispose();

    private static async Task<Socket> Request(IPAddress source, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
        socket.Bind(new IPEndPoint(source, 0));
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync("GET /kernel/net/prod.efi HTTP/1.1\r\nHost: t\r\n\r\n"u8.ToArray());
        return socket;
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_while_a_slow_one_and_a_fast_one_are_served()
    {
        using var service = new LiveService(_site.ConfigFile);
        using var stalled = await Request(IPAddress.Parse("127.0.0.2"), service.Port);
        using var slow = await Request(IPAddress.Parse("127.0.0.3"), service.Port);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var slowRead = 0L;
        var buffer = new byte[4096];
        while (clock.Elapsed < TimeSpan.FromSeconds(20) && !service.Log.Contains("dropped a connection"))
        {
            slowRead += await slow.ReceiveAsync(buffer);   // 4 KiB every 50 ms: 80 KiB/s, above the 16 KiB/s bound
            await Task.Delay(50);
        }
        var droppedAfter = clock.Elapsed;
        var fast = await service.Client().GetByteArrayAsync("/kernel/net/prod.efi");
        for (var i = 0; i < 20; i++)
        {
            slowRead += await slow.ReceiveAsync(buffer);   // still served after the drop
            await Task.Delay(50);
        }
        var metrics = await service.Client().GetStringAsync("/metrics");

        Assert.InRange(droppedAfter, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(16));
        Assert.Equal(["dropped a connection from 127.0.0.2: it read 0 bytes in 5 s with an answer waiting"],
            service.Log.Split('\n').Where(l => l.Contains("dropped a connection")).Select(l => l.Trim()).ToArray());
        Assert.Contains("bootstrap_connections_dropped_total{reason=\"stalled\"} 1", metrics);
        Assert.Equal(KernelBytes, fast.Length);
        Assert.InRange(slowRead, 20 * 4096, KernelBytes);
    }
}

public sealed class ClientKeyTests
{
    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    public void An_ipv6_client_is_its_64_prefix(string address, string key)
    {
        Assert.Equal(key, Bootstrap.Api.Http.ClientKey.Of(IPAddress.Parse(address)));
    }
}
