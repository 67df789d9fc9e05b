using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Bootstrap.Builder.Bmc;

/// <summary>
/// A machine's BMC: record how to reach it, and read or set its power and next boot device. Each
/// front binds its input, calls one of these and maps the result; a BMC that refuses or does not
/// answer is an <see cref="ProblemKind.Upstream"/> problem carrying the BMC's own message.
/// </summary>
/// <param name="acted">Told of every action a BMC carried out (the MAC, what was done), for the machine's boot log.</param>
public sealed class BmcOperations(BmcStore store, ISecretSealer sealer, TimeProvider clock, IEnumerable<IBmcProtocol> protocols,
    Action<string, string>? acted = null)
{
    /// <summary>Every type an operator may name; those without a registered protocol are refused as not supported yet.</summary>
    public static readonly IReadOnlyList<string> Types = ["ipmi", "redfish"];
    public static readonly IReadOnlyList<string> Actions = ["on", "off", "soft-off", "cycle"];
    public static readonly IReadOnlyList<string> Devices = ["network", "disk", "cd"];
    public static readonly IReadOnlyList<string> Modes = ["uefi", "legacy"];

    private readonly Dictionary<string, IBmcProtocol> _protocols = protocols.ToDictionary(p => p.Type, StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PowerReading> _readings = new(StringComparer.Ordinal);

    /// <summary>What this instance last heard of the machine's power (an action, a read, the background refresh); null before any.</summary>
    public PowerReading? LastReading(string mac) => _readings.GetValueOrDefault(mac);

    /// <summary>Every machine with a BMC, how to reach it (for the pages and the background refresh).</summary>
    public Task<IReadOnlyList<BmcAccess>> ListAsync() => store.ListAsync();

    /// <summary>Records (or replaces) how to reach the BMC of the machine with <paramref name="mac"/>; the password is sealed.</summary>
    public async Task<Result<BmcAccess>> SetAsync(string mac, string? type, string? address, int? port, string? username, string? password)
    {
        if (MacAddress.NotANic(mac) is { } notANic)
            return notANic;
        type ??= "ipmi";
        if (!Types.Contains(type))
            return Problem.Invalid($"type: '{LogText.Escape(type)}' is not {string.Join(" or ", Types)}");
        if (!_protocols.TryGetValue(type, out var protocol))
            return Problem.Invalid($"type: {type} is not supported yet; use {string.Join(" or ", _protocols.Keys.Order(StringComparer.Ordinal))}");
        if (string.IsNullOrEmpty(address))
            return Problem.Invalid("address: required (the BMC's IP address or host name)");
        if (string.IsNullOrEmpty(username))
            return Problem.Invalid("username: required");
        if (password == null)
            return Problem.Invalid("password: required (it is sealed with the site's key ring and never shown again)");
        if (protocol.Refusal(address, port ?? protocol.DefaultPort, username, password) is var (field, message))
            return Problem.Invalid($"{field}: {message}");
        var access = new BmcAccess(mac, type, address, port ?? protocol.DefaultPort, username, clock.GetUtcNow());
        await store.PutAsync(access, sealer.Seal(password));
        _readings.TryRemove(mac, out _);
        return Result.Ok(access, $"{mac}: BMC {type} {address}:{access.Port} as {username}");
    }

    public async Task<Result<BmcAccess>> GetAsync(string mac) =>
        await store.GetAsync(mac) is { } found ? Result.Ok(found.Access, "") : NoBmc(mac);

    public async Task<Result<Done>> DeleteAsync(string mac)
    {
        _readings.TryRemove(mac, out _);
        return await store.DeleteAsync(mac) ? Result.Done($"{mac}: BMC forgotten") : NoBmc(mac);
    }

    public Task<Result<PowerState>> PowerAsync(string mac, CancellationToken cancel) =>
        WithBmc(mac, async bmc =>
        {
            var state = Remember(mac, await bmc.GetPowerAsync(cancel));
            return Result.Ok(state, $"{mac}: power {Name(state)}");
        });

    /// <summary>Asks for a power action, then reads the state back.</summary>
    public Task<Result<PowerState>> ActAsync(string mac, string? action, CancellationToken cancel)
    {
        PowerAction? parsed = action switch
        {
            "on" => PowerAction.On,
            "off" => PowerAction.Off,
            "soft-off" => PowerAction.SoftOff,
            "cycle" => PowerAction.Cycle,
            _ => null,
        };
        if (parsed is not { } chosen)
            return Task.FromResult<Result<PowerState>>(Problem.Invalid($"action: '{LogText.Escape(action)}' is not {string.Join(", ", Actions.SkipLast(1))} or {Actions[^1]}"));
        return WithBmc(mac, async bmc =>
        {
            await bmc.SetPowerAsync(chosen, cancel);
            var state = Remember(mac, await bmc.GetPowerAsync(cancel));
            acted?.Invoke(mac, $"power {action}, now {Name(state)}");
            return Result.Ok(state, $"{mac}: power {action}, now {Name(state)}");
        });
    }

    public Task<Result<Done>> SetBootDeviceAsync(string mac, string? device, string? mode, bool? once, CancellationToken cancel)
    {
        BootDevice? parsedDevice = device switch { "network" => BootDevice.Network, "disk" => BootDevice.Disk, "cd" => BootDevice.Cd, _ => null };
        if (parsedDevice is not { } chosenDevice)
            return Task.FromResult<Result<Done>>(Problem.Invalid($"device: '{LogText.Escape(device)}' is not {string.Join(", ", Devices.SkipLast(1))} or {Devices[^1]}"));
        BootMode? parsedMode = (mode ?? "uefi") switch { "uefi" => BootMode.Uefi, "legacy" => BootMode.Legacy, _ => null };
        if (parsedMode is not { } chosenMode)
            return Task.FromResult<Result<Done>>(Problem.Invalid($"mode: '{LogText.Escape(mode)}' is not {string.Join(" or ", Modes)}"));
        var onlyNext = once ?? true;
        return WithBmc(mac, async bmc =>
        {
            await bmc.SetBootDeviceAsync(chosenDevice, chosenMode, onlyNext, cancel);
            var what = $"{(onlyNext ? "next boot" : "every boot")} from {device} ({mode ?? "uefi"})";
            acted?.Invoke(mac, what);
            return Result.Done($"{mac}: {what}");
        });
    }

    /// <summary>
    /// An installed machine that boots its own disk from now on: when it has a BMC, every next boot
    /// is set to the disk there too, so the handover does not rest on the network staying silent.
    /// Null when the machine has no BMC (nothing to do).
    /// </summary>
    public async Task<Result<Done>?> HandOverToDiskAsync(string mac, CancellationToken cancel) =>
        await store.GetAsync(mac) is null ? null : await SetBootDeviceAsync(mac, "disk", "uefi", once: false, cancel);

    private PowerState Remember(string mac, PowerState state)
    {
        _readings[mac] = new PowerReading(state, clock.GetUtcNow(), null);
        return state;
    }

    public static string Name(PowerState state) => state.ToString().ToLowerInvariant();

    private async Task<Result<T>> WithBmc<T>(string mac, Func<IBmc, Task<Result<T>>> act)
    {
        if (await store.GetAsync(mac) is not var (access, sealedPassword))
            return NoBmc(mac);
        string password;
        try
        {
            password = sealer.Unseal(sealedPassword);
        }
        catch (CryptographicException)
        {
            return Problem.Conflict($"{mac}: the BMC password was sealed with a key this site no longer has: set the BMC again");
        }
        if (!_protocols.TryGetValue(access.Type, out var protocol))
            return Problem.Conflict($"{mac}: its BMC is of type {access.Type}, which this service does not reach");
        try
        {
            return await act(protocol.Connect(access, password));
        }
        catch (BmcException e)
        {
            _readings[mac] = new PowerReading(PowerState.Unknown, clock.GetUtcNow(), e.Message);
            return Problem.Upstream(e.Message);
        }
    }

    private static Problem NoBmc(string mac) => Problem.NotFound($"{mac} has no BMC: PUT /api/machines/{mac}/bmc first");
}
