using System.Collections.Concurrent;

namespace Bootstrap.Builder.Machines;

/// <summary>
/// The phases of one network boot, in order, and how long each took: from the PXE server's answer
/// (<c>offer</c>) to the boot program's transfer (<c>tftp</c>: its own duration, measured by the
/// TFTP server), the script (<c>script</c>), the kernel fetch (<c>kernel</c>) and the OS's first
/// status report (<c>status</c>). Each phase's time is the time since the phase before it in the
/// same boot; a boot that skips phases (no PXE: an image) starts at the first it has.
/// </summary>
public sealed class BootTimeline(Action<string, double>? record)
{
    public const string Offer = "offer", Tftp = "tftp", Script = "script", Kernel = "kernel", Status = "status";
    private static readonly string[] Order = [Offer, Tftp, Script, Kernel, Status];

    /// <summary>Longer than this between two phases is two boots, not one slow phase.</summary>
    public static readonly TimeSpan SameBoot = TimeSpan.FromHours(1);

    private const int MaxMachines = 100_000;
    private readonly ConcurrentDictionary<string, (int Phase, DateTimeOffset At)> _last = new();

    /// <summary>
    /// <paramref name="machineId"/> reached <paramref name="phase"/> at <paramref name="at"/>; the time
    /// since its previous phase is recorded unless <paramref name="measured"/> (the phase timed itself).
    /// </summary>
    public void Mark(string machineId, string phase, DateTimeOffset at, bool measured = false)
    {
        var index = Array.IndexOf(Order, phase);
        if (index < 0)
            throw new ArgumentException($"no boot phase '{phase}'", nameof(phase));
        if (_last.TryGetValue(machineId, out var previous) && previous.Phase < index && at - previous.At is var took
            && took >= TimeSpan.Zero && took < SameBoot && !measured)
            record?.Invoke(phase, took.TotalSeconds);
        // A phase again (the same or an earlier one) is a new boot: it starts here.
        if (_last.Count >= MaxMachines)
            _last.Clear();   // a bound: boots under way then lose one phase's time
        _last[machineId] = (index, at);
    }
}
