namespace Bootstrap.Builder.Machines;

/// <summary>Where a machine is in its life (docs/machines.md).</summary>
public static class MachineState
{
    public const string Discovered = "discovered";
    public const string Assigned = "assigned";
    public const string Provisioning = "provisioning";
    public const string Installed = "installed";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Discovered, Assigned, Provisioning, Installed, Failed];
}

/// <summary>What an assigned machine does after <c>installed</c>: boot the assignment again, or its own disk.</summary>
public static class ThenBoot
{
    public const string Repeat = "repeat";
    public const string Local = "local";

    public static readonly IReadOnlyList<string> All = [Repeat, Local];
}

/// <summary>What a machine told us about itself: iPXE's SMBIOS values, or a discovery OS's inventory. Already neutralised (<see cref="MachineFacts"/>).</summary>
public sealed record Facts(
    string? Uuid = null, string? Serial = null, string? Manufacturer = null, string? Product = null,
    string? Asset = null, string? Platform = null, string? Arch = null, string? InventoryJson = null, string? Ip = null);

/// <summary>
/// The job given to a machine: what the original's provision table held, plus a profile, a host
/// name and what to do once installed; or a boot menu (<see cref="Menu"/>; Network is then empty).
/// </summary>
public sealed record Assignment(
    string Network, string? Farmer, string Args, string? Kernel, string? Profile, string? Hostname, string Then, string? Menu = null);

/// <summary>One machine: its identity, its MACs (first reported first), what it told us, its job and its progress.</summary>
public sealed record Machine(
    string Id,
    IReadOnlyList<string> Macs,
    Facts Facts,
    string State,
    Assignment? Assignment,
    string? Token,
    int Progress,
    string? Message,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string? FirstAddress,
    string? LastAddress,
    long Asks)
{
    /// <summary>The MAC the machine is addressed by in URLs: its first.</summary>
    public string Mac => Macs[0];

    /// <summary>True when the next boot goes to the local disk rather than to the assignment.</summary>
    public bool BootsLocalDisk => State == MachineState.Installed && Assignment?.Then == ThenBoot.Local;
}

/// <summary>One line of a machine's boot log.</summary>
public sealed record MachineEvent(long Id, DateTimeOffset At, string Kind, string Detail, string? Address);

/// <summary>A named, reusable assignment with an optional answer-file template (Liquid).</summary>
public sealed record Profile(
    string Name, string Network, string? Farmer, string Args, string? Kernel, string Then, string? AnswerTemplate, DateTimeOffset Updated);
