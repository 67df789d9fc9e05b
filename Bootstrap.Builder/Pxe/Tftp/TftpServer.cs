using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Bootstrap.Builder.Pxe.Udp;

namespace Bootstrap.Builder.Pxe.Tftp;

/// <summary>The files a TFTP server may serve: looked up by name in a fixed set, never by path.</summary>
public interface ITftpFiles
{
    /// <summary>The bytes of <paramref name="name"/> when it is one of the served names, else null.</summary>
    byte[]? Find(string name);
}

/// <summary>What the TFTP server did, for /metrics and the tests.</summary>
public sealed class TftpCounters
{
    public long Requests;
    public long Refused;
    public long Completed;
    public long Abandoned;
}

/// <summary>One finished transfer: to whom, which file, how long it took.</summary>
public sealed record TftpTransferDone(IPAddress Client, string File, TimeSpan Duration, bool Completed);

/// <summary>
/// A read-only TFTP server: RFC 1350 (each transfer from its own port, the TID of §4), option
/// negotiation (RFC 2347) for blksize (RFC 2348), tsize and timeout (RFC 2349) and windowsize
/// (RFC 7440). Write requests and anything outside <see cref="ITftpFiles"/> get an error packet.
/// </summary>
public sealed class TftpServer(ITftpFiles files, int maxTransfers = 512, Action<TftpTransferDone>? done = null, TimeProvider? clock = null)
{
    public const int DefaultBlockSize = 512, MaxBlockSize = 65464, MaxWindow = 64, Retries = 5;
    // What the client sends a server: ACKs of 4 bytes, error packets whose message may be cut.
    private const int AckBufferSize = 1024;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly TransferThreads _threads = new(TimeSpan.FromSeconds(30));
    private int _running;

    public TftpCounters Counters { get; } = new();

    /// <summary>Accepts requests on <paramref name="listener"/>; each transfer runs on a socket of its own bound to <paramref name="address"/>.</summary>
    public Task ServeAsync(Socket listener, IPAddress address, CancellationToken stop) =>
        Datagrams.ServeAsync(listener, MaxBlockSize + 4, (data, client) =>
        {
            Interlocked.Increment(ref Counters.Requests);
            var (start, refusal) = Accept(data);
            if (refusal != null)
            {
                Interlocked.Increment(ref Counters.Refused);
                SendQuietly(listener, refusal, client);
                return;
            }
            if (Interlocked.Increment(ref _running) > maxTransfers)
            {
                Interlocked.Decrement(ref _running);
                Interlocked.Increment(ref Counters.Refused);
                SendQuietly(listener, TftpPacket.Error(TftpError.NotDefined, $"busy: {maxTransfers} transfers running, try again"), client);
                return;
            }
            var began = _clock.GetTimestamp();
            // The first packet goes out from this thread, before the hand-off: the client's answer
            // is on its way while the transfer's thread wakes.
            if (Open(start!, address, client) is not { } socket)
            {
                Interlocked.Decrement(ref _running);
                Finish(start!, client, began, completed: false);
                return;
            }
            _threads.Run(() =>
            {
                try
                {
                    Finish(start!, client, began, Transfer(socket, start!, stop));
                }
                finally
                {
                    Interlocked.Decrement(ref _running);
                }
            });
        }, stop);

    /// <summary>A transfer to start, or the error packet that answers the request.</summary>
    internal sealed record Start(string File, ReadOnlyMemory<byte> Bytes, int BlockSize, int Window, TimeSpan Timeout, IReadOnlyList<KeyValuePair<string, string>> Acknowledged)
    {
        public byte[] OptionAck { get; } = TftpPacket.OptionAck(Acknowledged);
    }

