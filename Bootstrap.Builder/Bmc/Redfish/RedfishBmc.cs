using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bootstrap.Builder.Bmc.Redfish;

/// <summary>DMTF Redfish (DSP0266) over HTTPS, through <see cref="RedfishBmc"/>.</summary>
public sealed class RedfishProtocol : IBmcProtocol
{
    public string Type => "redfish";

    public int DefaultPort => 443;

    public (string Field, string Message)? Refusal(string address, int port, string username, string password) =>
        RedfishBmc.Refusal(address, port, username, password);

    public IBmc Connect(BmcAccess access, string password) => new RedfishBmc(access, password);
}

/// <summary>
/// A BMC reached over Redfish with HttpClient: the first system of <c>/redfish/v1/Systems</c>
/// (its <c>PowerState</c>, <c>#ComputerSystem.Reset</c>, the <c>Boot</c> override) and the first
/// CD or DVD of the first manager's <c>VirtualMedia</c> (<c>#VirtualMedia.InsertMedia</c>,
/// <c>EjectMedia</c>), with HTTP Basic authentication (DSP0266 §13.2.4) on every request.
/// The certificate is verified against this host's CAs, or pinned by its SHA-256 for a
/// self-signed BMC. Redirects are not followed and only links under <c>/redfish/v1/</c> of the
/// same BMC are, so a BMC cannot send the service (and the password) anywhere else.
/// </summary>
public sealed class RedfishBmc : IBmc, IVirtualMedia, IDisposable
{
    private const int MaxAnswerBytes = 1024 * 1024;
    private readonly HttpClient _client;
    private readonly string _where;
    private readonly TimeSpan _timeout;
    private string? _system;

