using System.Net;
using System.Net.Sockets;

namespace Bootstrap.Builder.Pxe.Udp;

/// <summary>The receive loop both PXE listeners (proxyDHCP, TFTP) run.</summary>
public static class Datagrams
{
    /// <summary>
    /// Calls <paramref name="handle"/> with each datagram <paramref name="socket"/> receives until
    /// <paramref name="stop"/>. A socket error (an ICMP error for an earlier reply) does not end
    /// the loop: the socket is still good.
    /// </summary>
    public static async Task ServeAsync(Socket socket, int bufferSize, Func<ReadOnlyMemory<byte>, IPEndPoint, Task> handle, CancellationToken stop)
    {
        var buffer = new byte[bufferSize];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            await handle(buffer.AsMemory(0, received.ReceivedBytes), (IPEndPoint)received.RemoteEndPoint);
        }
    }
}