    /// <summary>Checks a request against RFC 1350 and 2347–2349, 7440; the second value is the error packet when refused.</summary>
    internal (Start? Start, byte[]? Refusal) Accept(ReadOnlySpan<byte> packet)
    {
        switch (TftpPacket.OpcodeOf(packet))
        {
            case TftpOpcode.WriteRequest:
                return (null, TftpPacket.Error(TftpError.AccessViolation, "this server only serves boot programs: no writes"));
            case TftpOpcode.ReadRequest:
                break;
            case null:
                return (null, TftpPacket.Error(TftpError.IllegalOperation, "not a TFTP packet"));
            default:
                return (null, TftpPacket.Error(TftpError.UnknownTransferId, "no transfer from this port: start with a read request"));
        }
        if (TftpPacket.ParseRequest(packet) is not { } request)
            return (null, TftpPacket.Error(TftpError.IllegalOperation, "malformed read request: file name, mode and options must each end in NUL"));
        if (request.Mode != "octet")
            return (null, TftpPacket.Error(TftpError.IllegalOperation, $"mode '{Shown(request.Mode)}' is not served: only octet"));
        // PXE ROMs send the name as DHCP gave it; some put a '/' in front.
        var name = request.FileName.StartsWith('/') ? request.FileName[1..] : request.FileName;
        if (files.Find(name) is not { } bytes)
            return (null, TftpPacket.Error(TftpError.FileNotFound, $"'{Shown(request.FileName)}' is not served here"));

        var blockSize = DefaultBlockSize;
        var window = 1;
        var timeout = TimeSpan.FromSeconds(1);
        var acknowledged = new List<KeyValuePair<string, string>>();
        foreach (var (option, value) in request.Options)
        {
            switch (option)
            {
                case "blksize":
                    if (!Number(value, 8, int.MaxValue, out var asked))
                        return (null, Refuse(option, value, "8-65464"));
                    blockSize = Math.Min(asked, MaxBlockSize);   // RFC 2348: the server may answer less
                    acknowledged.Add(new(option, blockSize.ToString(CultureInfo.InvariantCulture)));
                    break;
                case "tsize":
                    if (value != "0")
                        return (null, Refuse(option, value, "0 in a read request"));
                    acknowledged.Add(new(option, bytes.Length.ToString(CultureInfo.InvariantCulture)));
                    break;
                case "timeout":
                    if (!Number(value, 1, 255, out var seconds))
                        return (null, Refuse(option, value, "1-255"));
                    timeout = TimeSpan.FromSeconds(seconds);
                    acknowledged.Add(new(option, value));
                    break;
                case "windowsize":
                    if (!Number(value, 1, 65535, out var blocks))
                        return (null, Refuse(option, value, "1-65535"));
                    window = Math.Min(blocks, MaxWindow);   // RFC 7440 §4: the server may answer less
                    acknowledged.Add(new(option, window.ToString(CultureInfo.InvariantCulture)));
                    break;
                // RFC 2347: options the server does not know are left out of the OACK.
            }
        }
        return (new Start(name, bytes, blockSize, window, timeout, acknowledged), null);
    }

    private static byte[] Refuse(string option, string value, string range) =>
        TftpPacket.Error(TftpError.OptionRefused, $"option {option} '{Shown(value)}' is outside {range}");

    private static bool Number(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

    private static string Shown(string text) => text.Length <= 64 ? text : text[..64] + "...";

    /// <summary>
    /// The transfer's socket (RFC 1350 §4: a new port, the server's TID) with the first packet sent
    /// from it, or null when the client cannot be reached.
    /// </summary>
    private static Socket? Open(Start start, IPAddress address, IPEndPoint client)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(address, 0));
            // Connected: the kernel drops datagrams from any other port or host (RFC 1350 §4's TIDs).
            socket.Connect(client);
            socket.ReceiveTimeout = (int)start.Timeout.TotalMilliseconds;
            SendFirst(socket, start);
            return socket;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>The OACK when options were acknowledged (RFC 2347), else block 1.</summary>
    private static void SendFirst(Socket socket, Start start)
    {
        if (start.Acknowledged.Count > 0)
            socket.Send(start.OptionAck);
        else
            SendWindow(socket, start, new byte[start.BlockSize + 4], 1, 1);   // no options: blocks of 512, one at a time
    }

    /// <summary>
    /// The rest of a transfer <see cref="Open"/> began, on a thread of its own with blocking
    /// sockets: a lock-step transfer (what iPXE and BIOS PXE ROMs use) waits for every block's ACK,
    /// and the asynchronous path's hand-offs and per-wait timers made it half as fast as dnsmasq
    /// (bench/pxe.sh). At most <c>maxTransfers</c> threads, each mostly asleep in recv(2).
    /// </summary>
    private static bool Transfer(Socket socket, Start start, CancellationToken stop)
    {
        using var owned = socket;
        // Stopping the service closes the socket, which ends a blocked receive.
        using var stopping = stop.Register(socket.Dispose);
        try
        {
            return SendFile(socket, start);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;   // the client went away (ICMP port unreachable) or the service stops
        }
    }

