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
