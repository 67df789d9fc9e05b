using Bootstrap.Api.Features.Machines;
using Bootstrap.Builder.Bmc;
using Bootstrap.Builder.Machines;

namespace Bootstrap.Api.Features.Bmc;

/// <summary>
/// The BMC forms of <c>/machines</c> (signed in, antiforgery checked): record a machine's BMC, act
/// on its power, set its next boot, forget it, and provision the machines chosen. Each runs the
/// same operation as the API, then goes back to the page, or shows it again with the problem.
/// </summary>
public static class BmcPageEndpoints
{
    public static void MapBmcPages(this IEndpointRouteBuilder app)
    {
        app.MapPost("/machines/{mac}/bmc", (HttpContext http, BmcOperations bmcs, string mac) => Act(http, mac, (at, form) => SetAsync(bmcs, at, form)))
            .ExcludeFromDescription();
        app.MapPost("/machines/{mac}/bmc/delete", (HttpContext http, BmcOperations bmcs, string mac) => Act(http, mac, (at, _) => bmcs.DeleteAsync(at)))
            .ExcludeFromDescription();
        app.MapPost("/machines/{mac}/power", (HttpContext http, BmcOperations bmcs, string mac) =>
            Act(http, mac, (at, form) => bmcs.ActAsync(at, Field(form, "action"), http.RequestAborted))).ExcludeFromDescription();
        app.MapPost("/machines/{mac}/boot-device", (HttpContext http, BmcOperations bmcs, string mac) =>
            Act(http, mac, (at, form) => bmcs.SetBootDeviceAsync(at, Field(form, "device"), Field(form, "mode"), once: Field(form, "every-boot") != "true", http.RequestAborted)))
            .ExcludeFromDescription();
        app.MapPost("/machines/{mac}/virtual-media", (HttpContext http, BmcOperations bmcs, string mac) =>
            Act(http, mac, (at, form) => InsertAsync(bmcs, at, form, http.RequestAborted))).ExcludeFromDescription();
        app.MapPost("/machines/{mac}/virtual-media/eject", (HttpContext http, BmcOperations bmcs, string mac) =>
            Act(http, mac, (at, _) => bmcs.EjectMediaAsync(at, http.RequestAborted))).ExcludeFromDescription();
        app.MapPost("/machines/provision", Provision).ExcludeFromDescription();
    }

    private static async Task<PageAnswer> Provision(HttpContext http, BmcProvisioning provisioning, MachineDirectory machines, BootstrapConfig config,
        IHostApplicationLifetime lifetime)
    {
        if (await AdminSession.CheckPostAsync(http) is { } refused)
            return refused;
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var chosen = form["mac"].Select(mac => (ProvisionInput?)new ProvisionInput(mac)).ToList();
        if (chosen.Count == 0)
            return await MachinePageEndpoints.Render(http, machines, config, "provision: choose at least one machine", StatusCodes.Status400BadRequest);
        var image = Field(form, "image");
        var plan = BmcProvisioning.Check(chosen, image == null ? "pxe" : "virtual-media", _ => (null, null), image);
        if (plan.Problem is { } invalid)
            return await MachinePageEndpoints.Render(http, machines, config, $"provision: {invalid.Message}", StatusCodes.Status400BadRequest);
        var done = await provisioning.ProvisionAsync(plan.Value!.Orders, Field(form, "mode"), lifetime.ApplicationStopping, plan.Value.VirtualCd);
        return done.Problem is { } problem
            ? await MachinePageEndpoints.Render(http, machines, config, $"provision: {problem.Message}", StatusCodes.Status400BadRequest)
            : await MachinePageEndpoints.Render(http, machines, config, provisioned: done.Value);
    }

    /// <summary>Checks the session and the MAC, runs <paramref name="operation"/> on the posted form, then back to the page.</summary>
    private static async Task<PageAnswer> Act<T>(HttpContext http, string mac, Func<string, IFormCollection, Task<Result<T>>> operation)
    {
        var machines = http.RequestServices.GetRequiredService<MachineDirectory>();
        var config = http.RequestServices.GetRequiredService<BootstrapConfig>();
        if (await AdminSession.CheckPostAsync(http) is { } refused)
            return refused;
        if (MacAddress.Normalize(mac) is not { } normalized)
            return await MachinePageEndpoints.Render(http, machines, config, $"'{LogText.Escape(mac)}' is not a MAC address", StatusCodes.Status400BadRequest);
        var result = await operation(normalized, await http.Request.ReadFormAsync(http.RequestAborted));
        return result.Problem is { } problem
            ? await MachinePageEndpoints.Render(http, machines, config, $"{normalized}: {problem.Message}", Problems.StatusOf(problem.Kind))
            : TypedResults.Redirect("/machines");
    }

    private static string? Field(IFormCollection form, string name) => form[name].ToString() is { Length: > 0 } value ? value : null;

    private static async Task<Result<Done>> InsertAsync(BmcOperations bmcs, string mac, IFormCollection form, CancellationToken cancel)
    {
        var image = BmcOperations.MediaImage(Field(form, "image") ?? "", "");
        return image.Problem is { } bad ? bad : await bmcs.InsertMediaAsync(mac, image.Value!, cancel);
    }

    private static async Task<Result<BmcAccess>> SetAsync(BmcOperations bmcs, string mac, IFormCollection form)
    {
        int? port = null;
        if (Field(form, "port") is { } typed)
        {
            if (!int.TryParse(typed, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
                return Problem.Invalid($"port: '{LogText.Escape(typed)}' is not a number");
            port = number;
        }
        return await bmcs.SetAsync(mac, Field(form, "type"), Field(form, "address"), port, Field(form, "username"), Field(form, "password"),
            caFingerprint: Field(form, "ca-fingerprint"));
    }
}
