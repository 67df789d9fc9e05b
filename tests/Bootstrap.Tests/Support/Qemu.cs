using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Bootstrap.Tests.Support;

/// <summary>
/// SeaBIOS, OVMF, or OVMF with Secure Boot on: with Microsoft's keys enrolled (as servers are
/// delivered) or with Debian's test key <c>PkKek-1-snakeoil</c> in <c>db</c> (a site key's stand-in);
/// or, on QEMU's aarch64 <c>virt</c> machine, AAVMF (EDK2 for ARM64, Debian's qemu-efi-aarch64).
/// </summary>
public enum Firmware { Bios, Uefi, SecureBootMicrosoft, SecureBootSnakeoil, Arm64Uefi }

/// <summary>
/// Boots a disk or CD image in QEMU (TCG: no KVM here) with a NIC whose only way out is a
/// guestfwd from 10.0.2.100:80 to the service on 127.0.0.1 (<c>restrict=on</c>: nothing else is
/// reachable), and waits for a line on the guest's serial console.
/// </summary>
public static partial class Qemu
{
    public const string ServiceAddress = "10.0.2.100";

    /// <summary>The line a Linux kernel prints with its command line: what every boot proof waits for.</summary>
    [GeneratedRegex(@"Kernel command line: [^\r\n]*")]
    public static partial Regex KernelCommandLine();

    /// <summary>What to boot: a CD, a disk (or <c>fat:rw:DIR</c>), or a Linux-format kernel file (<c>-kernel</c>, BIOS only).</summary>
    public sealed record Media(string Path, bool AsCdrom, bool AsKernel = false);

    /// <summary>Nothing to boot from but the network (the firmware's PXE, or the NIC's own ROM).</summary>
    public static readonly Media NetworkOnly = new("", AsCdrom: false);

    /// <summary>
    /// A network card of the guest: its QEMU model and, if given, its MAC (QEMU's default is
    /// 52:54:00:12:34:56). <paramref name="Rom"/>: keep the card's option ROM (QEMU's iPXE); without
    /// it the firmware's own network stack drives the card.
    /// </summary>
    public sealed record Nic(string Model = "e1000", string? Mac = null, bool Rom = false);

    /// <summary>What else the guest has: NICs (default one e1000), extra QEMU arguments (-uuid, -smbios), extra disks, a boot order.</summary>
    /// <param name="Keyboard">The serial console also takes input (<see cref="Guest.TypeAsync"/>): a socket QEMU listens on, logged to the same file.</param>
    /// <param name="HttpsPort">Also forward the guest's 10.0.2.100:443 to this port on 127.0.0.1 (the service's HTTPS listener).</param>
    /// <param name="Tftp">QEMU's own TFTP server (inside the user network) serves this folder and DHCP names this boot file, for the firmware's PXE.</param>
    /// <param name="Lan">Instead of user networking, the first NIC plugs into this network's tap (QEMU runs inside its namespace).</param>
    public sealed record Options(IReadOnlyList<Nic>? Nics = null, IReadOnlyList<string>? ExtraArgs = null, IReadOnlyList<string>? Disks = null,
        string? BootOrder = null, int MemoryMiB = 512, bool Keyboard = false, int? HttpsPort = null, (string Folder, string BootFile)? Tftp = null,
        LanNetwork? Lan = null);

