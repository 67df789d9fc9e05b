using System.Security.Cryptography;

namespace Bootstrap.Builder.Machines;

/// <summary>A status report a machine's OS or installer posts (state, progress, message; docs/machines.md).</summary>
public sealed record StatusReport(string State, int? Progress, string? Message);

/// <summary>
/// The rules of a machine's life (docs/machines.md), as functions from what a machine is and what
/// happened to what it becomes and the line its boot log gets. Nothing here stores, locks or
/// reads the clock: <see cref="MachineDirectory"/> applies them.
/// </summary>
public static class MachineLifecycle
{
    /// <summary>The most MACs one machine holds: a real server has a handful, and each report merges into the record (its cost grows with it).</summary>
    public const int MaxMacs = 64;

    /// <summary>Null when a machine with <paramref name="held"/> may also take <paramref name="added"/>, else the problem naming the bound.</summary>
    public static Problem? TooManyMacs(IEnumerable<string> held, IEnumerable<string> added) =>
        held.Concat(added).Distinct().Count() is var count && count > MaxMacs
            ? Problem.Invalid($"macs: a machine holds at most {MaxMacs} MAC addresses; this report would give it {count}")
            : null;

    /// <summary>A machine seen for the first time, keyed by its UUID when it told one, else by its first MAC.</summary>
    public static Machine Discovered(IReadOnlyList<string> macs, Facts facts, string? address, DateTimeOffset now) =>
        new(facts.Uuid != null ? $"uuid:{facts.Uuid}" : $"mac:{macs[0]}", macs.Distinct().ToList(), facts)
        {
            FirstSeen = now, LastSeen = now, FirstAddress = address, LastAddress = address, Asks = 1,
        };

    /// <summary>A discovered machine reporting again: new MACs added (<paramref name="freeMacs"/>: those no other machine holds), facts merged.</summary>
    public static Machine Reported(Machine discovered, IEnumerable<string> freeMacs, Facts facts, string? address, DateTimeOffset now) =>
        discovered with
        {
            Macs = discovered.Macs.Concat(freeMacs).Distinct().ToList(), Facts = Merge(discovered.Facts, facts),
            LastSeen = now, LastAddress = address, Asks = discovered.Asks + 1,
        };

    /// <summary>A discovered machine asking again with nothing new to say.</summary>
    public static Machine Polled(Machine discovered, string? address, DateTimeOffset now) =>
        discovered with { LastSeen = now, LastAddress = address, Asks = discovered.Asks + 1 };

    /// <summary>Facts a report adds to what is known: a UUID never changes once known; every other fact takes the newest value given.</summary>
    public static Facts Merge(Facts old, Facts reported) => new(
        old.Uuid ?? reported.Uuid, reported.Serial ?? old.Serial, reported.Manufacturer ?? old.Manufacturer, reported.Product ?? old.Product,
        reported.Asset ?? old.Asset, reported.Platform ?? old.Platform, reported.Arch ?? old.Arch, reported.InventoryJson ?? old.InventoryJson,
        reported.Ip ?? old.Ip);

    /// <summary>A machine (known, or met now by its MAC) given its job: a new random token replaces the old one, progress starts again.</summary>
    public static (Machine Machine, string Detail) Assigned(Machine? existing, string mac, Assignment assignment, DateTimeOffset now)
    {
        var machine = (existing ?? MetByMac(mac, now))
            with { State = MachineState.Assigned, Assignment = assignment, Token = NewToken(), Progress = 0, Message = null };
        var detail = assignment.Menu != null
            ? $"assigned menu={assignment.Menu} then={assignment.Then}"
            : $"assigned network={assignment.Network} farmer={assignment.Farmer ?? "-"} args={assignment.Args} " +
              $"kernel={assignment.Kernel ?? "-"} profile={assignment.Profile ?? "-"} then={assignment.Then}";
        return (machine, detail);
    }

    /// <summary>A machine (known, or met now by its MAC) with a new PXE setting (the caller checked it is one of <see cref="PxeSetting.All"/>).</summary>
    public static (Machine Machine, string Detail) WithPxe(Machine? existing, string mac, string setting, DateTimeOffset now) =>
        ((existing ?? MetByMac(mac, now)) with { Pxe = setting }, setting);

    /// <summary>A machine an operator names by its MAC before it ever asked: keyed by that MAC, nothing known of it yet.</summary>
    private static Machine MetByMac(string mac, DateTimeOffset now) => new($"mac:{mac}", [mac], new Facts()) { FirstSeen = now, LastSeen = now };

    /// <summary>Round again: back to discovered, its assignment and token gone, its facts and log kept.</summary>
    public static Machine Reset(Machine machine) =>
        machine with { State = MachineState.Discovered, Assignment = null, Token = null, Progress = 0, Message = null };

    /// <summary>What a status report makes of a machine (the caller checked its token and the report's fields), and its log line.</summary>
    public static (Machine Machine, string Detail) AfterReport(Machine current, StatusReport report, string? address, DateTimeOffset now)
    {
        var updated = report.State switch
        {
            "installed" => current with { State = MachineState.Installed, Progress = 100, Message = report.Message },
            "failed" => current with { State = MachineState.Failed, Message = report.Message },
            _ => current with { State = MachineState.Provisioning, Progress = report.Progress ?? current.Progress, Message = report.Message ?? current.Message },
        };
        updated = updated with { LastSeen = now, LastAddress = address ?? current.LastAddress };
        var detail = report.State + (report.Progress is { } p ? $" {p}%" : "") + (report.Message is { } msg ? $": {msg}" : "");
        return (updated, detail);
    }

    /// <summary>
    /// A boot script went to the machine: an assigned machine (or an installed one that repeats its
    /// job) is now provisioning. Null when nothing worth writing changed: a machine asking many
    /// times a second changes its record once a second (last seen is kept to the second).
    /// </summary>
    public static Machine? AfterScript(Machine current, string? address, DateTimeOffset now)
    {
        var state = current.State is MachineState.Assigned || (current.State == MachineState.Installed && !current.BootsLocalDisk)
            ? MachineState.Provisioning
            : current.State;
        if (state == current.State && address == current.LastAddress && now - current.LastSeen < TimeSpan.FromSeconds(1))
            return null;
        return current with { State = state, LastSeen = now, LastAddress = address ?? current.LastAddress };
    }

    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
