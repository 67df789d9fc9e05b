using Bootstrap.Builder.Bmc;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Kernels;

namespace Bootstrap.Api.Features.Machines;

/// <summary><c>/machines</c> for people: the list for anyone, the forms (assign, PXE setting, reset, delete) for the signed-in admin.</summary>
public static class MachinePageEndpoints
{
    /// <summary>Machines whose last events the signed-in page shows (one query each).</summary>
    private const int MachinesWithEvents = 100;

    public static void MapMachinePages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/machines", (HttpContext http, MachineDirectory machines, BootstrapConfig config) => Render(http, machines, config))
            .WithSummary("Machines page (HTML)").Produces<string>(200, "text/html");
        app.MapPost("/machines/{mac}/assign", Assign).ExcludeFromDescription();
        app.MapPost("/machines/{mac}/reset", async (HttpContext http, TimeProvider clock, MachineDirectory machines, BootstrapConfig config, string mac) =>
            await Act(http, machines, config, mac, m => machines.ResetAsync(m.Mac, http.Connection.RemoteIpAddress?.ToString(), clock.GetUtcNow())))
            .ExcludeFromDescription();
        app.MapPost("/machines/{mac}/pxe", SetPxe).ExcludeFromDescription();
        app.MapPost("/machines/{mac}/delete", async (HttpContext http, MachineDirectory machines, BootstrapConfig config, string mac) =>
            await Act(http, machines, config, mac, m => machines.DeleteAsync(m.Mac))).ExcludeFromDescription();
    }

    /// <summary>The page, with <paramref name="error"/> beside the forms or the outcomes of a provision through the BMCs.</summary>
    public static async Task<HtmlPage> Render(HttpContext http, MachineDirectory machines, BootstrapConfig config, string? error = null,
        int status = StatusCodes.Status200OK, IReadOnlyList<ProvisionOutcome>? provisioned = null)
    {
        var list = machines.List();
        MachinesPage.Admin? admin = null;
        if (await AdminSession.IsSignedInAsync(http))
        {
            await machines.FlushAsync();
            var events = new Dictionary<string, IReadOnlyList<MachineEvent>>();
            foreach (var machine in list.Take(MachinesWithEvents))
                events[machine.Id] = (await machines.EventsAsync(machine)).Take(5).ToList();
            var bmcs = http.RequestServices.GetRequiredService<BmcOperations>();
            var reachable = (await bmcs.ListAsync()).Select(a => new MachinesPage.BmcLine(a, bmcs.LastReading(a.Mac))).ToList();
            admin = new MachinesPage.Admin(AdminSession.FormToken(http), config.Runmodes.Keys.ToList(), machines.Profiles, events, reachable, provisioned);
        }
        return MachinesPage.Render(list, admin, error, status);
    }

    private static async Task<PageAnswer> Assign(HttpContext http, TimeProvider clock, MachineDirectory machines, BootstrapConfig config, KernelStore kernels, string mac)
    {
        if (await AdminSession.CheckPostAsync(http) is { } refused)
            return refused;
        if (MacAddress.Normalize(mac) is not { } normalized)
            return await Render(http, machines, config, $"'{mac}' is not a MAC address", StatusCodes.Status400BadRequest);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        string? Field(string name) => form[name].ToString() is { Length: > 0 } value ? value : null;
        var input = new AssignmentInput(Field("network"), Field("farmer"), Field("args"), null, Field("profile"), null, Field("then"));
        var (assignment, problem) = AssignmentRules.Check(input, config.Runmodes, kernels.Exists, machines.FindProfile);
        if (problem != null)
            return await Render(http, machines, config, $"{normalized}: {problem.Message}", StatusCodes.Status400BadRequest);
        var assigned = await machines.AssignAsync(normalized, assignment!, http.Connection.RemoteIpAddress?.ToString(), clock.GetUtcNow());
        if (assigned.Problem is { } notANic)
            return await Render(http, machines, config, notANic.Message, StatusCodes.Status400BadRequest);
        return TypedResults.Redirect("/machines");
    }

    private static async Task<PageAnswer> SetPxe(HttpContext http, TimeProvider clock, MachineDirectory machines, BootstrapConfig config, string mac)
    {
        if (await AdminSession.CheckPostAsync(http) is { } refused)
            return refused;
        if (MacAddress.Normalize(mac) is not { } normalized)
            return await Render(http, machines, config, $"'{LogText.Escape(mac)}' is not a MAC address", StatusCodes.Status400BadRequest);
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var set = await machines.SetPxeAsync(normalized, form["pxe"].ToString(), http.Connection.RemoteIpAddress?.ToString(), clock.GetUtcNow());
        return set.Problem is { } problem
            ? await Render(http, machines, config, $"{normalized}: {problem.Message}", StatusCodes.Status400BadRequest)
            : TypedResults.Redirect("/machines");
    }

    private static async Task<PageAnswer> Act(HttpContext http, MachineDirectory machines, BootstrapConfig config, string mac, Func<Machine, Task> action)
    {
        if (await AdminSession.CheckPostAsync(http) is { } refused)
            return refused;
        if (MacAddress.Normalize(mac) is not { } normalized || machines.FindByMac(normalized) is not { } machine)
            return await Render(http, machines, config, $"no machine with MAC '{mac}'", StatusCodes.Status404NotFound);
        await action(machine);
        return TypedResults.Redirect("/machines");
    }
}