    private void Finish(Start start, IPEndPoint client, long began, bool completed)
    {
        Interlocked.Increment(ref completed ? ref Counters.Completed : ref Counters.Abandoned);
        done?.Invoke(new TftpTransferDone(client.Address, start.File, _clock.GetElapsedTime(began), completed));
    }

    // Full optimisation from the first call: a transfer is one call of this method, so tiered
    // compilation would leave its per-block loop in unoptimised code for the first 30 transfers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool SendFile(Socket socket, Start start)
    {
        var ack = new byte[AckBufferSize];
        var sent = true;   // SendFirst sent the OACK or block 1
        if (start.Acknowledged.Count > 0)
        {
            if (Exchange(socket, start.OptionAck, start, packet: null, acked: -1, last: 0, ack, sent) is null)
                return false;
            sent = false;
        }
        var lastBlock = start.Bytes.Length / start.BlockSize + 1;   // the last block is shorter than blksize, perhaps empty
        long acked = 0;
        var packet = new byte[start.BlockSize + 4];
        while (acked < lastBlock)
        {
            var to = Math.Min(acked + start.Window, lastBlock);
            if (Exchange(socket, oack: null, start, packet, acked, to, ack, sent) is not { } newest)
                return false;
            acked = newest;
            sent = false;
        }
        return true;
    }

    /// <summary>
    /// Sends the OACK (<paramref name="oack"/>, answered by ACK 0) or the blocks after
    /// <paramref name="acked"/> up to <paramref name="last"/>, then waits (the socket's receive
    /// timeout) for an ACK of one of them and answers the newest block acknowledged. An ACK of
    /// anything else (a duplicate, a block never sent) is ignored, not answered: answering
    /// duplicates is the Sorcerer's Apprentice bug (RFC 1123 §4.2.3.1). Resends after the timeout,
    /// a few times (<paramref name="sent"/>: the first sending was done already); null when the
    /// client gave up (an error packet) or never answered.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long? Exchange(Socket socket, byte[]? oack, Start start, byte[]? packet, long acked, long last, byte[] buffer, bool sent)
    {
        for (var attempt = 0; attempt <= Retries; attempt++)
        {
            if (attempt == 0 && sent)
            {
                // sent already: wait for its ACK
            }
            else if (oack != null)
                socket.Send(oack);
            else
                SendWindow(socket, start, packet!, acked + 1, last);
            try
            {
                while (true)
                {
                    var reply = buffer.AsSpan(0, socket.Receive(buffer));
                    if (TftpPacket.OpcodeOf(reply) == TftpOpcode.Error)
                        return null;
                    if (TftpPacket.AckedBlock(reply) is not { } block16)
                        continue;
                    if (oack != null)
                    {
                        if (block16 == 0)
                            return 0;
                        continue;
                    }
                    // An ACK names a 16-bit block number (it wraps after 65535); count it from the last one acked.
                    var block = Advance(acked, block16);
                    if (block > acked && block <= last)
                        return block;
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                // timed out: send again
            }
        }
        return null;
    }

    /// <summary>Blocks <paramref name="from"/> to <paramref name="to"/>, each written into one buffer and sent before the next.</summary>
    private static void SendWindow(Socket socket, Start start, byte[] packet, long from, long to)
    {
        var size = start.Bytes.Length;
        for (var block = from; block <= to; block++)
        {
            var offset = (block - 1) * start.BlockSize;
            var length = (int)Math.Min(start.BlockSize, size - offset);
            var written = TftpPacket.WriteData(packet, (ushort)block, start.Bytes.Span.Slice((int)offset, length));
            socket.Send(packet, 0, written, SocketFlags.None);
        }
    }

    private static long Advance(long acked, ushort block) => acked + (ushort)(block - (ushort)acked);

    private static void SendQuietly(Socket socket, byte[] packet, IPEndPoint to)
    {
        try
        {
            socket.SendTo(packet, to);
        }
        catch (SocketException)
        {
        }
    }
}
