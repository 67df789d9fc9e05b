using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Bootstrap.Api.Http;

/// <summary>
/// Drops connections whose client has stopped reading an answer. Kestrel's own minimum response
/// rate is kept, but it counts bytes the socket buffers absorbed, and Linux lets a send buffer
/// grow to <c>tcp_wmem</c>'s maximum (4 MiB here): a client that never reads a kernel held its
/// connection and file for about four minutes. So every <see cref="Interval"/> this asks the kernel
/// how many bytes the client acknowledged (<c>tcpi_bytes_acked</c> of <c>struct tcp_info</c>,
/// linux/include/uapi/linux/tcp.h) and aborts a connection that had data waiting for it at two
/// checks in a row while acknowledging fewer than <c>min-response-bytes-per-second</c> × the
/// interval. Idle keep-alive connections have nothing waiting and are left to Kestrel's timeout.
/// </summary>
public sealed class StalledReaders : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    // struct tcp_info (Linux ≥ 4.6, host byte order): offsets of the fields read here.
    private const int IpProtoTcp = 6, TcpInfoOption = 11;
    private const int UnackedOffset = 24, BytesAckedOffset = 120, NotSentBytesOffset = 144, TcpInfoLength = 148;

    private readonly long _minBytesPerInterval;
    private readonly Action<string, long> _dropped;
    private readonly ConcurrentDictionary<ConnectionContext, Progress> _watched = new();
    private readonly Timer _timer;

    private sealed class Progress(Socket socket)
    {
        public Socket Socket { get; } = socket;
        public long Acked { get; set; }
        public bool Waiting { get; set; }
    }

    /// <param name="dropped">Told the client and the bytes it acknowledged in the last interval, for each dropped connection.</param>
    public StalledReaders(int minBytesPerSecond, Action<string, long> dropped)
    {
        _minBytesPerInterval = (long)(minBytesPerSecond * Interval.TotalSeconds);
        _dropped = dropped;
        _timer = new Timer(_ => Check(), null, Interval, Interval);
    }

    /// <summary>Watches <paramref name="connection"/> until the returned handle is disposed (no-op where TCP_INFO is unavailable).</summary>
    public IDisposable Watch(ConnectionContext connection)
    {
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is not { ProtocolType: ProtocolType.Tcp } socket || Read(socket) == null)
            return NotWatched.Instance;
        _watched[connection] = new Progress(socket);
        return new Unwatch(this, connection);
    }

    private void Check()
    {
        foreach (var (connection, watch) in _watched)
        {
            if (Read(watch.Socket) is not var (acked, waiting))
                continue;   // closing under us: Kestrel disposes it
            var progress = acked - watch.Acked;
            if (waiting && watch.Waiting && progress < _minBytesPerInterval)
            {
                _watched.TryRemove(connection, out _);
                connection.Abort(new ConnectionAbortedException($"the client read {progress} bytes in {Interval.TotalSeconds} s"));
                _dropped(ClientKey.Of((connection.RemoteEndPoint as System.Net.IPEndPoint)?.Address), progress);
                continue;
            }
            (watch.Acked, watch.Waiting) = (acked, waiting);
        }
    }

    /// <summary>Bytes the client acknowledged so far, and whether more are waiting for it; null if the socket cannot tell.</summary>
    private static (long Acked, bool Waiting)? Read(Socket socket)
    {
        Span<byte> info = stackalloc byte[256];
        try
        {
            var length = socket.GetRawSocketOption(IpProtoTcp, TcpInfoOption, info);
            if (length < TcpInfoLength)
                return null;
            var waiting = MemoryMarshal.Read<uint>(info[UnackedOffset..]) > 0
                          || MemoryMarshal.Read<uint>(info[NotSentBytesOffset..]) > 0;
            return ((long)MemoryMarshal.Read<ulong>(info[BytesAckedOffset..]), waiting);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    public void Dispose() => _timer.Dispose();

    private sealed class Unwatch(StalledReaders owner, ConnectionContext connection) : IDisposable
    {
        public void Dispose() => owner._watched.TryRemove(connection, out _);
    }

    private sealed class NotWatched : IDisposable
    {
        public static readonly NotWatched Instance = new();
        public void Dispose() { }
    }
}
