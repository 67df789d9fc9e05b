using System.Globalization;
using System.Text.RegularExpressions;
using Bootstrap.Builder.Processes;
using CliWrap;

namespace Bootstrap.Builder.Bmc.Ipmi;

/// <summary>IPMI v2.0 over LAN (UDP 623), through <see cref="IpmiToolBmc"/>.</summary>
public sealed class IpmiProtocol : IBmcProtocol
{
    public string Type => "ipmi";

    public int DefaultPort => 623;

    public (string Field, string Message)? Refusal(string address, int port, string username, string password) =>
        IpmiToolBmc.Refusal(address, port, username, password);

    public IBmc Connect(BmcAccess access, string password) => new IpmiToolBmc(access.Address, access.Port, access.Username, password);
}

/// <summary>
/// A BMC reached over IPMI v2.0 LAN (RMCP+) through Debian's <c>ipmitool</c>, run with CliWrap.
/// Why a tool and not our own RMCP+: its session set-up (RAKP, integrity and confidentiality
/// algorithms) is what BMC vendors test against. The password reaches ipmitool in its environment
/// (<c>-E</c> reads <c>IPMI_PASSWORD</c>), never on the command line, where any local user could
/// read it; cipher suite 3 is named (<c>-C 3</c>, RAKP-HMAC-SHA1 with AES-CBC-128) because without
/// it each call first spends about 10 s finding one.
/// </summary>
public sealed partial class IpmiToolBmc : IBmc
{
    public const string Tool = "ipmitool";

    private readonly string _address;
    private readonly int _port;
    private readonly string _username;
    private readonly string _password;
    private readonly TimeSpan _timeout;

    /// <param name="timeout">How long one call may take, ipmitool's own retries included.</param>
    public IpmiToolBmc(string address, int port, string username, string password, TimeSpan? timeout = null)
    {
        if (Refusal(address, port, username, password) is var (field, message))
            throw new ArgumentException(message, field);
        (_address, _port, _username, _password, _timeout) = (address, port, username, password, timeout ?? TimeSpan.FromSeconds(20));
    }

    /// <summary>The field a value of which ipmitool cannot take, and why; null when all are fine.</summary>
    public static (string Field, string Message)? Refusal(string address, int port, string username, string password)
    {
        // Each goes to ipmitool as an argument of its own: one starting with '-' would be read as an option.
        if (BmcAddress.Problem(address) is { } badAddress)
            return ("address", badAddress);
        if (port is < 1 or > 65535)
            return ("port", $"{port} is not a UDP port (1-65535)");
        // IPMI v2.0 §22.28 Set User Name: at most 16 bytes; §22.29 Set User Password: at most 20.
        if (!UserShape().IsMatch(username))
            return ("username", "a user name is 1-16 printable ASCII characters and does not start with '-'");
        if (password.Length > 20 || password.Any(c => c is < ' ' or > '~'))
            return ("password", "an IPMI password is at most 20 printable ASCII characters");
        return null;
    }

    /// <summary>IPMI v2.0 §28.2 Get Chassis Status: byte 1 bit 0 is "power is on".</summary>
    public async Task<PowerState> GetPowerAsync(CancellationToken cancel)
    {
        var output = await RunAsync(["chassis", "power", "status"], cancel);
        return output.Trim() switch
        {
            "Chassis Power is on" => PowerState.On,
            "Chassis Power is off" => PowerState.Off,
            _ => PowerState.Unknown,
        };
    }

    /// <summary>IPMI v2.0 §28.3 Chassis Control: power down (0), up (1), cycle (2), soft shutdown (5).</summary>
    public Task SetPowerAsync(PowerAction action, CancellationToken cancel) =>
        RunAsync(["chassis", "power", action switch
        {
            PowerAction.On => "on",
            PowerAction.Off => "off",
            PowerAction.SoftOff => "soft",
            PowerAction.Cycle => "cycle",
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
        }], cancel);

    /// <summary>
    /// IPMI v2.0 §28.12 Set System Boot Options, parameter 5 (boot flags), then §28.13 Get System
    /// Boot Options to read the device back: ipmitool exits 0 even when the BMC refused the setting.
    /// </summary>
    public async Task SetBootDeviceAsync(BootDevice device, BootMode mode, bool once, CancellationToken cancel)
    {
        var (name, selector) = device switch
        {
            BootDevice.Network => ("pxe", 0b0001),
            BootDevice.Disk => ("disk", 0b0010),
            BootDevice.Cd => ("cdrom", 0b0101),
            _ => throw new ArgumentOutOfRangeException(nameof(device), device, null),
        };
        var options = new List<string>();
        if (mode == BootMode.Uefi)
            options.Add("efiboot");
        if (!once)
            options.Add("persistent");
        await RunAsync(options.Count == 0 ? ["chassis", "bootdev", name] : ["chassis", "bootdev", name, "options=" + string.Join(',', options)], cancel);
        var kept = BootDeviceSelector(await RunAsync(["chassis", "bootparam", "get", "5"], cancel));
        if (kept != selector)
            throw new BmcException($"ipmi {_address}:{_port}: the BMC did not keep boot device {name} (boot flags now select device {kept?.ToString(CultureInfo.InvariantCulture) ?? "unknown"})");
    }

    /// <summary>
    /// The boot device selector of boot flags data (IPMI v2.0 table 28-14, parameter 5: data 2,
    /// bits 5:2), from ipmitool's "Boot parameter data:" line; null when the line is not there.
    /// </summary>
    internal static int? BootDeviceSelector(string bootparamOutput)
    {
        var match = BootFlagsData().Match(bootparamOutput);
        if (!match.Success)
            return null;
        var data2 = Convert.ToByte(match.Groups[1].Value[2..4], 16);
        return (data2 >> 2) & 0b1111;
    }

    /// <summary>ipmitool's arguments for <paramref name="command"/>: everything but the password.</summary>
    internal IReadOnlyList<string> Arguments(IEnumerable<string> command) =>
    [
        "-I", "lanplus", "-H", _address, "-p", _port.ToString(CultureInfo.InvariantCulture), "-U", _username, "-E", "-C", "3",
        // Two tries of three seconds each: an unreachable BMC fails in seconds, not ipmitool's half minute.
        "-N", "3", "-R", "2",
        .. command,
    ];

    private async Task<string> RunAsync(IEnumerable<string> command, CancellationToken cancel)
    {
        var ipmitool = Cli.Wrap(Tool).WithArguments(Arguments(command))
            .WithEnvironmentVariables(e => e.Set("IPMI_PASSWORD", _password).Set("LC_ALL", "C"));
        BufferedCommandResult result;
        try
        {
            result = await ipmitool.RunAsync(_timeout, validateExitCode: false, cancel);
        }
        catch (CommandTimeoutException)
        {
            throw new BmcException($"ipmi {_address}:{_port}: no answer within {_timeout.TotalSeconds:F0} s");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception || e.InnerException is System.ComponentModel.Win32Exception)
        {
            throw new BmcException($"ipmi {_address}:{_port}: {Tool} is not installed (Debian package ipmitool; setup/run.sh and setup/install.sh install it)");
        }
        if (result.ExitCode != 0)
            throw new BmcException($"ipmi {_address}:{_port}: {LogText.Escape(result.Tail(3).Replace('\n', ' '))}");
        return result.StandardOutput;
    }


    [GeneratedRegex(@"^(?!-)[\x21-\x7e]{1,16}$")]
    private static partial Regex UserShape();

    [GeneratedRegex(@"^Boot parameter data: ([0-9a-fA-F]{10})", RegexOptions.Multiline)]
    private static partial Regex BootFlagsData();
}