    /// <summary>A QEMU FAT drive (<c>fat:rw:DIR</c>) whose removable-media boot file, EFI/BOOT/<paramref name="bootFile"/>, is <paramref name="efi"/>; <paramref name="files"/> go to its root.</summary>
    public static string FatDriveWith(string efi, string bootFile = "BOOTX64.EFI", IReadOnlyDictionary<string, string>? files = null)
    {
        var folder = Directory.CreateTempSubdirectory("bootstrap-esp-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "EFI", "BOOT"));
        File.Copy(efi, Path.Combine(folder, "EFI", "BOOT", bootFile));
        foreach (var (name, text) in files ?? new Dictionary<string, string>())
            File.WriteAllText(Path.Combine(folder, name), text);
        return $"fat:rw:{folder}";
    }

    /// <summary>The QEMU program of the firmware's architecture.</summary>
    public static string Program(Firmware firmware) => firmware == Firmware.Arm64Uefi ? "qemu-system-aarch64" : "qemu-system-x86_64";

    /// <summary>Returns the first serial line matching <paramref name="wanted"/>; fails with the serial log on timeout.</summary>
    public static async Task<string> BootUntilAsync(Firmware firmware, Media media, int servicePort, Regex wanted, TimeSpan timeout, string nic = "e1000")
    {
        await using var guest = Guest.Start(firmware, media, servicePort, new Options([new Nic(nic)]));
        return await guest.WaitForAsync(wanted, timeout);
    }

    /// <summary>A running guest: the test waits for lines on its serial console while it acts on the service.</summary>
    public sealed class Guest : IAsyncDisposable
    {
        private readonly Process _qemu;
        private readonly string _work;
        private readonly string _serial;
        private readonly Task<string> _stderr;
        private readonly Firmware _firmware;
        private readonly Media _media;

        private Guest(Process qemu, string work, string serial, Firmware firmware, Media media)
        {
            (_qemu, _work, _serial, _firmware, _media) = (qemu, work, serial, firmware, media);
            _stderr = qemu.StandardError.ReadToEndAsync();
        }

        public static Guest Start(Firmware firmware, Media media, int servicePort, Options? options = null)
        {
            options ??= new Options();
            var work = Directory.CreateTempSubdirectory("bootstrap-qemu-").FullName;
            var (args, serial) = Arguments(firmware, media, servicePort, options, work);
            var start = options.Lan?.Inside(Program(firmware), args) ?? new ProcessStartInfo(Program(firmware), args);
            start.RedirectStandardOutput = start.RedirectStandardError = true;
            var qemu = Process.Start(start)!;
            return new Guest(qemu, work, serial, firmware, media);
        }

        /// <summary>QEMU's arguments for a guest whose files (serial log, firmware variables) are in <paramref name="work"/>, and its serial log's path.</summary>
        public static (List<string> Args, string Serial) Arguments(Firmware firmware, Media media, int servicePort, Options options, string work)
        {
            var serial = Path.Combine(work, "serial.log");
            var args = new List<string>
            {
                "-m", options.MemoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture), "-display", "none", "-no-reboot", "-monitor", "none",
            };
            args.AddRange(options.Keyboard
                ? ["-chardev", $"socket,id=console,path={Path.Combine(work, "serial.sock")},server=on,wait=off,logfile={serial}", "-serial", "chardev:console"]
                : ["-serial", $"file:{serial}"]);
            var nics = options.Nics ?? [new Nic()];
            for (var i = 0; i < nics.Count; i++)
                args.AddRange([
                    "-netdev", options.Lan != null && i == 0 ? $"tap,id=n0,ifname={LanNetwork.Tap},script=no,downscript=no" : $"user,id=n{i},restrict=on,guestfwd=tcp:{ServiceAddress}:80-cmd:socat - TCP:127.0.0.1:{servicePort}"
                               + (options.HttpsPort is { } https ? $",guestfwd=tcp:{ServiceAddress}:443-cmd:socat - TCP:127.0.0.1:{https}" : "")
                               + (options.Tftp is { } tftp ? $",tftp={tftp.Folder},bootfile={tftp.BootFile}" : ""),
                    "-device", $"{nics[i].Model},netdev=n{i}" + (nics[i].Rom ? "" : ",romfile=") + (nics[i].Mac is { } mac ? $",mac={mac}" : ""),
                ]);
            if (firmware is Firmware.SecureBootMicrosoft or Firmware.SecureBootSnakeoil)
            {
                // Secure Boot needs SMM and a secure flash: the variables cannot be changed behind the firmware.
                var vars = Path.Combine(work, "OVMF_VARS.fd");
                File.Copy(firmware == Firmware.SecureBootMicrosoft ? "/usr/share/OVMF/OVMF_VARS_4M.ms.fd" : "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd", vars);
                args.AddRange(["-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on",
                               "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",
                               "-drive", $"if=pflash,format=raw,file={vars}"]);
            }
            if (firmware == Firmware.Arm64Uefi)
            {
                // TCG emulates a Cortex-A57; the variable store is copied per boot, as for OVMF.
                var vars = Path.Combine(work, "AAVMF_VARS.fd");
                File.Copy("/usr/share/AAVMF/AAVMF_VARS.fd", vars);
                args.AddRange(["-M", "virt", "-cpu", "cortex-a57",
                               "-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd",
                               "-drive", $"if=pflash,format=raw,file={vars}"]);
            }
            if (firmware == Firmware.Uefi)
            {
                // A fresh copy of the variable store each boot: old boot entries would change what OVMF tries first.
                var vars = Path.Combine(work, "OVMF_VARS.fd");
                File.Copy("/usr/share/OVMF/OVMF_VARS_4M.fd", vars);
                args.AddRange(["-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                               "-drive", $"if=pflash,format=raw,file={vars}"]);
            }
            // The virt machine has no IDE: its disks and CD drives hang off virtio.
            if (firmware == Firmware.Arm64Uefi && media.Path.Length > 0)
                args.AddRange(media.AsCdrom
                    ? ["-device", "virtio-scsi-pci", "-device", "scsi-cd,drive=cd", "-drive", $"if=none,id=cd,file={media.Path},media=cdrom,readonly=on"]
                    : ["-device", "virtio-blk-pci,drive=d0", "-drive", media.Path.StartsWith("fat:") ? $"if=none,id=d0,file={media.Path},format=raw" : $"if=none,id=d0,file={media.Path},format=raw,snapshot=on"]);
            else
                args.AddRange(media.Path.Length == 0 ? []
                    : media.AsKernel ? ["-kernel", media.Path]
                    : media.AsCdrom ? ["-cdrom", media.Path]
                    : ["-drive", media.Path.StartsWith("fat:") ? $"file={media.Path},format=raw" : $"file={media.Path},format=raw,snapshot=on"]);
            foreach (var disk in options.Disks ?? [])
                args.AddRange(["-drive", $"file={disk},format=raw,snapshot=on"]);
            if (options.BootOrder != null)
                args.AddRange(["-boot", $"order={options.BootOrder}"]);
            args.AddRange(options.ExtraArgs ?? []);
            return (args, serial);
        }

        /// <summary>
        /// Types <paramref name="text"/> on the serial console (Options.Keyboard), a key at a time as a
        /// person would: the emulated UART holds only a few characters. The console is connected only
        /// while typing. QEMU writes the guest's output to a connected socket one byte per send, so a
        /// few hundred unread bytes fill it; its UART then drops characters (a CI run lost part of the
        /// kernel's command line that way). So a thread of its own, not the busy thread pool, drains
        /// the socket while it is connected, and once disconnected QEMU only writes the log file.
        /// </summary>
        public async Task TypeAsync(string text)
        {
            using var console = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            await console.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(_work, "serial.sock")));
            var drain = new Thread(() =>
            {
                var buffer = new byte[65536];
                try
                {
                    while (console.Receive(buffer) > 0)
                    {
                    }
                }
                catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException)
                {
                }
            }) { IsBackground = true, Name = "qemu-console-drain" };
            drain.Start();
            foreach (var key in System.Text.Encoding.ASCII.GetBytes(text))
            {
                await console.SendAsync(new[] { key });
                await Task.Delay(30);
            }
            await Task.Delay(300);   // QEMU reads what was sent before it sees the socket close
            console.Shutdown(System.Net.Sockets.SocketShutdown.Both);
            drain.Join();
        }

