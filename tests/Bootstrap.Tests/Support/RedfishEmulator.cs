using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bootstrap.Tests.Support;

/// <summary>What a Redfish BMC drives: the machine's power, and the disc in its virtual CD drive.</summary>
public interface IRedfishChassis
{
    bool On { get; }

    /// <param name="bootTarget">The one-time or continuous override (Pxe, Cd, Hdd), or null for the machine's own order.</param>
    Task PowerOnAsync(string? bootTarget);

    Task PowerOffAsync();

    /// <summary>A disc image (a local file the BMC fetched) went into the CD drive, or came out (null).</summary>
    Task MediaChangedAsync(string? imageFile);
}

/// <summary>
/// A Redfish BMC for the tests only (no Redfish emulator is packaged here): HTTPS on 127.0.0.1 with
/// a self-signed certificate, HTTP Basic authentication, and the resources of DMTF's schema and
/// public mockups that the service uses: the service root, one ComputerSystem (PowerState,
/// #ComputerSystem.Reset, the Boot override) and one Manager whose VirtualMedia has a floppy and a
/// CD (#VirtualMedia.InsertMedia, which fetches the image like a BMC does, and EjectMedia).
/// It refuses what a real BMC refuses: wrong credentials (401), a reset type it does not list
/// (400), a boot target it does not list (400), an insert while a disc is in (409).
/// </summary>
public sealed class RedfishEmulator : IAsyncDisposable
{
    public const string User = "root", Password = "calvin-R3dfish";
    private const string System = "/redfish/v1/Systems/1", Cd = "/redfish/v1/Managers/1/VirtualMedia/Cd1";
    private static readonly string[] ResetTypes = ["On", "ForceOff", "GracefulShutdown", "ForceRestart"];
    private static readonly string[] BootTargets = ["None", "Pxe", "Cd", "Hdd"];

    private readonly WebApplication _app;
    private readonly IRedfishChassis _chassis;
    private readonly string _folder = Directory.CreateTempSubdirectory("bootstrap-redfish-").FullName;
    private readonly List<string> _changes = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string _bootTarget = "None", _bootEnabled = "Disabled", _bootMode = "UEFI";
    private string? _image;

    private RedfishEmulator(WebApplication app, IRedfishChassis chassis, X509Certificate2 certificate)
    {
        (_app, _chassis) = (app, chassis);
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
    }

    public int Port { get; private set; }

    /// <summary>The SHA-256 of the emulator's certificate, as an operator pins it.</summary>
    public string Fingerprint { get; }

    /// <summary>How the emulator misbehaves from now on: "redirect" (307 elsewhere), "garbage" (200, not JSON), "hang" (never answers).</summary>
    public string? Misbehave { get; set; }

    /// <summary>What it was asked to change, in order: "reset On", "boot Pxe Once UEFI", "insert URL", "eject".</summary>
    public IReadOnlyList<string> Changes
    {
        get
        {
            lock (_changes)
                return _changes.ToList();
        }
    }

    public string? Image => _image;

    /// <summary>Starts an emulator whose machine is only memory (power and media are remembered, nothing boots).</summary>
    public static Task<RedfishEmulator> StartAsync() => StartAsync(new MemoryChassis());

    /// <summary>Starts an emulator driving <paramref name="chassis"/>, which stays the caller's to dispose.</summary>
    public static async Task<RedfishEmulator> StartAsync(IRedfishChassis chassis)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=redfish-emulator", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // Exported and loaded again: Kestrel's TLS needs a key it can use outside this scope.
        var certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        var emulator = new RedfishEmulator(app, chassis, certificate);
        app.Use(emulator.GuardAsync);
        emulator.Map(app);
        await app.StartAsync();
        emulator.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return emulator;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private void Changed(string what)
    {
        lock (_changes)
            _changes.Add(what);
    }

