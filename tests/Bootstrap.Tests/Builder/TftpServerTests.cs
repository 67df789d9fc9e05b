using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bootstrap.Builder.Pxe.Tftp;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>The TFTP server on 127.0.0.1: a real client downloads byte-exact; requests it must refuse get the error packet TFTP defines.</summary>
public sealed class TftpServerTests : IAsyncDisposable
{
    private sealed class Files(IReadOnlyDictionary<string, byte[]> files) : ITftpFiles
    {
        public byte[]? Find(string name) => files.TryGetValue(name, out var bytes) ? bytes : null;
    }

    private readonly byte[] _snponly = File.ReadAllBytes(Path.Combine(RepoTemplate.Folder, "snponly.efi"));
    private readonly byte[] _exactBlocks = Enumerable.Range(0, 512 * 3).Select(i => (byte)i).ToArray();
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;
    private readonly TftpServer _server;

    public TftpServerTests()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _server = new TftpServer(new Files(new Dictionary<string, byte[]> { ["snponly.efi"] = _snponly, ["three-blocks"] = _exactBlocks }));
        _serving = _server.ServeAsync(_listener, IPAddress.Loopback, _stop.Token);
    }

    private int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

    [Theory]
    [InlineData("snponly.efi", null)]
    [InlineData("snponly.efi", "1468")]
    [InlineData("three-blocks", null)]
    public void Curl_downloads_the_file_byte_exact(string name, string? blockSize)
    {
        var output = Path.GetTempFileName();
        try
        {
            Tool.Ok("curl", ["--silent", "--show-error", "--fail", "--max-time", "60", "--output", output,
                .. blockSize == null ? Array.Empty<string>() : ["--tftp-blksize", blockSize], $"tftp://127.0.0.1:{Port}/{name}"]);
            Assert.Equal(name == "snponly.efi" ? _snponly : _exactBlocks, File.ReadAllBytes(output));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Fact]
    public async Task A_windowed_transfer_sends_eight_blocks_per_ack_and_is_byte_exact()
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.ReceiveTimeout = 5000;
        client.SendTo(Request(1, "snponly.efi", "octet", "blksize", "1468", "windowsize", "8", "tsize", "0"), new IPEndPoint(IPAddress.Loopback, Port));
        var buffer = new byte[2000];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        var length = client.ReceiveFrom(buffer, ref from);
        Assert.Equal(Encoding.ASCII.GetBytes($"\0\u0006blksize\u00001468\0windowsize\u00008\0tsize\0{_snponly.Length}\0"), buffer[..length]);
        Assert.NotEqual(Port, ((IPEndPoint)from).Port);   // a transfer answers from a port of its own (RFC 1350 §4)
        client.SendTo(Ack(0), from);
        var received = new List<byte>();
        var block = 0;
        var packetsPerAck = new List<int>();
        while (true)
        {
            var inWindow = 0;
            var last = false;
            while (inWindow < 8 && !last)
            {
                length = client.ReceiveFrom(buffer, ref from);
                Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(buffer));
                Assert.Equal((ushort)(block + 1), BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)));
                block++;
                inWindow++;
                received.AddRange(buffer[4..length]);
                last = length - 4 < 1468;
            }
            packetsPerAck.Add(inWindow);
            client.SendTo(Ack((ushort)block), from);
            if (last)
                break;
        }
        Assert.Equal(_snponly, received.ToArray());
        Assert.All(packetsPerAck[..^1], n => Assert.Equal(8, n));
        await WaitFor(() => _server.Counters.Completed == 1);
    }

    [Fact]
    public void Duplicate_acks_and_acks_for_blocks_never_sent_are_ignored_not_answered()
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.ReceiveTimeout = 5000;
        // timeout 10: the server resends only after 10 s, so any packet sooner answers one of ours.
        client.SendTo(Request(1, "three-blocks", "octet", "timeout", "10"), new IPEndPoint(IPAddress.Loopback, Port));
        var buffer = new byte[600];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        Assert.Equal("\0\u0006timeout\u000010\0"u8.ToArray(), buffer[..client.ReceiveFrom(buffer, ref from)]);
        client.SendTo(Ack(0), from);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2, client.ReceiveFrom(buffer, ref from) - 2)));

        client.SendTo(Ack(0), from);       // a duplicate of the ACK already taken
        client.SendTo(Ack(9999), from);    // a block never sent
        client.ReceiveTimeout = 2000;
        Assert.Throws<SocketException>(() => client.ReceiveFrom(buffer, ref from));

        client.SendTo(Ack(1), from);
        var length = client.ReceiveFrom(buffer, ref from);
        Assert.Equal((2, 512), (BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(2)), length - 4));
    }

    [Theory]
    [InlineData(2, "snponly.efi", "octet", 2, "this server only serves boot programs: no writes")]
    [InlineData(1, "../../etc/passwd", "octet", 1, "'../../etc/passwd' is not served here")]
    [InlineData(1, "/etc/shadow", "octet", 1, "'/etc/shadow' is not served here")]
    [InlineData(1, "snponly.efi", "netascii", 4, "mode 'netascii' is not served: only octet")]
    [InlineData(1, "snponly.efi", "octet\0blksize\u00004", 8, "option blksize '4' is outside 8-65464")]
    [InlineData(1, "snponly.efi", "octet\0windowsize\u0000x", 8, "option windowsize 'x' is outside 1-65535")]
    public void Refused_requests_get_the_error_packet_that_says_why(ushort opcode, string name, string modeAndOptions, ushort code, string message)
    {
        Assert.Equal(Error(code, message), Exchange(Request(opcode, name, modeAndOptions)));
    }

    [Fact]
    public void Packets_that_are_not_requests_get_an_error_and_the_server_goes_on()
    {
        Assert.Equal(Error(4, "malformed read request: file name, mode and options must each end in NUL"), Exchange([0, 1, (byte)'x']));
        Assert.Equal(Error(5, "no transfer from this port: start with a read request"), Exchange(Ack(7)));
        Assert.Equal(Error(4, "not a TFTP packet"), Exchange([0, 9, 1, 2]));
        Assert.Equal(Error(4, "malformed read request: file name, mode and options must each end in NUL"), Exchange(Request(1, "snponly.efi\u0001", "octet")));
        Curl_downloads_the_file_byte_exact("three-blocks", null);
    }

    private byte[] Exchange(byte[] packet)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.ReceiveTimeout = 5000;
        client.SendTo(packet, new IPEndPoint(IPAddress.Loopback, Port));
        var buffer = new byte[600];
        return buffer[..client.Receive(buffer)];
    }

    private static byte[] Request(ushort opcode, string name, params string[] rest) =>
        [0, (byte)opcode, .. Encoding.ASCII.GetBytes(string.Join('\0', [name, .. rest]) + "\0")];

    private static byte[] Ack(ushort block) => [0, 4, (byte)(block >> 8), (byte)block];

    private static byte[] Error(ushort code, string message) => [0, 5, 0, (byte)code, .. Encoding.ASCII.GetBytes(message), 0];

    private static async Task WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
            await Task.Delay(50);
        Assert.True(condition());
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _serving;
        _listener.Dispose();
    }
}
