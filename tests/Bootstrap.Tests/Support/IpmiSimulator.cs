using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Bootstrap.Tests.Support;

/// <summary>
/// Debian's OpenIPMI simulator (<c>ipmi_sim</c>) as a real IPMI v2.0 LAN BMC on 127.0.0.1, with
/// one administrator. Its chassis is a small program of ours (ipmi_sim's <c>chassis_control</c>:
/// it runs <c>PROGRAM 0x20 get power boot</c> and <c>PROGRAM 0x20 set power 1</c>, ...) that keeps
/// the machine's power and boot device in files and logs every change it was asked for.
/// </summary>
public sealed class IpmiSimulator : IDisposable
{
    public const string User = "admin";
    public const string Password = "s3cret-Pa55";

    private readonly string _folder;
    private readonly Process _process;

    private IpmiSimulator(string folder, int port, Process process)
    {
        (_folder, Port, _process) = (folder, port, process);
    }

    public int Port { get; }

    /// <summary>What the chassis holds: power "0" or "1", and the boot device ipmi_sim set.</summary>
    public string Power => Read("power", "0");

    public string Boot => Read("boot", "default");

    /// <summary>Every "set" the BMC asked of the chassis, in order ("power 1", "boot pxe").</summary>
    public IReadOnlyList<string> Changes => File.Exists(Path.Combine(_folder, "changes")) ? File.ReadAllLines(Path.Combine(_folder, "changes")) : [];

    public static IpmiSimulator Start()
    {
        var folder = Directory.CreateTempSubdirectory("bootstrap-bmc-").FullName;
        var port = FreeUdpPort();
        var chassis = Path.Combine(folder, "chassis");
        File.WriteAllText(chassis, $$"""
            #!/bin/sh
            # ipmi_sim's chassis_control: "get power boot" answers "name:value" lines; "set NAME VALUE ..." changes them.
            dir='{{folder}}'
            shift   # the BMC's address, 0x20
            verb=$1; shift
            if [ "$verb" = get ]; then
                for name in "$@"; do
                    case $name in
                        power) echo "power:$(cat "$dir/power" 2>/dev/null || echo 0)" ;;
                        boot) echo "boot:$(cat "$dir/boot" 2>/dev/null || echo default)" ;;
                    esac
                done
            else
                while [ $# -ge 2 ]; do echo "$2" >"$dir/$1"; echo "$1 $2" >>"$dir/changes"; shift 2; done
            fi

            """);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(chassis, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(folder, "lan.conf"), $"""
            name "bootstrap-test"
            set_working_mc 0x20
              startlan 1
                addr 127.0.0.1 {port}
                priv_limit admin
                allowed_auths_callback none
                allowed_auths_user md5
                allowed_auths_operator md5
                allowed_auths_admin md5
                guid {Guid.NewGuid():N}
              endlan
              chassis_control "{chassis} 0x20"
            user 2 true "{User}" "{Password}" admin 10 md5

            """);
        File.WriteAllText(Path.Combine(folder, "bmc.emu"), """
            mc_setbmc 0x20
            mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
            sel_enable 0x20 1000 0x0a
            mc_enable 0x20

            """);
        Directory.CreateDirectory(Path.Combine(folder, "state"));
        var start = new ProcessStartInfo("ipmi_sim", ["-c", Path.Combine(folder, "lan.conf"), "-f", Path.Combine(folder, "bmc.emu"),
            "-s", Path.Combine(folder, "state"), "-n"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var simulator = new IpmiSimulator(folder, port, process);
        simulator.AwaitListening();
        return simulator;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private void AwaitListening()
    {
        var clock = Stopwatch.StartNew();
        while (!Listening())
        {
            if (_process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                Dispose();
                throw new InvalidOperationException($"ipmi_sim did not listen on UDP 127.0.0.1:{Port}");
            }
            Thread.Sleep(50);
        }
    }

    // /proc/net/udp lists bound sockets by hexadecimal local address:port (127.0.0.1 is 0100007F).
    private bool Listening() => File.ReadLines("/proc/net/udp").Any(line => line.Contains($" 0100007F:{Port:X4} "));

    private string Read(string name, string otherwise)
    {
        var path = Path.Combine(_folder, name);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : otherwise;
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
