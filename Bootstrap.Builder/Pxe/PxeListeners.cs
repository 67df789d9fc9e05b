using System.Net.Sockets;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Pxe.Tftp;

namespace Bootstrap.Builder.Pxe;

/// <summary>
/// The proxyDHCP (ports 67 and 4011) and TFTP (69) listeners of the <c>pxe</c> section, on one
/// interface. <see cref="Status"/> says, for /healthz and the start-up log, whether they run,
/// where, and why not.
/// </summary>
public sealed class PxeListeners(BootstrapConfig config, MachineDirectory machines, ITftpFiles files, Action<string> log,
    Action<string, double>? phaseTook = null, TimeProvider? clock = null)
{
    private readonly List<Socket> _sockets = [];

    public string Status { get; private set; } = "off (pxe.enabled is false)";
    public ProxyDhcpServer? Proxy { get; private set; }

    /// <summary>The base of the URLs the proxy hands out (no trailing slash, as <see cref="PublicUrl"/> makes them), while it runs.</summary>
    public string? BaseUrl { get; private set; }
    public TftpServer? Tftp { get; private set; }

    /// <summary>
    /// Binds the three ports and serves until <paramref name="stop"/>; returns at once when PXE is
    /// off or cannot start. <see cref="Status"/> is final when the first await yields.
    /// </summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var pxe = config.Pxe;
        if (!pxe.Enabled)
            return;
        var (found, problem) = PxeInterface.Find(pxe.Interface, pxe.Address);
        if (found is not { } on)
        {
            Status = $"not running: {problem} (pxe.interface, pxe.address)";
            return;
        }
        // The site's rule for base URLs (base-host wins); else the address machines reach over plain HTTP.
        var baseUrl = PublicUrl.Resolve(config.BaseHost, $"{on.Address}:{config.HttpPort}", "http", forwardedProto: null).Url!;
        var site = new PxeSite(on.Address, baseUrl, pxe.Tftp ? pxe.EfiBootFile : null,
            pxe.AllowMacs.Select(m => MacAddress.Normalize(m)!).ToHashSet(), pxe.DenyMacs.Select(m => MacAddress.Normalize(m)!).ToHashSet());
        var time = clock ?? TimeProvider.System;
        var proxy = new ProxyDhcpServer(new PxeAnswers(site, new DirectoryPxeMachines(machines), time), log,
            (mac, answer) => machines.PxeAnswered(mac, Describe(answer), time.GetUtcNow()));
        var tftp = new TftpServer(files, done: done =>
        {
            if (!done.Completed)
                return;
            phaseTook?.Invoke(BootTimeline.Tftp, done.Duration.TotalSeconds);
            machines.TftpSent(NeighbourTable.MacOf(done.Client), done.Client.ToString(), $"{done.File} in {done.Duration.TotalSeconds:F2} s", time.GetUtcNow());
        }, clock: time);
        Socket dhcp, bootServer;
        Socket? tftpListener = null;
        var port = pxe.DhcpPort;
        try
        {
            dhcp = Keep(PxeSockets.Listen(on, port));
            port = pxe.BootServerPort;
            bootServer = Keep(PxeSockets.Listen(on, port));
            port = pxe.TftpPort;
            if (pxe.Tftp)
                tftpListener = Keep(PxeSockets.Listen(on, port));
        }
        catch (SocketException e)
        {
            Close();
            Status = $"not running: {PxeSockets.Explain(e, port)}";
            return;
        }
        (Proxy, Tftp, BaseUrl) = (proxy, tftp, baseUrl);
        Status = $"on {on.Address} ({on.Name}): proxyDHCP on UDP {pxe.DhcpPort} and {pxe.BootServerPort}, "
                 + (pxe.Tftp ? $"TFTP on UDP {pxe.TftpPort}" : "no TFTP (pxe.tftp is false)") + $"; scripts from {baseUrl}/";
        try
        {
            await Task.WhenAll(proxy.ServeAsync(dhcp, bootServerPort: false, stop), proxy.ServeAsync(bootServer, bootServerPort: true, stop),
                tftpListener == null ? Task.CompletedTask : tftp.ServeAsync(tftpListener, on.Address, stop));
        }
        finally
        {
            Close();
        }
    }

    private static string Describe(PxeAnswer answer) => answer switch
    {
        PxeAnswer.TftpFile tftp => $"offered {tftp.Name} over TFTP",
        PxeAnswer.HttpUrl http => $"offered {http.Url}",
        _ => answer.ToString(),
    };

    private Socket Keep(Socket socket)
    {
        _sockets.Add(socket);
        return socket;
    }

    private void Close()
    {
        foreach (var socket in _sockets)
            socket.Dispose();
        _sockets.Clear();
    }
}
