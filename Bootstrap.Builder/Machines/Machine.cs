using System.Text.Json.Serialization;

namespace Bootstrap.Builder.Machines;

/// <summary>
/// Where a machine is in its life (docs/machines.md): discovered until assigned, provisioning once
/// it fetched its script, then installed or failed. Written as its lowercase name in the database,
/// the API and the pages.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<MachineState>))]
public enum MachineState
{
    [JsonStringEnumMemberName("discovered")] Discovered,
    [JsonStringEnumMemberName("assigned")] Assigned,
    [JsonStringEnumMemberName("provisioning")] Provisioning,
    [JsonStringEnumMemberName("installed")] Installed,
    [JsonStringEnumMemberName("failed")] Failed,
}

public static class MachineStates
{
    public static readonly IReadOnlyList<MachineState> All = Enum.GetValues<MachineState>();

    /// <summary>The state's name as the database, the API and the pages write it.</summary>
    public static string Name(this MachineState state) => state.ToString().ToLowerInvariant();

    public static IReadOnlyList<string> Names => All.Select(Name).ToList();

    /// <summary>The state a name stands for, or null (a name is matched exactly, lowercase).</summary>
    public static MachineState? Parse(string? name) => All.Cast<MachineState?>().FirstOrDefault(s => s!.Value.Name() == name);
}

/// <summary>What an assigned machine does after <c>installed</c>: boot the assignment again, or its own disk.</summary>
public static class ThenBoot
{
    public const string Repeat = "repeat";
    public const string Local = "local";

    public static readonly IReadOnlyList<string> All = [Repeat, Local];
}

/// <summary>What the built-in PXE server does for a machine (docs/pxe.md).</summary>
public static class PxeSetting
{
    /// <summary>Answer as the decision table says.</summary>
    public const string Answer = "answer";
    /// <summary>Never answer it: another PXE server owns it.</summary>
    public const string Ignore = "ignore";
    /// <summary>Hand even an iPXE ROM our own iPXE over TFTP first (it replaces an old ROM's), then the script.</summary>
    public const string Chain = "chain";

    public static readonly IReadOnlyList<string> All = [Answer, Ignore, Chain];
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

/// <summary>
/// One machine: its identity, its MACs (first reported first), what it told us, its job and its
/// progress. A new one is made by <see cref="MachineLifecycle"/>; every later state is a copy
/// (<c>with</c>) that the lifecycle's rules produce.
/// </summary>
public sealed record Machine(string Id, IReadOnlyList<string> Macs, Facts Facts)
{
    public MachineState State { get; init; } = MachineState.Discovered;
    public Assignment? Assignment { get; init; }

    /// <summary>The secret given with the current assignment (on the kernel command line); null while unassigned.</summary>
    public string? Token { get; init; }
    public int Progress { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset FirstSeen { get; init; }
    public DateTimeOffset LastSeen { get; init; }
    public string? FirstAddress { get; init; }
    public string? LastAddress { get; init; }

    /// <summary>What the PXE server does for it (<see cref="PxeSetting"/>).</summary>
    public string Pxe { get; init; } = PxeSetting.Answer;

    /// <summary>How many times it asked for its script or reported itself.</summary>
    public long Asks { get; init; }

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