    /// <summary>Misbehaving first, then DSP0266 §13.3.4: everything but the service root needs credentials.</summary>
    private async Task GuardAsync(HttpContext http, RequestDelegate next)
    {
        switch (Misbehave)
        {
            case "redirect":
                http.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
                http.Response.Headers.Location = "https://192.0.2.1/redfish/v1/";
                return;
            case "garbage":
                await http.Response.WriteAsync("<html>not redfish</html>");
                return;
            case "hang":
                await Task.Delay(Timeout.Infinite, http.RequestAborted);
                return;
        }
        if (http.Request.Path != "/redfish/v1" && http.Request.Path != "/redfish/v1/" && !Authorized(http.Request))
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"redfish\"";
            await Error(http, StatusCodes.Status401Unauthorized, "Base.1.8.AccessDenied", "While attempting to establish a connection to the service, authentication failed.");
            return;
        }
        await next(http);
    }

    private static bool Authorized(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { } header && header.StartsWith("Basic ", StringComparison.Ordinal)
        && Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..])) == $"{User}:{Password}";

    private void Map(WebApplication app)
    {
        app.MapGet("/redfish/v1", () => Json(new JsonObject
        {
            ["@odata.id"] = "/redfish/v1", ["@odata.type"] = "#ServiceRoot.v1_5_0.ServiceRoot", ["Id"] = "RootService", ["Name"] = "Root Service",
            ["RedfishVersion"] = "1.6.0", ["Systems"] = Link("/redfish/v1/Systems"), ["Managers"] = Link("/redfish/v1/Managers"),
        }));
        app.MapGet("/redfish/v1/Systems", () => Json(Collection("#ComputerSystemCollection.ComputerSystemCollection", "Computer System Collection", System)));
        app.MapGet(System, () => Json(new JsonObject
        {
            ["@odata.id"] = System, ["@odata.type"] = "#ComputerSystem.v1_13_0.ComputerSystem", ["Id"] = "1", ["Name"] = "Test machine",
            ["PowerState"] = _chassis.On ? "On" : "Off",
            ["Boot"] = new JsonObject
            {
                ["BootSourceOverrideTarget"] = _bootTarget, ["BootSourceOverrideEnabled"] = _bootEnabled, ["BootSourceOverrideMode"] = _bootMode,
                ["BootSourceOverrideTarget@Redfish.AllowableValues"] = new JsonArray(BootTargets.Select(t => (JsonNode)t).ToArray()),
            },
            ["Actions"] = new JsonObject
            {
                ["#ComputerSystem.Reset"] = new JsonObject
                {
                    ["target"] = $"{System}/Actions/ComputerSystem.Reset",
                    ["ResetType@Redfish.AllowableValues"] = new JsonArray(ResetTypes.Select(t => (JsonNode)t).ToArray()),
                },
            },
        }));
        app.MapPatch(System, PatchSystemAsync);
        app.MapPost($"{System}/Actions/ComputerSystem.Reset", ResetAsync);
        app.MapGet("/redfish/v1/Managers", () => Json(Collection("#ManagerCollection.ManagerCollection", "Manager Collection", "/redfish/v1/Managers/1")));
        app.MapGet("/redfish/v1/Managers/1", () => Json(new JsonObject
        {
            ["@odata.id"] = "/redfish/v1/Managers/1", ["@odata.type"] = "#Manager.v1_10_0.Manager", ["Id"] = "1", ["Name"] = "BMC",
            ["VirtualMedia"] = Link("/redfish/v1/Managers/1/VirtualMedia"),
        }));
        app.MapGet("/redfish/v1/Managers/1/VirtualMedia", () => Json(Collection("#VirtualMediaCollection.VirtualMediaCollection", "Virtual Media Services",
            "/redfish/v1/Managers/1/VirtualMedia/Floppy1", Cd)));
        app.MapGet("/redfish/v1/Managers/1/VirtualMedia/Floppy1", () => Json(Media("/redfish/v1/Managers/1/VirtualMedia/Floppy1", "Floppy1", ["Floppy", "USBStick"], null)));
        app.MapGet(Cd, () => Json(Media(Cd, "Cd1", ["CD", "DVD"], _image)));
        app.MapPost($"{Cd}/Actions/VirtualMedia.InsertMedia", InsertAsync);
        app.MapPost($"{Cd}/Actions/VirtualMedia.EjectMedia", EjectAsync);
    }

    private async Task PatchSystemAsync(HttpContext http)
    {
        var boot = (await JsonNode.ParseAsync(http.Request.Body))?["Boot"];
        var target = boot?["BootSourceOverrideTarget"]?.GetValue<string>() ?? _bootTarget;
        var enabled = boot?["BootSourceOverrideEnabled"]?.GetValue<string>() ?? _bootEnabled;
        var mode = boot?["BootSourceOverrideMode"]?.GetValue<string>() ?? _bootMode;
        if (!BootTargets.Contains(target))
        {
            await Error(http, 400, "Base.1.8.PropertyValueNotInList", $"The value {target} for the property BootSourceOverrideTarget is not in the list of acceptable values.");
            return;
        }
        if (enabled is not ("Disabled" or "Once" or "Continuous") || mode is not ("UEFI" or "Legacy"))
        {
            await Error(http, 400, "Base.1.8.PropertyValueNotInList", "BootSourceOverrideEnabled or BootSourceOverrideMode is not an acceptable value.");
            return;
        }
        (_bootTarget, _bootEnabled, _bootMode) = (target, enabled, mode);
        Changed($"boot {target} {enabled} {mode}");
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task ResetAsync(HttpContext http)
    {
        var type = (await JsonNode.ParseAsync(http.Request.Body))?["ResetType"]?.GetValue<string>();
        if (type == null || !ResetTypes.Contains(type))
        {
            await Error(http, 400, "Base.1.8.ActionParameterNotSupported", $"The parameter ResetType for the action ComputerSystem.Reset is not supported on the target resource: {type}.");
            return;
        }
        await _gate.WaitAsync();
        try
        {
            Changed($"reset {type}");
            if (type is "ForceOff" or "GracefulShutdown" or "ForceRestart" && _chassis.On)
                await _chassis.PowerOffAsync();
            if (type is "On" or "ForceRestart" && !_chassis.On)
            {
                await _chassis.PowerOnAsync(_bootEnabled == "Disabled" || _bootTarget == "None" ? null : _bootTarget);
                if (_bootEnabled == "Once")
                    (_bootTarget, _bootEnabled) = ("None", "Disabled");   // DSP2046: a Once override is cleared by the boot it applied to
            }
        }
        finally
        {
            _gate.Release();
        }
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>Like a BMC, it fetches the image itself (over HTTP from the service) before the machine sees it.</summary>
    private async Task InsertAsync(HttpContext http)
    {
        var body = await JsonNode.ParseAsync(http.Request.Body);
        var image = body?["Image"]?.GetValue<string>();
        if (_image != null)
        {
            await Error(http, 409, "Base.1.8.ResourceInUse", "The change to the requested resource failed because the resource is in use or in transition: a medium is inserted; eject it first.");
            return;
        }
        if (image == null || !Uri.TryCreate(image, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            await Error(http, 400, "Base.1.8.PropertyValueFormatError", $"The value {image} for the property Image is of a different format than the property can accept.");
            return;
        }
        // A test must never address another host: this BMC fetches only from this host's loopback or the test LAN.
        if (!IPAddress.TryParse(url.Host, out var host) || !(IPAddress.IsLoopback(host) || url.Host.StartsWith("10.77.0.", StringComparison.Ordinal)))
        {
            await Error(http, 400, "Base.1.8.PropertyValueFormatError", $"The test emulator fetches images only from 127.0.0.0/8 or 10.77.0.0/24, not {url.Host}.");
            return;
        }
        var file = Path.Combine(_folder, "media.iso");
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            await using var source = await client.GetStreamAsync(url);
            await using var target = File.Create(file);
            await source.CopyToAsync(target);
        }
        catch (HttpRequestException e)
        {
            await Error(http, 400, "Base.1.8.ResourceAtUriUnauthorized", $"The image at {image} could not be fetched: {e.Message}");
            return;
        }
        _image = image;
        Changed($"insert {image}");
        await _chassis.MediaChangedAsync(file);
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task EjectAsync(HttpContext http)
    {
        if (_image != null)
        {
            _image = null;
            Changed("eject");
            await _chassis.MediaChangedAsync(null);
        }
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static JsonObject Media(string id, string name, string[] types, string? image) => new()
    {
        ["@odata.id"] = id, ["@odata.type"] = "#VirtualMedia.v1_3_0.VirtualMedia", ["Id"] = name, ["Name"] = "Virtual Removable Media",
        ["MediaTypes"] = new JsonArray(types.Select(t => (JsonNode)t).ToArray()), ["Image"] = image, ["Inserted"] = image != null,
        ["WriteProtected"] = true, ["ConnectedVia"] = image != null ? "URI" : "NotConnected",
        ["Actions"] = new JsonObject
        {
            ["#VirtualMedia.InsertMedia"] = new JsonObject { ["target"] = $"{id}/Actions/VirtualMedia.InsertMedia" },
            ["#VirtualMedia.EjectMedia"] = new JsonObject { ["target"] = $"{id}/Actions/VirtualMedia.EjectMedia" },
        },
    };

    private static JsonObject Collection(string type, string name, params string[] members) => new()
    {
        ["@odata.type"] = type, ["Name"] = name, ["Members@odata.count"] = members.Length,
        ["Members"] = new JsonArray(members.Select(m => (JsonNode)Link(m)).ToArray()),
    };

    private static JsonObject Link(string id) => new() { ["@odata.id"] = id };

    private static IResult Json(JsonObject body) => Results.Content(body.ToJsonString(), "application/json");

    /// <summary>DSP0266 §9.6: an error response with one message of the Base registry.</summary>
    private static Task Error(HttpContext http, int status, string messageId, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = messageId, ["message"] = message,
                ["@Message.ExtendedInfo"] = new JsonArray(new JsonObject { ["MessageId"] = messageId, ["Message"] = message, ["Severity"] = "Critical" }),
            },
        }.ToJsonString());
    }

    /// <summary>A machine that is only its power switch and its CD drive.</summary>
    private sealed class MemoryChassis : IRedfishChassis
    {
        public bool On { get; private set; }

        public Task PowerOnAsync(string? bootTarget)
        {
            On = true;
            return Task.CompletedTask;
        }

        public Task PowerOffAsync()
        {
            On = false;
            return Task.CompletedTask;
        }

        public Task MediaChangedAsync(string? imageFile) => Task.CompletedTask;
    }
}
