using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Bootstrap.Tests.Support;

/// <summary>
/// The machine behind <see cref="RedfishEmulator"/>: a QEMU guest driven through QMP (QEMU's
/// machine protocol, on a Unix socket). Power on starts QEMU paused with an empty CD drive, puts
/// the inserted image in through <c>blockdev-change-medium</c> and lets it run (<c>cont</c>),
/// booting the override's device once; an image inserted while it runs goes in the same way;
/// power off is <c>quit</c>. Its serial console is <see cref="Serial"/>.
/// </summary>
public sealed class QemuChassis(Firmware firmware, int servicePort, Qemu.Options options) : IRedfishChassis, IAsyncDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("bootstrap-chassis-").FullName;
    private Process? _qemu;
    private Qmp? _qmp;
    private string? _image;

    public bool On => _qemu is { HasExited: false };

    public string Serial => File.Exists(Path.Combine(_work, "serial.log")) ? File.ReadAllText(Path.Combine(_work, "serial.log")) : "";

    /// <summary>The first serial line matching <paramref name="wanted"/>; fails with the console on timeout.</summary>
    public Task<string> WaitForSerialAsync(System.Text.RegularExpressions.Regex wanted, TimeSpan timeout) => SerialLog.WaitForAsync(() => Serial, wanted, timeout);

    public async Task PowerOnAsync(string? bootTarget)
    {
        var (args, _) = Qemu.Guest.Arguments(firmware, Qemu.NetworkOnly, servicePort, options with { BootOrder = null }, _work);
        var socket = Path.Combine(_work, "qmp.sock");
        args.AddRange(["-S", "-qmp", $"unix:{socket},server=on,wait=off",
            "-drive", "if=none,id=cd0,media=cdrom,readonly=on", "-device", "ide-cd,drive=cd0,id=cd",
            "-boot", bootTarget switch { "Cd" => "once=d", "Pxe" => "once=n", _ => "order=c" }]);
        var start = new ProcessStartInfo("qemu-system-x86_64", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        _qemu = Process.Start(start)!;
        _qemu.OutputDataReceived += (_, _) => { };
        _qemu.ErrorDataReceived += (_, _) => { };
        _qemu.BeginOutputReadLine();
        _qemu.BeginErrorReadLine();
        _qmp = await Qmp.ConnectAsync(socket, TimeSpan.FromSeconds(10));
        if (_image != null)
            await InsertAsync(_image);
        await _qmp.ExecuteAsync("cont");
    }

    public async Task PowerOffAsync()
    {
        if (_qmp != null && On)
            await _qmp.ExecuteAsync("quit");
        await StoppedAsync();
    }

    public async Task MediaChangedAsync(string? imageFile)
    {
        _image = imageFile;
        if (!On || _qmp == null)
            return;
        if (imageFile == null)
            await _qmp.ExecuteAsync("eject", new JsonObject { ["id"] = "cd", ["force"] = true });
        else
            await InsertAsync(imageFile);
    }

    private Task InsertAsync(string imageFile) =>
        _qmp!.ExecuteAsync("blockdev-change-medium", new JsonObject
        {
            ["id"] = "cd", ["filename"] = imageFile, ["format"] = "raw", ["read-only-mode"] = "read-only",
        });

    private async Task StoppedAsync()
    {
        _qmp?.Dispose();
        _qmp = null;
        if (_qemu != null)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _qemu.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _qemu.Kill(entireProcessTree: true);
            }
            _qemu.Dispose();
            _qemu = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (On)
            _qemu!.Kill(entireProcessTree: true);
        await StoppedAsync();
        Directory.Delete(_work, recursive: true);
    }

    /// <summary>A QMP connection: the greeting, qmp_capabilities, then one command at a time, events skipped.</summary>
    private sealed class Qmp : IDisposable
    {
        private readonly Socket _socket;
        private readonly StreamReader _reader;
        private readonly NetworkStream _stream;

        private Qmp(Socket socket)
        {
            _socket = socket;
            _stream = new NetworkStream(socket);
            _reader = new StreamReader(_stream, Encoding.UTF8);
        }

        public static async Task<Qmp> ConnectAsync(string path, TimeSpan within)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
                    var qmp = new Qmp(socket);
                    await qmp._reader.ReadLineAsync();   // {"QMP": {"version": ...}}
                    await qmp.ExecuteAsync("qmp_capabilities");
                    return qmp;
                }
                catch (SocketException) when (clock.Elapsed < within)
                {
                    socket.Dispose();
                    await Task.Delay(100);
                }
            }
        }

        public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments = null)
        {
            var request = new JsonObject { ["execute"] = command };
            if (arguments != null)
                request["arguments"] = arguments;
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"));
            while (await _reader.ReadLineAsync() is { } line)
            {
                var answer = JsonNode.Parse(line);
                if (answer?["return"] is { } value)
                    return value;
                if (answer?["error"] is { } error)
                    throw new InvalidOperationException($"QMP {command}: {error["desc"]}");
            }
            return null;   // quit: QEMU closed the socket
        }

        public void Dispose()
        {
            _reader.Dispose();
            _stream.Dispose();
            _socket.Dispose();
        }
    }
}
