using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Bootstrap.Builder.Pxe.Dhcp;
using Bootstrap.Builder.Pxe.Udp;

namespace Bootstrap.Builder.Pxe;

/// <summary>What the proxy did, for /metrics and the tests (which check that no reply offered an address).</summary>
public sealed class ProxyDhcpCounters
{
    public long Received;
    public long Malformed;
    public long Answered;
    public long Silent;
    /// <summary>Replies whose yiaddr was not 0.0.0.0: stays 0, a proxy never hands out addresses.</summary>
    public long AddressesOffered;
}

/// <summary>
/// The proxyDHCP listeners (PXE 2.1 §2.2.3): DISCOVERs on port 67 get an OFFER with boot
/// information only, REQUESTs to port 4011 (PXE boot server requests, iPXE's ProxyDHCPREQUEST) an
/// ACK. Everything else (a REQUEST on 67 is the client taking the site's lease) is left to the
/// site's DHCP server. Malformed packets get no answer.
/// </summary>
public sealed class ProxyDhcpServer(PxeAnswers answers, Action<string> log, Action<string, PxeAnswer>? answered = null)
{
    private const int MaxPacket = 1500;
    private readonly ConcurrentDictionary<string, bool> _saidOnce = new();

    public ProxyDhcpCounters Counters { get; } = new();

    /// <summary>Serves <paramref name="socket"/> until <paramref name="stop"/>; <paramref name="bootServerPort"/> marks the 4011 listener.</summary>
    public Task ServeAsync(Socket socket, bool bootServerPort, CancellationToken stop) =>
        Datagrams.ServeAsync(socket, MaxPacket, (data, from) =>
        {
            Interlocked.Increment(ref Counters.Received);
            if (Handle(data, from, bootServerPort) is not { } reply)
                return;
            try
            {
                socket.SendTo(reply.Bytes, reply.To);
            }
            catch (SocketException e)
            {
                Once($"send:{e.SocketErrorCode}", $"pxe: cannot send a reply to {reply.To}: {e.Message}");
            }
        }, stop);

    /// <summary>The reply to one packet and where it goes, or null for no reply.</summary>
    public (byte[] Bytes, IPEndPoint To)? Handle(ReadOnlySpan<byte> data, IPEndPoint from, bool bootServerPort)
    {
        var packet = DhcpPacket.Parse(data);
        var request = packet == null ? null : PxeRequest.From(packet);
        if (packet == null || request == null)
        {
            Interlocked.Increment(ref Counters.Malformed);
            return null;
        }
        var expected = bootServerPort ? DhcpMessageType.Request : DhcpMessageType.Discover;
        if (packet.MessageType != expected && !(bootServerPort && packet.MessageType == DhcpMessageType.Inform))
        {
            Interlocked.Increment(ref Counters.Silent);
            return null;
        }
        var answer = answers.Decide(request);
        if (answer is PxeAnswer.Silent silent)
        {
            Interlocked.Increment(ref Counters.Silent);
            if (silent.Worth)
                Once(silent.Why + request.Mac, $"pxe: no answer to {request.Mac} ({ClientArch.Name(request.Arch)}): {silent.Why}");
            return null;
        }
        var bytes = ProxyReply.For(packet, answer, answers.Site.Address);
        if (!bytes.AsSpan(16, 4).SequenceEqual(IPAddress.Any.GetAddressBytes()))
            Interlocked.Increment(ref Counters.AddressesOffered);
        Interlocked.Increment(ref Counters.Answered);
        answered?.Invoke(request.Mac, answer);
        return (bytes, Destination(packet, from, bootServerPort));
    }

    /// <summary>RFC 2131 §4.1: through the relay when there is one; to the sender when it has an address; else broadcast, the client has none yet.</summary>
    private static IPEndPoint Destination(DhcpPacket packet, IPEndPoint from, bool bootServerPort)
    {
        if (bootServerPort)
            return from;
        if (!packet.RelayAddress.Equals(IPAddress.Any))
            return new IPEndPoint(packet.RelayAddress, 67);
        if (!packet.ClientAddress.Equals(IPAddress.Any))
            return new IPEndPoint(packet.ClientAddress, 68);
        return new IPEndPoint(IPAddress.Broadcast, 68);
    }

    /// <summary>Logs a kind of event once per run (a client retries every few seconds; the log must not fill).</summary>
    private void Once(string kind, string line)
    {
        if (_saidOnce.Count < 1000 && _saidOnce.TryAdd(kind, true))
            log(line);
    }
}
