using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Bootstrap.Tests.Support;

public enum Firmware { Bios, Uefi }

/// <summary>
/// Boots a disk or CD image in QEMU (TCG: no KVM here) with a NIC whose only way out is a
/// guestfwd from 10.0.2.100:80 to the service on 127.0.0.1 (<c>restrict=on</c>: nothing else is
/// reachable), and waits for a line on the guest's serial console.
/// </summary>
public static class Qemu
{
    public const string ServiceAddress = "10.0.2.100";

    /// <summary>What to boot: a CD, a disk (or <c>fat:rw:DIR</c>), or a Linux-format kernel file (<c>-kernel</c>, BIOS only).</summary>
    public sealed record Media(string Path, bool AsCdrom, bool AsKernel = false);

    /// <summary>Returns the first serial line matching <paramref name="wanted"/>; fails with the serial log on timeout.</summary>
    public static async Task<string> BootUntilAsync(Firmware firmware, Media media, int servicePort, Regex wanted, TimeSpan timeout, string nic = "e1000")
    {
        var work = Directory.CreateTempSubdirectory("bootstrap-qemu-").FullName;
        var serial = Path.Combine(work, "serial.log");
        var args = new List<string>
        {
            "-m", "512", "-display", "none", "-no-reboot", "-monitor", "none",
            "-serial", $"file:{serial}",
            "-netdev", $"user,id=n0,restrict=on,guestfwd=tcp:{ServiceAddress}:80-cmd:socat - TCP:127.0.0.1:{servicePort}",
            "-device", $"{nic},netdev=n0,romfile=",
        };
        if (firmware == Firmware.Uefi)
        {
            // A fresh copy of the variable store each boot: old boot entries would change what OVMF tries first.
            var vars = Path.Combine(work, "OVMF_VARS.fd");
            File.Copy("/usr/share/OVMF/OVMF_VARS_4M.fd", vars);
            args.AddRange(["-drive", "if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                           "-drive", $"if=pflash,format=raw,file={vars}"]);
        }
        args.AddRange(media.AsKernel ? ["-kernel", media.Path]
            : media.AsCdrom ? ["-cdrom", media.Path]
            : ["-drive", media.Path.StartsWith("fat:") ? $"file={media.Path},format=raw" : $"file={media.Path},format=raw,snapshot=on"]);

        using var qemu = Process.Start(new ProcessStartInfo("qemu-system-x86_64", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stderr = qemu.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        try
        {
            while (deadline.Elapsed < timeout)
            {
                var log = File.Exists(serial) ? await File.ReadAllTextAsync(serial) : "";
                if (wanted.Match(log) is { Success: true } m)
                    return m.Value.TrimEnd('\r');
                if (qemu.HasExited)
                    break;
                await Task.Delay(250);
            }
            var tail = File.Exists(serial) ? await File.ReadAllTextAsync(serial) : "(no serial output)";
            throw new Xunit.Sdk.XunitException(
                $"{firmware} boot of {media.Path} ({(media.AsCdrom ? "CD" : "disk")}) showed no '{wanted}' in {deadline.Elapsed.TotalSeconds:F0} s" +
                $"{(qemu.HasExited ? $", QEMU exited {qemu.ExitCode}" : "")}\nserial:\n{tail[^Math.Min(tail.Length, 3000)..]}\nqemu: {(qemu.HasExited ? await stderr : "")}");
        }
        finally
        {
            if (!qemu.HasExited)
                qemu.Kill(entireProcessTree: true);
            await qemu.WaitForExitAsync();
            Directory.Delete(work, recursive: true);
        }
    }
}
