using System.Text.Json.Serialization;
using Bootstrap.Builder.Bmc;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Machines;
using Microsoft.AspNetCore.DataProtection;

namespace Bootstrap.Api.Features.Bmc;

/// <summary>
/// A machine's BMC behind the admin token: record how to reach it (the password sealed, never
/// shown back), read and set its power, set its next boot device. Every answer is
/// <c>Cache-Control: no-store</c> like the rest of <c>/api</c>.
/// </summary>
public static class BmcEndpoints
{
    private const int MaxBodyBytes = 4 * 1024;
    private const int MaxProvisionBodyBytes = 1024 * 1024;

    /// <summary>The protocols this service reaches BMCs with, for the service and the CLI alike.</summary>
    public static IEnumerable<IBmcProtocol> Protocols() => [new Builder.Bmc.Ipmi.IpmiProtocol(), new Builder.Bmc.Redfish.RedfishProtocol()];

    public static void MapBmc(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/machines/provision", Provision).AddEndpointFilter<AdminToken>()
            .WithSummary("{\"machines\": [{\"mac\", \"assign\": {...}}], \"via\": \"pxe\" | \"virtual-media\", \"mode\": \"uefi\", \"image\"}: assign each (when given), set its next boot to the network or the virtual CD, power it on or cycle it; one result per machine").Admin();
        var admin = app.MapGroup("/api/machines/{mac}").AddEndpointFilter<AdminToken>();
        admin.MapPut("/bmc", Set)
            .WithSummary("How to reach the machine's BMC: {\"type\": \"ipmi\" | \"redfish\", \"address\", \"port\" (623 | 443), \"username\", \"password\", \"verify-tls\", \"ca-fingerprint\"}; the password is never shown back").Admin();
        admin.MapGet("/bmc", async Task<Results<Ok<BmcView>, ProblemText>> (BmcOperations bmcs, string mac) =>
            Normalized(mac, out var normalized) ?? (await bmcs.GetAsync(normalized!)).ToView()).WithSummary("The machine's BMC, without its password").Admin();
        admin.MapDelete("/bmc", async Task<Results<NoContent, ProblemText>> (BmcOperations bmcs, string mac) =>
            Normalized(mac, out var normalized) ?? (await bmcs.DeleteAsync(normalized!)).ToNoContent()).WithSummary("Forget the machine's BMC").Admin();
        admin.MapGet("/power", async Task<Results<Ok<PowerView>, ProblemText>> (HttpContext http, BmcOperations bmcs, string mac) =>
            Normalized(mac, out var normalized) ?? (await bmcs.PowerAsync(normalized!, http.RequestAborted)).ToPower())
            .WithSummary("The machine's power as its BMC reports it: {\"state\": \"on\" | \"off\" | \"unknown\"}; 502 with the BMC's message when it fails").Admin();
        admin.MapPost("/power", Act)
            .WithSummary("{\"action\": \"on\" | \"off\" | \"soft-off\" | \"cycle\"}, then the state read back").Admin();
        admin.MapPost("/virtual-media", InsertMedia)
            .WithSummary("Redfish: {\"image\": \"<URL>\"} (default: this service's /iso-generic) becomes the machine's virtual CD").Admin();
        admin.MapDelete("/virtual-media", async Task<Results<NoContent, ProblemText>> (HttpContext http, BmcOperations bmcs, string mac) =>
            Normalized(mac, out var normalized) ?? (await bmcs.EjectMediaAsync(normalized!, http.RequestAborted)).ToNoContent())
            .WithSummary("Redfish: eject the machine's virtual CD").Admin();
        admin.MapPut("/boot-device", SetBootDevice)
            .WithSummary("{\"device\": \"network\" | \"disk\" | \"cd\", \"mode\": \"uefi\" (default) | \"legacy\", \"once\": true (default)}, read back from the BMC").Admin();
    }

    public sealed record BmcBody(
        [property: JsonPropertyName("type")] string? Type,
        [property: JsonPropertyName("address")] string? Address,
        [property: JsonPropertyName("port")] int? Port,
        [property: JsonPropertyName("username")] string? Username,
        [property: JsonPropertyName("password")] string? Password,
        [property: JsonPropertyName("verify-tls")] bool? VerifyTls = null,
        [property: JsonPropertyName("ca-fingerprint")] string? CaFingerprint = null);

    public sealed record MediaBody([property: JsonPropertyName("image")] string? Image);

    public sealed record PowerBody([property: JsonPropertyName("action")] string? Action);

    public sealed record BootDeviceBody(
        [property: JsonPropertyName("device")] string? Device,
        [property: JsonPropertyName("mode")] string? Mode,
        [property: JsonPropertyName("once")] bool? Once);