        /// <summary>Everything the guest wrote on its serial console so far.</summary>
        public string Serial => File.Exists(_serial) ? File.ReadAllText(_serial) : "";

        /// <summary>The first serial line matching <paramref name="wanted"/>; fails with the serial log on timeout or exit.</summary>
        public async Task<string> WaitForAsync(Regex wanted, TimeSpan timeout)
        {
            var deadline = Stopwatch.StartNew();
            while (deadline.Elapsed < timeout)
            {
                if (wanted.Match(Serial) is { Success: true } m)
                    return m.Value.TrimEnd('\r');
                if (_qemu.HasExited)
                    break;
                await Task.Delay(250);
            }
            throw Failure($"showed no '{wanted}'", deadline.Elapsed);
        }

        /// <summary>Waits for the guest to end by itself (with -no-reboot, a reboot ends QEMU).</summary>
        public async Task WaitForExitAsync(TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await _qemu.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw Failure("did not end", timeout);
            }
        }

        /// <summary>Fails the test with the guest's serial log (for waits on the service's side).</summary>
        public Exception Failure(string what, TimeSpan after)
        {
            var tail = Serial is { Length: > 0 } log ? log : "(no serial output)";
            return new Xunit.Sdk.XunitException(
                $"{_firmware} boot of {_media.Path} ({(_media.AsCdrom ? "CD" : "disk")}) {what} in {after.TotalSeconds:F0} s" +
                $"{(_qemu.HasExited ? $", QEMU exited {_qemu.ExitCode}" : "")}\nserial:\n{tail[^Math.Min(tail.Length, 3000)..]}" +
                $"\nqemu: {(_qemu.HasExited && _stderr.IsCompleted ? _stderr.Result : "")}");
        }

        public async ValueTask DisposeAsync()
        {
            if (!_qemu.HasExited)
                _qemu.Kill(entireProcessTree: true);
            await _qemu.WaitForExitAsync();
            _qemu.Dispose();
            Directory.Delete(_work, recursive: true);
        }
    }
}
