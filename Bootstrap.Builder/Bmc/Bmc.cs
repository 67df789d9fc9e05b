namespace Bootstrap.Builder.Bmc;

/// <summary>A machine's power as its BMC reports it.</summary>
public enum PowerState
{
    Unknown,
    On,
    Off,
}

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
