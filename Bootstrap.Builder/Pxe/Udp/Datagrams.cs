using System.Net;
using System.Net.Sockets;

namespace Bootstrap.Builder.Pxe.Udp;

/// <summary>The receive loop both PXE listeners (proxyDHCP, TFTP) run.</summary>
public static class Datagrams
{
    /// <summary>
    /// Calls <paramref name="handle"/> with each datagram <paramref name="socket"/> receives until
    /// <paramref name="stop"/>, on a thread of its own blocked in recvfrom(2): a request is handled
    /// on the wake-up that received it. The asynchronous loop handed each datagram to a pool
    /// thread, a second wake-up that cost 0.5 ms of every TFTP transfer's start (bench/pxe.sh). A
    /// socket error (an ICMP error for an earlier reply) does not end the loop: the socket is still
    /// good. Stopping closes <paramref name="socket"/>, which ends a blocked receive.
    /// </summary>
    public static Task ServeAsync(Socket socket, int bufferSize, ReceivedHandler handle, CancellationToken stop) =>
        Task.Factory.StartNew(() => Receive(socket, bufferSize, handle, stop), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>What a listener does with one datagram; the span is only valid during the call.</summary>
    public delegate void ReceivedHandler(ReadOnlySpan<byte> data, IPEndPoint from);

    private static void Receive(Socket socket, int bufferSize, ReceivedHandler handle, CancellationToken stop)
    {
        var buffer = new byte[bufferSize];
        using var stopping = stop.Register(socket.Dispose);
        while (!stop.IsCancellationRequested)
        {
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int length;
            try
            {
                length = socket.ReceiveFrom(buffer, ref from);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            try
            {
                handle(buffer.AsSpan(0, length), (IPEndPoint)from);
            }
            catch (ObjectDisposedException)
            {
                return;   // stopped while answering
            }
        }
    }
}
