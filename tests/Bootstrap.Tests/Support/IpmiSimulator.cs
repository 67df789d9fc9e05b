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

    public static IpmiSimulator Start() => Start(null, null);

    /// <summary>
    /// A BMC whose chassis is a QEMU guest in <paramref name="lan"/>'s namespace (ipmi_sim runs there,
    /// on its 127.0.0.1): power on starts the guest with <c>-daemonize</c>, booting the network after
    /// <c>chassis bootdev pxe</c>, the CD after <c>bootdev cdrom</c>, else its disk; power off kills it.
    /// The guest's serial console is <see cref="Serial"/>.
    /// </summary>
    public static IpmiSimulator StartWithGuest(LanNetwork lan, Firmware firmware, Qemu.Options options) => Start(lan, (firmware, options));

    private static IpmiSimulator Start(LanNetwork? lan, (Firmware Firmware, Qemu.Options Options)? guest)
    {
        var folder = Directory.CreateTempSubdirectory("bootstrap-bmc-").FullName;
        var port = FreeUdpPort();
        var chassis = Path.Combine(folder, "chassis");
        // The machine's power: a file for a chassis without a guest; for one with, whether QEMU runs (a killed
        // daemonized QEMU can linger as a zombie, State Z, until something reaps it: that is off).
        var power = guest is not var (firmware, options)
            ? """
              alive() { [ "$(cat "$dir/power" 2>/dev/null)" = 1 ]; }
              power_on() { :; }
              power_off() { :; }
              """
            : $$"""
              alive() {
                  pid=$(cat "$dir/qemu.pid" 2>/dev/null) || return 1
                  [ -n "$pid" ] && grep -q '^State:[[:space:]]*[^Z[:space:]]' "/proc/$pid/status" 2>/dev/null
              }
              power_on() {
                  case $(cat "$dir/boot" 2>/dev/null) in pxe) order=n ;; cdrom) order=d ;; *) order=c ;; esac
                  rm -f "$dir/qemu.pid"
                  qemu-system-x86_64 {{string.Join(' ', Qemu.Guest.Arguments(firmware, Qemu.NetworkOnly, 0, options with { BootOrder = null }, folder).Args.Select(Quoted))}} \
                      -boot "order=$order" -daemonize -pidfile "$dir/qemu.pid" </dev/null >>"$dir/qemu.log" 2>&1
              }
              power_off() { if alive; then kill "$pid"; fi; rm -f "$dir/qemu.pid"; }
              """;
        File.WriteAllText(chassis, $$"""
            #!/bin/sh
            # ipmi_sim's chassis_control: "get power boot" answers "name:value" lines; "set NAME VALUE ..." changes them.
            dir='{{folder}}'
            {{power}}
            shift   # the BMC's address, 0x20
            verb=$1; shift
            if [ "$verb" = get ]; then
                for name in "$@"; do
                    case $name in
                        power) if alive; then echo power:1; else echo power:0; fi ;;
                        boot) echo "boot:$(cat "$dir/boot" 2>/dev/null || echo default)" ;;
                    esac
                done
            else
                while [ $# -ge 2 ]; do
                    echo "$1 $2" >>"$dir/changes"
                    case "$1 $2" in
                        "power 1") alive || power_on ;;
                        "power 0") power_off ;;
                    esac
                    echo "$2" >"$dir/$1"
                    shift 2
                done
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
        string[] args = ["-c", Path.Combine(folder, "lan.conf"), "-f", Path.Combine(folder, "bmc.emu"), "-s", Path.Combine(folder, "state"), "-n"];
        var start = lan?.Inside("ipmi_sim", args) ?? new ProcessStartInfo("ipmi_sim", args);
        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var simulator = new IpmiSimulator(folder, port, process);
        simulator.AwaitListening();
        return simulator;
    }

    /// <summary>The guest's serial console so far (<see cref="StartWithGuest"/>).</summary>
    public string Serial => Read("serial.log", "");

    /// <summary>The first line of the guest's serial console matching <paramref name="wanted"/>; fails with the console on timeout.</summary>
    public Task<string> WaitForSerialAsync(System.Text.RegularExpressions.Regex wanted, TimeSpan timeout) =>
        SerialLog.WaitForAsync(() => Serial, wanted, timeout, () => $"qemu: {Read("qemu.log", "")}\nchassis: {string.Join(", ", Changes)}");

    public void Dispose()
    {
        // A guest runs on its own (daemonized), outside ipmi_sim's process tree.
        if (int.TryParse(Read("qemu.pid", ""), out var guest))
        {
            try
            {
                using var qemu = Process.GetProcessById(guest);
                qemu.Kill();
                qemu.WaitForExit(5000);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // already gone
            }
        }
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

    // /proc/PID/net/udp lists the sockets of the process's network namespace by hexadecimal local address:port (127.0.0.1 is 0100007F).
    private bool Listening() => File.ReadLines($"/proc/{_process.Id}/net/udp").Any(line => line.Contains($" 0100007F:{Port:X4} "));

    private string Read(string name, string otherwise)
    {
        var path = Path.Combine(_folder, name);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : otherwise;
    }

    private static string Quoted(string arg) => "'" + arg.Replace("'", "'\\''") + "'";

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
