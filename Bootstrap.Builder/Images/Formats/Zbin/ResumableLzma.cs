using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Bootstrap.Builder.Images.Formats.Zbin;

/// <summary>
/// iPXE's LZMA1 (<see cref="Lzma1.IpxePreset"/>, lc 2, lp 0, pb 0) of inputs that all begin with one
/// fixed <see cref="Prefix"/>, by the <c>lzma-resume</c> helper (<c>lzma-resume.c</c> beside this file,
/// built by <c>setup/template.sh --source</c>): each of its workers compresses the prefix once,
/// snapshots its encoder and puts it back after every request, so a request compresses only its
/// tail, with the same bytes as <see cref="Lzma1.Encode"/> of the whole input. A .lkrn's script
/// sits 87% into its 1 MB stream: ~40 ms instead of ~300 ms.
/// </summary>
/// <remarks>
/// Never required: <see cref="TryEncode"/> answers null, and the caller compresses everything
/// itself, until the helper is ready, when the input does not begin with the prefix, and when the
/// helper fails or is gone. The helper is a long-lived process spoken to over its stdin (which it
/// watches: EOF, i.e. our exit, stops it) and a Unix socket; CliWrap runs commands to completion,
/// so <see cref="Process"/> starts it.
/// </remarks>
public sealed class ResumableLzma : IDisposable
{
    private readonly Process _helper;
    private readonly string _socketFolder;
    private readonly UnixDomainSocketEndPoint _endpoint;
    private volatile bool _ready;
    private volatile bool _disposed;

    public byte[] Prefix { get; }

    /// <summary>True once the helper has compressed the prefix and listens.</summary>
    public bool Ready => _ready && !_disposed;

    /// <summary>Null while the helper runs; why it stopped or never served otherwise.</summary>
    public string? Failure { get; private set; }

    private ResumableLzma(Process helper, string socketFolder, string socket, byte[] prefix)
    {
        _helper = helper;
        _socketFolder = socketFolder;
        _endpoint = new UnixDomainSocketEndPoint(socket);
        Prefix = prefix;
    }

    /// <summary>
    /// Starts <paramref name="helper"/> on <paramref name="prefix"/> with <paramref name="workers"/>
    /// encoders (requests at once; each holds ~50 MB); returns at once (the prefix takes ~0.3 s per
    /// worker, <see cref="TryEncode"/> answers null until then).
    /// </summary>
    public static ResumableLzma Start(string helper, byte[] prefix, int workers)
    {
        var socketFolder = Directory.CreateTempSubdirectory("bootstrap-lzma-").FullName;
        var socket = Path.Combine(socketFolder, "s");
        var start = new ProcessStartInfo(helper)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { socket, workers.ToString(), $"0x{Lzma1.IpxePreset:x}", "2", "0", "0" })
            start.ArgumentList.Add(argument);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var resumable = new ResumableLzma(process, socketFolder, socket, prefix);
        process.Exited += (_, _) => resumable.Stopped();
        process.Start();
        _ = resumable.FeedAsync();
        return resumable;
    }

    private void Stopped()
    {
        // The reason first: whoever sees Ready turn false (a volatile write, after this one) sees why.
        if (!_disposed)
            Failure = $"lzma-resume exited (exit code {_helper.ExitCode})";
        _ready = false;
    }

    /// <summary>For /healthz: whether requests are compressed by the helper, and if not why.</summary>
    public string Status => Ready ? "lzma-resume" : Failure is { } failure ? $"in-process ({failure})" : "in-process until lzma-resume is ready";

    private async Task FeedAsync()
    {
        try
        {
            var stdin = _helper.StandardInput.BaseStream;
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)Prefix.Length);
            await stdin.WriteAsync(length);
            await stdin.WriteAsync(Prefix);
            await stdin.FlushAsync();   // stdin stays open: closing it is how the helper learns to stop
            var line = await _helper.StandardOutput.ReadLineAsync();
            if (line == "ready")
                _ready = !_helper.HasExited;
            else
                Failure = $"lzma-resume exited before it was ready (exit code {(_helper.WaitForExit(1000) ? _helper.ExitCode : -1)})";
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            Failure = $"lzma-resume: {e.Message}";
        }
    }

    /// <summary>
    /// The raw LZMA1 stream of <paramref name="input"/>, or null when the helper cannot give it (not
    /// ready, stopped, or <paramref name="input"/> does not begin with <see cref="Prefix"/>).
    /// </summary>
    public byte[]? TryEncode(ReadOnlySpan<byte> input)
    {
        if (!Ready || input.Length < Prefix.Length || !input[..Prefix.Length].SequenceEqual(Prefix))
            return null;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(_endpoint);
            var tail = input[Prefix.Length..];
            Span<byte> header = stackalloc byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)tail.Length);
            socket.Send(header[..4]);
            socket.Send(tail);
            ReceiveExactly(socket, header);
            var status = BinaryPrimitives.ReadUInt32LittleEndian(header);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (status != 0 || length > (uint)input.Length * 2 + 65536)
            {
                Failure = $"lzma-resume answered status {status}, length {length}";
                return null;
            }
            var stream = new byte[length];
            ReceiveExactly(socket, stream);
            return stream;
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            Failure = $"lzma-resume: {e.Message}";
            return null;
        }
    }

    private static void ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var received = socket.Receive(buffer);
            if (received == 0)
                throw new IOException("the helper closed the connection early");
            buffer = buffer[received..];
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        try
        {
            _helper.StandardInput.Close();   // the helper stops on EOF
            if (!_helper.WaitForExit(2000))
                _helper.Kill();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
        }
        _helper.Dispose();
        try
        {
            Directory.Delete(_socketFolder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
