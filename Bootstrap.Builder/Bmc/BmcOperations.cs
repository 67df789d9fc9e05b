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
    /// <param name="verifyTls">Redfish: check the certificate against this host's CAs (default true).</param>
    /// <param name="caFingerprint">Redfish: the SHA-256 of the BMC's own certificate (hex, colons allowed), trusted instead.</param>
    public async Task<Result<BmcAccess>> SetAsync(string mac, string? type, string? address, int? port, string? username, string? password,
        bool? verifyTls = null, string? caFingerprint = null)
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
        if (type != "redfish" && (verifyTls != null || caFingerprint != null))
            return Problem.Invalid($"{(caFingerprint != null ? "ca-fingerprint" : "verify-tls")}: only a redfish BMC has a certificate to check");
        string? pinned = null;
        if (caFingerprint != null)
        {
            pinned = caFingerprint.Replace(":", "", StringComparison.Ordinal).ToLowerInvariant();
            if (pinned.Length != 64 || !pinned.All(char.IsAsciiHexDigit))
                return Problem.Invalid("ca-fingerprint: the SHA-256 of the BMC's certificate is 64 hex digits (colons allowed), e.g. from openssl x509 -noout -fingerprint -sha256");
        }
        var access = new BmcAccess(mac, type, address, port ?? protocol.DefaultPort, username, clock.GetUtcNow(), verifyTls ?? true, pinned);
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
    /// The image a BMC is to fetch for a machine's virtual CD: <paramref name="given"/>, else the
    /// generic ISO under <paramref name="baseUrl"/> (it asks for the machine's assigned script).
    /// A default on this host's loopback is refused: the BMC, another host, could not fetch it.
    /// </summary>
    public static Result<Uri> MediaImage(string? given, string baseUrl)
    {
        if (given == null)
        {
            if (!Uri.TryCreate(baseUrl.TrimEnd('/') + "/iso-generic", UriKind.Absolute, out var fallback))
                return Problem.Invalid("image: no default: this service does not know its own address (set base-host in config.json) or give image");
            return fallback.IsLoopback
                ? Problem.Invalid($"image: no default: this service was reached as {fallback.GetLeftPart(UriPartial.Authority)}, which a BMC cannot fetch from; set base-host in config.json or give image")
                : Result.Ok(fallback, "");
        }
        if (given.Length > 2048 || given.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) || !Uri.TryCreate(given, UriKind.Absolute, out var image)
            || image.Scheme is not ("http" or "https"))
            return Problem.Invalid($"image: '{LogText.Escape(given.Length > 100 ? given[..100] + "..." : given)}' is not an http or https URL (at most 2048 characters, no spaces)");
        if (image.UserInfo.Length > 0)
            return Problem.Invalid("image: a URL with a user name or password in it is not accepted (the BMC would show it)");
        return Result.Ok(image, "");
    }

    /// <summary>The BMC fetches <paramref name="image"/> and shows it to the machine as its CD (Redfish only).</summary>
    public Task<Result<Done>> InsertMediaAsync(string mac, Uri image, CancellationToken cancel) =>
        WithBmc(mac, async bmc =>
        {
            if (bmc is not IVirtualMedia media)
                return Problem.Conflict($"{mac}: virtual media needs a redfish BMC; this one is reached over IPMI");
            await media.InsertAsync(image, cancel);
            acted?.Invoke(mac, $"virtual CD {image.AbsoluteUri} inserted");
            return Result.Done($"{mac}: virtual CD {image.AbsoluteUri} inserted");
        });

    public Task<Result<Done>> EjectMediaAsync(string mac, CancellationToken cancel) =>
        WithBmc(mac, async bmc =>
        {
            if (bmc is not IVirtualMedia media)
                return Problem.Conflict($"{mac}: virtual media needs a redfish BMC; this one is reached over IPMI");
            await media.EjectAsync(cancel);
            acted?.Invoke(mac, "virtual CD ejected");
            return Result.Done($"{mac}: virtual CD ejected");
        });

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
        var bmc = protocol.Connect(access, password);
        try
        {
            return await act(bmc);
        }
        catch (BmcException e)
        {
            _readings[mac] = new PowerReading(PowerState.Unknown, clock.GetUtcNow(), e.Message);
            return Problem.Upstream(e.Message);
        }
        finally
        {
            (bmc as IDisposable)?.Dispose();
        }
    }

    private static Problem NoBmc(string mac) => Problem.NotFound($"{mac} has no BMC: PUT /api/machines/{mac}/bmc first");
}
