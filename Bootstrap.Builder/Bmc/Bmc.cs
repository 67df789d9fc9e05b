using System.Text.RegularExpressions;

namespace Bootstrap.Builder.Bmc;

/// <summary>A machine's power as its BMC reports it.</summary>
public enum PowerState
{
    Unknown,
    On,
    Off,
}

/// <summary>A machine's power as last heard, when, and the BMC's message when it could not be read.</summary>
public sealed record PowerReading(PowerState State, DateTimeOffset At, string? Problem);

/// <summary>What an operator asks of a machine's power.</summary>
public enum PowerAction
{
    On,
    Off,
    /// <summary>Asks the operating system to shut down (ACPI), as a short press of the button.</summary>
    SoftOff,
    Cycle,
}

/// <summary>Where the machine boots from next.</summary>
public enum BootDevice
{
    Network,
    Disk,
    Cd,
}

/// <summary>Which firmware path the next boot takes.</summary>
public enum BootMode
{
    Uefi,
    Legacy,
}

/// <summary>The BMC refused or could not be reached; the message is the BMC's (or its tool's) own.</summary>
public sealed class BmcException(string message) : Exception(message);

/// <summary>A machine's baseboard management controller, whatever protocol reaches it.</summary>
public interface IBmc
{
    Task<PowerState> GetPowerAsync(CancellationToken cancel);

    Task SetPowerAsync(PowerAction action, CancellationToken cancel);

    /// <summary>Sets the next boot (<paramref name="once"/>) or every boot from now on, and checks that the BMC kept it.</summary>
    Task SetBootDeviceAsync(BootDevice device, BootMode mode, bool once, CancellationToken cancel);
}

/// <summary>A BMC that can present a disc image to its machine as a CD drive (Redfish VirtualMedia).</summary>
public interface IVirtualMedia
{
    /// <summary>The BMC fetches <paramref name="image"/> itself and shows it to the machine, write-protected.</summary>
    Task InsertAsync(Uri image, CancellationToken cancel);

    Task EjectAsync(CancellationToken cancel);
}

/// <summary>
/// One way of reaching BMCs (IPMI, Redfish): the values it can take safely and how to connect.
/// The service registers the protocols it has; <see cref="BmcOperations"/> picks one by type.
/// </summary>
public interface IBmcProtocol
{
    /// <summary>The <c>type</c> an operator names it by.</summary>
    string Type { get; }

    int DefaultPort { get; }

    /// <summary>The field whose value this protocol cannot take, and why; null when all are fine.</summary>
    (string Field, string Message)? Refusal(string address, int port, string username, string password);

    IBmc Connect(BmcAccess access, string password);
}

/// <summary>The one shape of a BMC's address every protocol takes: an IPv4 or IPv6 address or a host name, never starting with '-'.</summary>
public static partial class BmcAddress
{
    /// <summary>Why <paramref name="address"/> cannot be a BMC's address (the message of the <c>address</c> field); null when it can.</summary>
    public static string? Problem(string address) =>
        HostShape().IsMatch(address) ? null : $"'{LogText.Escape(address)}' is not an IPv4 or IPv6 address or a host name";

    // No '/', '@', space or '?' either: the address also becomes the host of a Redfish URL.
    [GeneratedRegex(@"^(?!-)[A-Za-z0-9.:\-]{1,253}$")]
    private static partial Regex HostShape();
}