    /// <summary>A machine's BMC as the API shows it: everything but the password.</summary>
    public sealed record BmcView(
        [property: JsonPropertyName("mac")] string Mac,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("address")] string Address,
        [property: JsonPropertyName("port")] int Port,
        [property: JsonPropertyName("username")] string Username,
        [property: JsonPropertyName("updated")] DateTimeOffset Updated,
        [property: JsonPropertyName("verify-tls")] bool VerifyTls,
        [property: JsonPropertyName("ca-fingerprint")] string? CaFingerprint)
    {
        public static BmcView Of(BmcAccess a) => new(a.Mac, a.Type, a.Address, a.Port, a.Username, a.Updated, a.VerifyTls, a.CaFingerprint);
    }

    public sealed record PowerView([property: JsonPropertyName("state")] string State);

    public sealed record ProvisionBody(
        [property: JsonPropertyName("machines")] List<ProvisionInput?>? Machines,
        [property: JsonPropertyName("via")] string? Via,
        [property: JsonPropertyName("mode")] string? Mode,
        [property: JsonPropertyName("image")] string? Image = null);

    public sealed record ProvisionView(
        [property: JsonPropertyName("via")] string Via,
        [property: JsonPropertyName("succeeded")] int Succeeded,
        [property: JsonPropertyName("failed")] int Failed,
        [property: JsonPropertyName("machines")] IEnumerable<ProvisionedView> Machines);

    public sealed record ProvisionedView(
        [property: JsonPropertyName("mac")] string Mac,
        [property: JsonPropertyName("ok")] bool Ok,
        [property: JsonPropertyName("state")] string State,
        [property: JsonPropertyName("message")] string Message);

    /// <summary>
    /// Every entry is checked before any machine is touched (400 naming the entry); then each
    /// machine's outcome is in the 200 answer, failures included. The work is not tied to the
    /// request: a client that goes away does not leave machines half-provisioned.
    /// </summary>
    private static async Task<Results<Ok<ProvisionView>, ProblemText>> Provision(HttpContext http, BmcProvisioning provisioning, BootstrapConfig config,
        MachineDirectory machines, KernelStore kernels, Builder.Catalogue.MenuStore menus, IHostApplicationLifetime lifetime)
    {
        var (body, problem) = await JsonBody.ReadAsync<ProvisionBody>(http, MaxProvisionBodyBytes);
        if (problem != null)
            return problem;
        var menuNames = (await menus.ListAsync()).Select(m => m.Name).ToHashSet();
        var plan = BmcProvisioning.Check(body!.Machines, body.Via,
            job => AssignmentRules.Check(job, config.Runmodes, kernels.Exists, machines.FindProfile, menuNames.Contains), body.Image, http.PublicBaseUrl(config).Url ?? "");
        if (plan.Problem is { } refused)
            return new ProblemText(refused);
        var done = await provisioning.ProvisionAsync(plan.Value!.Orders, body.Mode, lifetime.ApplicationStopping, plan.Value.VirtualCd);
        if (done.Problem is { } failed)
            return new ProblemText(failed);
        var outcomes = done.Value!;
        return TypedResults.Ok(new ProvisionView(body.Via ?? "pxe", outcomes.Count(o => o.Succeeded), outcomes.Count(o => !o.Succeeded),
            outcomes.Select(o => new ProvisionedView(o.Mac, o.Succeeded, BmcOperations.Name(o.State), o.Message))));
    }

    private static async Task<Results<Ok<BmcView>, ProblemText>> Set(HttpContext http, BmcOperations bmcs, string mac)
    {
        if (Normalized(mac, out var normalized) is { } badMac)
            return badMac;
        var (body, problem) = await JsonBody.ReadAsync<BmcBody>(http, MaxBodyBytes);
        if (problem != null)
            return problem;
        return (await bmcs.SetAsync(normalized!, body!.Type, body.Address, body.Port, body.Username, body.Password, body.VerifyTls, body.CaFingerprint)).ToView();
    }

    private static async Task<Results<NoContent, ProblemText>> InsertMedia(HttpContext http, BmcOperations bmcs, BootstrapConfig config, string mac)
    {
        if (Normalized(mac, out var normalized) is { } badMac)
            return badMac;
        var (body, problem) = await JsonBody.ReadAsync<MediaBody>(http, MaxBodyBytes);
        if (problem != null)
            return problem;
        var image = BmcOperations.MediaImage(body!.Image, http.PublicBaseUrl(config).Url ?? "");
        if (image.Problem is { } badImage)
            return new ProblemText(badImage);
        return (await bmcs.InsertMediaAsync(normalized!, image.Value!, http.RequestAborted)).ToNoContent();
    }

    private static async Task<Results<Ok<PowerView>, ProblemText>> Act(HttpContext http, BmcOperations bmcs, string mac)
    {
        if (Normalized(mac, out var normalized) is { } badMac)
            return badMac;
        var (body, problem) = await JsonBody.ReadAsync<PowerBody>(http, MaxBodyBytes);
        if (problem != null)
            return problem;
        return (await bmcs.ActAsync(normalized!, body!.Action, http.RequestAborted)).ToPower();
    }

    private static async Task<Results<NoContent, ProblemText>> SetBootDevice(HttpContext http, BmcOperations bmcs, string mac)
    {
        if (Normalized(mac, out var normalized) is { } badMac)
            return badMac;
        var (body, problem) = await JsonBody.ReadAsync<BootDeviceBody>(http, MaxBodyBytes);
        if (problem != null)
            return problem;
        return (await bmcs.SetBootDeviceAsync(normalized!, body!.Device, body.Mode, body.Once, http.RequestAborted)).ToNoContent();
    }

    private static ProblemText? Normalized(string mac, out string? normalized)
    {
        normalized = MacAddress.Normalize(mac);
        return normalized == null ? Machines.MachineEndpoints.BadMac(mac) : null;
    }

    private static Results<Ok<BmcView>, ProblemText> ToView(this Result<BmcAccess> result) =>
        result is { Succeeded: true, Value: { } a } ? TypedResults.Ok(BmcView.Of(a)) : new ProblemText(result.Problem!);

    private static Results<Ok<PowerView>, ProblemText> ToPower(this Result<PowerState> result) =>
        result.Succeeded ? TypedResults.Ok(new PowerView(BmcOperations.Name(result.Value))) : new ProblemText(result.Problem);
}

/// <summary>BMC passwords sealed with the site's Data Protection key ring (kept in the site's database, shared by its instances).</summary>
public sealed class SiteSecretSealer(IDataProtectionProvider provider) : ISecretSealer
{
    private readonly IDataProtector _protector = provider.CreateProtector("bootstrap.bmc-passwords");

    public string Seal(string secret) => _protector.Protect(secret);

    public string Unseal(string sealedSecret) => _protector.Unprotect(sealedSecret);
}