    /// <param name="timeout">How long one request may take.</param>
    public RedfishBmc(BmcAccess access, string password, TimeSpan? timeout = null)
    {
        if (Refusal(access.Address, access.Port, access.Username, password) is var (field, message))
            throw new ArgumentException(message, field);
        _timeout = timeout ?? TimeSpan.FromSeconds(20);
        _where = $"redfish {access.Address}:{access.Port}";
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = _timeout,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Trust(access) },
        };
        _client = new HttpClient(handler)
        {
            BaseAddress = new UriBuilder(Uri.UriSchemeHttps, access.Address, access.Port).Uri,
            Timeout = _timeout,
        };
        _client.DefaultRequestHeaders.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{access.Username}:{password}")));
        _client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        _client.DefaultRequestHeaders.Add("OData-Version", "4.0");
    }

    /// <summary>The field a value of which cannot be used safely, and why; null when all are fine.</summary>
    public static (string Field, string Message)? Refusal(string address, int port, string username, string password)
    {
        if (BmcAddress.Problem(address) is { } badAddress)
            return ("address", badAddress);
        if (port is < 1 or > 65535)
            return ("port", $"{port} is not a TCP port (1-65535)");
        // RFC 7617 §2: the user-id of Basic authentication cannot contain a colon.
        if (username.Length is 0 or > 64 || username.Contains(':') || username.Any(c => c is < ' ' or > '~'))
            return ("username", "a Redfish user name is 1-64 printable ASCII characters without ':'");
        if (password.Length > 256 || password.Any(char.IsControl))
            return ("password", "a Redfish password is at most 256 characters, none of them control characters");
        return null;
    }

    /// <summary>The certificate check: the pinned SHA-256 when there is one, else the system's CAs unless the record turned that off.</summary>
    private static RemoteCertificateValidationCallback Trust(BmcAccess access) => (_, certificate, _, errors) =>
        access.CaFingerprint is { } pinned
            ? certificate != null && Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData())) == pinned
            : !access.VerifyTls || errors == SslPolicyErrors.None;

    /// <summary>DSP2046 ComputerSystem.PowerState: On, Off, PoweringOn, PoweringOff, Paused.</summary>
    public async Task<PowerState> GetPowerAsync(CancellationToken cancel) =>
        (await SendAsync(HttpMethod.Get, await SystemAsync(cancel), null, cancel))["PowerState"]?.GetValue<string>() switch
        {
            "On" or "PoweringOn" => PowerState.On,
            "Off" or "PoweringOff" => PowerState.Off,
            _ => PowerState.Unknown,
        };

    /// <summary>ComputerSystem.Reset with the ResetType the system allows: On, ForceOff, GracefulShutdown, PowerCycle (else ForceRestart).</summary>
    public async Task SetPowerAsync(PowerAction action, CancellationToken cancel)
    {
        var system = await SendAsync(HttpMethod.Get, await SystemAsync(cancel), null, cancel);
        var reset = system["Actions"]?["#ComputerSystem.Reset"] ?? throw Fault("its system has no #ComputerSystem.Reset action");
        var allowed = reset["ResetType@Redfish.AllowableValues"]?.AsArray().Select(v => v?.GetValue<string>()).OfType<string>().ToList();
        var type = action switch
        {
            PowerAction.On => "On",
            PowerAction.Off => "ForceOff",
            PowerAction.SoftOff => "GracefulShutdown",
            PowerAction.Cycle => allowed == null || allowed.Contains("PowerCycle") ? "PowerCycle" : "ForceRestart",
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
        };
        if (allowed != null && !allowed.Contains(type))
            throw Fault($"its system does not allow ResetType {type} (it allows {string.Join(", ", allowed)})");
        await SendAsync(HttpMethod.Post, Link(reset["target"]), new JsonObject { ["ResetType"] = type }, cancel);
    }

    /// <summary>The Boot override of DSP2046 ComputerSystem (PATCH), read back: some BMCs answer 200 and keep nothing.</summary>
    public async Task SetBootDeviceAsync(BootDevice device, BootMode mode, bool once, CancellationToken cancel)
    {
        var target = device switch
        {
            BootDevice.Network => "Pxe",
            BootDevice.Disk => "Hdd",
            BootDevice.Cd => "Cd",
            _ => throw new ArgumentOutOfRangeException(nameof(device), device, null),
        };
        var system = await SystemAsync(cancel);
        await SendAsync(HttpMethod.Patch, system, new JsonObject
        {
            ["Boot"] = new JsonObject
            {
                ["BootSourceOverrideTarget"] = target,
                ["BootSourceOverrideEnabled"] = once ? "Once" : "Continuous",
                ["BootSourceOverrideMode"] = mode == BootMode.Uefi ? "UEFI" : "Legacy",
            },
        }, cancel);
        var kept = (await SendAsync(HttpMethod.Get, system, null, cancel))["Boot"]?["BootSourceOverrideTarget"]?.GetValue<string>();
        if (kept != target)
            throw Fault($"the BMC did not keep boot device {target} (BootSourceOverrideTarget is now {kept ?? "missing"})");
    }

    /// <summary>DSP2046 VirtualMedia.InsertMedia on the first CD or DVD of the first manager, write-protected.</summary>
    public async Task InsertAsync(Uri image, CancellationToken cancel)
    {
        var media = await CdAsync(cancel);
        var insert = media["Actions"]?["#VirtualMedia.InsertMedia"] ?? throw Fault("its virtual CD has no #VirtualMedia.InsertMedia action");
        await SendAsync(HttpMethod.Post, Link(insert["target"]),
            new JsonObject { ["Image"] = image.AbsoluteUri, ["Inserted"] = true, ["WriteProtected"] = true }, cancel);
    }

    public async Task EjectAsync(CancellationToken cancel)
    {
        var media = await CdAsync(cancel);
        var eject = media["Actions"]?["#VirtualMedia.EjectMedia"] ?? throw Fault("its virtual CD has no #VirtualMedia.EjectMedia action");
        await SendAsync(HttpMethod.Post, Link(eject["target"]), new JsonObject(), cancel);
    }

    public void Dispose() => _client.Dispose();

    private async Task<string> SystemAsync(CancellationToken cancel) =>
        _system ??= Link(FirstMember(await SendAsync(HttpMethod.Get, "/redfish/v1/Systems", null, cancel), "Systems"));

    private async Task<JsonNode> CdAsync(CancellationToken cancel)
    {
        var manager = await SendAsync(HttpMethod.Get, Link(FirstMember(await SendAsync(HttpMethod.Get, "/redfish/v1/Managers", null, cancel), "Managers")), null, cancel);
        var collection = await SendAsync(HttpMethod.Get, Link(manager["VirtualMedia"]?["@odata.id"] ?? throw Fault("its manager has no VirtualMedia")), null, cancel);
        foreach (var member in collection["Members"]?.AsArray() ?? [])
        {
            var media = await SendAsync(HttpMethod.Get, Link(member?["@odata.id"]), null, cancel);
            if (media["MediaTypes"]?.AsArray().Any(t => t?.GetValue<string>() is "CD" or "DVD") == true)
                return media;
        }
        throw Fault("its manager has no virtual CD or DVD");
    }

    private JsonNode FirstMember(JsonNode collection, string what) =>
        collection["Members"]?.AsArray().FirstOrDefault()?["@odata.id"] ?? throw Fault($"it lists no {what}");

    /// <summary>A link the BMC gave: only a path under /redfish/v1/ of this same BMC is followed.</summary>
    private string Link(JsonNode? node)
    {
        var path = node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;
        if (path == null || !path.StartsWith("/redfish/v1/", StringComparison.Ordinal) || path.Contains("..", StringComparison.Ordinal) || path.Any(char.IsControl))
            throw Fault($"it linked to '{LogText.Escape(path ?? node?.ToJsonString())}', which is not a path under /redfish/v1/ of this BMC; not followed");
        return path;
    }

    private async Task<JsonNode> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body != null)
            request.Content = JsonContent.Create(body);
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw Fault($"no answer within {_timeout.TotalSeconds:F0} s");
        }
        catch (HttpRequestException e) when (e.InnerException is AuthenticationException)
        {
            throw Fault("its certificate is not trusted (pin a self-signed one with ca-fingerprint, the SHA-256 of the certificate)");
        }
        catch (HttpRequestException e)
        {
            throw Fault($"cannot be reached: {e.Message}");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400)
                throw Fault($"answered {status}, redirecting to '{LogText.Escape(response.Headers.Location?.OriginalString)}'; not followed (give the BMC's own address)");
            var text = await ReadBoundedAsync(response, cancel);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw Fault("401 Unauthorized: the user name or password is wrong");
            if (!response.IsSuccessStatusCode)
                throw Fault($"{status} {response.ReasonPhrase}: {ErrorMessage(text)}");
            if (text.Length == 0)
                return new JsonObject();
            try
            {
                return JsonNode.Parse(text) ?? new JsonObject();
            }
            catch (JsonException)
            {
                throw Fault($"answered {method} {path} with something that is not JSON");
            }
        }
    }

    private async Task<string> ReadBoundedAsync(HttpResponseMessage response, CancellationToken cancel)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancel);
        var buffer = new byte[MaxAnswerBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancel)) > 0)
            length += read;
        if (length > MaxAnswerBytes)
            throw Fault($"answered more than {MaxAnswerBytes / 1024} KiB; not read");
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>DSP0266 §9.6 error responses: error.@Message.ExtendedInfo[0].Message, else error.message.</summary>
    private static string ErrorMessage(string text)
    {
        try
        {
            var error = JsonNode.Parse(text)?["error"];
            var message = error?["@Message.ExtendedInfo"]?.AsArray().FirstOrDefault()?["Message"]?.GetValue<string>() ?? error?["message"]?.GetValue<string>();
            return LogText.Escape(message ?? "no message");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return "no Redfish error message";
        }
    }

    private BmcException Fault(string message) => new($"{_where}: {message}");
}
