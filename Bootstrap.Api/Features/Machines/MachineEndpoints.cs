using System.Text.Json;
using System.Text.Json.Serialization;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Kernels;

namespace Bootstrap.Api.Features.Machines;

/// <summary>
/// The machines API (docs/machines.md): list, show, assign, reset and delete behind the admin
/// token; <c>discover</c> open to anyone but bounded; <c>status</c> with the machine's own token;
/// profiles; and <c>/answer/{mac}/{token}</c>, the answer file an installer fetches.
/// </summary>
public static class MachineEndpoints
{
    /// <summary>Largest discover body (a discovery OS's inventory is a few KiB).</summary>
    public const int MaxDiscoverBytes = 64 * 1024;

    /// <summary>Largest status body, and longest status message kept.</summary>
    public const int MaxStatusBytes = 4 * 1024, MaxMessageLength = 256;

    public static void MapMachines(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api").AddEndpointFilter<AdminToken>();
        admin.MapGet("/machines", List).WithSummary("Machines, discovered first (?state= filters)").Admin();
        admin.MapGet("/machines/{mac}", Show).WithSummary("One machine, by any of its MACs").Admin();
        admin.MapPut("/machines/{mac}", Assign)
            .WithSummary("Assign a machine (created if unknown): network, farmer, args, kernel or profile, then, hostname").Admin();
        admin.MapDelete("/machines/{mac}", Delete).WithSummary("Forget a machine, its MACs and its boot log").Admin();
        admin.MapPost("/machines/{mac}/reset", Reset).WithSummary("Send a machine back to discovered").Admin();
        admin.MapPut("/machines/{mac}/pxe", SetPxe)
            .WithSummary("What the built-in PXE server does for a machine, known or not: {\"pxe\": \"answer\" | \"ignore\" | \"chain\"}").Admin();
        admin.MapGet("/machines/{mac}/events", Events).WithSummary("A machine's boot log, newest first").Admin();
        admin.MapGet("/profiles", (MachineDirectory machines) => TypedResults.Ok(machines.Profiles)).WithSummary("Profiles").Admin();
        admin.MapGet("/profiles/{name}", Results<Ok<Profile>, ProblemText> (MachineDirectory machines, string name) => machines.FindProfile(name) is { } p
            ? TypedResults.Ok(p) : Problems.NotFound($"no profile named '{LogText.Escape(name)}'")).WithSummary("One profile").Admin();
        admin.MapPut("/profiles/{name}", PutProfile).WithSummary("Create or replace a profile (assignment fields plus answer_template)").Admin();
        admin.MapDelete("/profiles/{name}", async Task<Results<NoContent, ProblemText>> (MachineDirectory machines, string name) => await machines.DeleteProfileAsync(name)
            ? TypedResults.NoContent() : Problems.NotFound($"no profile named '{LogText.Escape(name)}'")).WithSummary("Delete a profile").Admin();

        app.MapPost("/api/machines/discover", Discover)
            .WithSummary("A discovery OS reports a machine: MACs, UUID, serial, inventory. Creates or updates unassigned machines only");
        app.MapPost("/api/machines/{mac}/status", Status)
            .WithSummary("The booted OS reports progress, installed or failed, with Authorization: Bearer <bootstrap_token>");
        app.MapGet("/answer/{mac}/{token}", Answer).WithSummary("The answer file of an assigned machine's profile");
    }

    /// <summary>A machine as the API shows it.</summary>
    public sealed record MachineView(
        string Id, string Mac, IReadOnlyList<string> Macs, MachineState State, int Progress, string? Message,
        string? Uuid, string? Serial, string? Manufacturer, string? Product, string? Asset, string? Platform, string? Arch, string? Ip,
        Inventory? Inventory, AssignmentView? Assignment, DateTimeOffset FirstSeen, DateTimeOffset LastSeen,
        string? FirstAddress, string? LastAddress, long Asks, string Pxe)
    {
        public static MachineView Of(Machine m) => new(
            m.Id, m.Mac, m.Macs, m.State, m.Progress, m.Message, m.Facts.Uuid, m.Facts.Serial, m.Facts.Manufacturer, m.Facts.Product,
            m.Facts.Asset, m.Facts.Platform, m.Facts.Arch, m.Facts.Ip, Inventory.FromJson(m.Facts.InventoryJson),
            m.Assignment is { } a ? new AssignmentView(a.Network, a.Farmer, a.Args, a.Kernel, a.Profile, a.Hostname, a.Then, a.Menu) : null,
            m.FirstSeen, m.LastSeen, m.FirstAddress, m.LastAddress, m.Asks, m.Pxe);
    }

    public sealed record AssignmentView(string Network, string? Farmer, string Args, string? Kernel, string? Profile, string? Hostname, string Then, string? Menu);

    /// <summary>What a discovery OS posts (docs/machines.md).</summary>
    public sealed record DiscoverBody(
        [property: JsonPropertyName("macs")] IReadOnlyList<string>? Macs,
        [property: JsonPropertyName("uuid")] string? Uuid,
        [property: JsonPropertyName("serial")] string? Serial,
        [property: JsonPropertyName("manufacturer")] string? Manufacturer,
        [property: JsonPropertyName("product")] string? Product,
        [property: JsonPropertyName("inventory")] Inventory? Inventory);

    /// <summary>What a discover post answers: where the machine stands, not its job (the caller is not authenticated).</summary>
    public sealed record DiscoverAnswer(string Id, MachineState State);

    /// <summary>What a status report answers.</summary>
    public sealed record StatusAnswer(MachineState State, int Progress);

    public sealed record StatusBody(
        [property: JsonPropertyName("state")] string? State,
        [property: JsonPropertyName("progress")] int? Progress,
        [property: JsonPropertyName("message")] string? Message);

    private static Results<Ok<IEnumerable<MachineView>>, ProblemText> List(MachineDirectory machines, string? state)
    {
        var wanted = MachineStates.Parse(state);
        if (state != null && wanted == null)
            return Problems.Invalid($"state: '{LogText.Escape(state)}' is not one of {string.Join(", ", MachineStates.Names)}");
        return TypedResults.Ok(machines.List(wanted).Select(MachineView.Of));
    }

    private static Results<Ok<MachineView>, ProblemText> Show(MachineDirectory machines, string mac) =>
        Find(machines, mac, out var machine) is { } problem ? problem : TypedResults.Ok(MachineView.Of(machine!));

    private static async Task<Results<Ok<MachineView>, ProblemText>> Assign(HttpContext http, TimeProvider clock, MachineDirectory machines, BootstrapConfig config, KernelStore kernels,
        Builder.Catalogue.MenuStore menus, string mac)
    {
        if (MacAddress.Normalize(mac) is not { } normalized)
            return BadMac(mac);
        var (input, bodyProblem) = await JsonBody.ReadAsync<AssignmentInput>(http, MaxStatusBytes * 4);
        if (bodyProblem != null)
            return bodyProblem;
        if (input!.AnswerTemplate != null)
            return Problems.Invalid("answer_template: belongs to a profile (PUT /api/profiles/<name>)");
        var menuNames = input.Menu == null ? [] : (await menus.ListAsync()).Select(m => m.Name).ToHashSet();
        var (assignment, problem) = AssignmentRules.Check(input, config.Runmodes, kernels.Exists, machines.FindProfile, menuNames.Contains);
        if (problem != null)
            return (problem.NotFound ? Problem.NotFound(problem.Message) : Problem.Invalid(problem.Message)).ToText();
        var assigned = await machines.AssignAsync(normalized, assignment!, http.Connection.RemoteIpAddress?.ToString(), clock.GetUtcNow());
        return assigned.Problem is { } refused ? refused.ToText() : TypedResults.Ok(MachineView.Of(assigned.Value!));
    }

    /// <summary>The body of PUT /api/machines/&lt;mac&gt;/pxe.</summary>
    public sealed record PxeBody([property: JsonPropertyName("pxe")] string? Pxe);

    private static async Task<Results<Ok<MachineView>, ProblemText>> SetPxe(HttpContext http, TimeProvider clock, MachineDirectory machines, string mac)
    {
        if (MacAddress.Normalize(mac) is not { } normalized)
            return BadMac(mac);
        var (input, bodyProblem) = await JsonBody.ReadAsync<PxeBody>(http, MaxStatusBytes);
        if (bodyProblem != null)
            return bodyProblem;
        var set = await machines.SetPxeAsync(normalized, input!.Pxe ?? "", http.Connection.RemoteIpAddress?.ToString(), clock.GetUtcNow());
        return set.Problem is { } refused ? refused.ToText() : TypedResults.Ok(MachineView.Of(set.Value!));
    }

    private static async Task<Results<NoContent, ProblemText>> Delete(MachineDirectory machines, string mac)
    {
        if (Find(machines, mac, out var machine) is { } problem)
            return problem;
        await machines.DeleteAsync(machine!.Mac);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<MachineView>, ProblemText>> Reset(HttpContext http, TimeProvider clock, MachineDirectory machines, string mac)
    {
        if (Find(machines, mac, out var machine) is { } problem)
            return problem;
        var reset = await machines.ResetAsync(machine!.Mac, http.Connection.RemoteIpAddress?.ToString(), clock.GetUtcNow());
        return TypedResults.Ok(MachineView.Of(reset!));
    }

    private static async Task<Results<Ok<IReadOnlyList<MachineEvent>>, ProblemText>> Events(MachineDirectory machines, string mac)
    {
        if (Find(machines, mac, out var machine) is { } problem)
            return problem;
        await machines.FlushAsync();   // what the last boots wrote behind belongs in the answer
        return TypedResults.Ok(await machines.EventsAsync(machine!));
    }

    private static async Task<Results<Ok<Profile>, ProblemText>> PutProfile(HttpContext http, TimeProvider clock, MachineDirectory machines, BootstrapConfig config, KernelStore kernels, string name)
    {
        var (input, bodyProblem) = await JsonBody.ReadAsync<AssignmentInput>(http, AssignmentRules.MaxAnswerTemplateLength + 4096);
        if (bodyProblem != null)
            return bodyProblem;
        var (profile, problem) = AssignmentRules.CheckProfile(name, input!, config.Runmodes, kernels.Exists, clock.GetUtcNow());
        if (problem != null)
            return Problems.Invalid(problem.Message);
        await machines.SaveProfileAsync(profile!);
        return TypedResults.Ok(profile);
    }

    private static async Task<Results<Ok<DiscoverAnswer>, Text<Status.TooMany>, ProblemText>> Discover(HttpContext http, TimeProvider clock, MachineDirectory machines, ClientBudgets budgets)
    {
        // Every call counts, updates included: a discovery OS reports once, then polls /provision.
        if (budgets.UnknownMachine(http) is { } tooMany)
            return tooMany;
        var (body, bodyProblem) = await JsonBody.ReadAsync<DiscoverBody>(http, MaxDiscoverBytes);
        if (bodyProblem != null)
            return bodyProblem;
        var macs = new List<string>();
        foreach (var text in body!.Macs ?? [])
        {
            if (MacAddress.Normalize(text) is not { } mac)
                return Problems.Invalid($"macs: '{LogText.Escape(text ?? "")}' is not a MAC address (12 hex digits)");
            macs.Add(mac);
        }
        if (macs.Count is 0 or > Inventory.MaxItems)
            return Problems.Invalid($"macs: give 1 to {Inventory.MaxItems} MAC addresses");
        string? inventoryJson = null;
        if (body.Inventory != null)
        {
            var (clean, problem) = body.Inventory.Checked();
            if (problem != null)
                return Problems.Invalid(problem);
            inventoryJson = clean!.ToJson();
        }
        var facts = MachineFacts.Clean(new Facts(body.Uuid, body.Serial, body.Manufacturer, body.Product, InventoryJson: inventoryJson));
        var discovered = await machines.DiscoverAsync(macs.Distinct().ToList(), facts, http.Connection.RemoteIpAddress?.ToString(), clock.GetUtcNow());
        if (discovered.Problem is { } refused)
            return refused.ToText();
        // The answer says only where the machine stands: an assigned machine's job is not told to an unauthenticated caller.
        return TypedResults.Ok(new DiscoverAnswer(discovered.Value!.Id, discovered.Value.State));
    }

    private static async Task<Results<Ok<StatusAnswer>, Text<Status.TooMany>, Text<Status.Forbidden>, Text<Status.Unauthorized>, ProblemText>> Status(HttpContext http, TimeProvider clock, MachineDirectory machines, TokenHolders holders, BootstrapConfig config, ClientBudgets budgets,
        Bootstrap.Builder.Bmc.BmcOperations bmcs, ILoggerFactory logs, string mac)
    {
        if (Find(machines, mac, out var machine) is { } problem)
            return problem;
        var given = AdminToken.Bearer(http);
        var own = machine!.Token != null && AdminToken.SameSecret(given, machine.Token);
        if (!own && !AdminToken.IsPresentedBy(http, config))
        {
            if (await AdminToken.AfterFailureAsync(http, budgets) is { } tooMany)
                return tooMany;
            if (given.Length > 0 && machines.FindByToken(given) != null)
                return PlainText.Forbidden($"this token belongs to another machine, not to {machine.Mac}");
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return PlainText.Unauthorized(
                "status: missing or wrong 'Authorization: Bearer <bootstrap_token>' (the token is on the kernel command line)");
        }
        if (!AdminToken.IsPresentedBy(http, config) && await NotTheHolderAsync(http, holders, config, machine.Token!) is { } elsewhere)
            return PlainText.Forbidden("status: " + elsewhere);
        var (body, bodyProblem) = await JsonBody.ReadAsync<StatusBody>(http, MaxStatusBytes);
        if (bodyProblem != null)
            return bodyProblem;
        string[] states = ["progress", MachineState.Installed.Name(), MachineState.Failed.Name()];
        if (body!.State == null || !states.Contains(body.State))
            return Problems.Invalid($"state: '{LogText.Escape(body.State ?? "")}' is not one of {string.Join(", ", states)}");
        if (body.Progress is < 0 or > 100)
            return Problems.Invalid($"progress: {body.Progress} is not between 0 and 100");
        if (machine.Assignment == null)
            return Problems.Conflict($"machine {machine.Mac} is not assigned: nothing to report on");
        var message = MachineFacts.Text(body.Message, MaxMessageLength);
        var updated = await machines.ReportAsync(machine, new StatusReport(body.State, body.Progress, message),
            http.Connection.RemoteIpAddress?.ToString(), clock.GetUtcNow());
        if (updated.BootsLocalDisk && !machine.BootsLocalDisk)
            await HandOverThroughBmcAsync(bmcs, logs, updated.Mac);
        return TypedResults.Ok(new StatusAnswer(updated.State, updated.Progress));
    }

    private static async Task<Results<Text<Status.Ok>, Text<Status.Forbidden>, ProblemText>> Answer(HttpContext http, TimeProvider clock, MachineDirectory machines, TokenHolders holders,
        BootstrapConfig config, string mac, string token)
    {
        if (Find(machines, mac, out var machine) is { } problem)
            return problem;
        if (machine!.Token == null || !AdminToken.SameSecret(token, machine.Token))
            return PlainText.Forbidden($"wrong token for machine {machine.Mac}'s answer file");
        if (await NotTheHolderAsync(http, holders, config, machine.Token) is { } elsewhere)
            return PlainText.Forbidden("answer file: " + elsewhere);
        if (machines.AnswerTemplateOf(machine) is not { } template)
            return Problems.NotFound($"machine {machine.Mac} has no profile with an answer template");
        var (baseUrl, urlProblem) = http.PublicBaseUrl(config);
        if (urlProblem != null)
            return Problems.Invalid(urlProblem);
        if (!await holders.TakeAnswerFetchAsync(machine.Id, machine.Token))
            return PlainText.Forbidden($"answer file: served {TokenHolders.AnswerFetches} times to machine {machine.Mac} already; assign it again for a new token and answer file");
        machines.Fetched(http.Connection.RemoteIpAddress?.ToString(), "answer file", clock.GetUtcNow());
        return PlainText.Script(AnswerFiles.Render(template, machine, baseUrl!));
    }

    /// <summary>Why a machine's token is refused from this client (null when it comes from the holder, or the check is off).</summary>
    private static async Task<string?> NotTheHolderAsync(HttpContext http, TokenHolders holders, BootstrapConfig config, string token)
    {
        if (!config.BindTokenToAddress)
            return null;
        var holder = await holders.HolderAsync(token);
        return holder == null ? "no boot script has carried this token yet: the machine boots first"
            : holder == http.ClientAddress() ? null
            : "this token is accepted only from the address its boot script was served to (bind-token-to-address in config.json)";
    }

    private static ProblemText? Find(MachineDirectory machines, string mac, out Machine? machine)
    {
        machine = null;
        if (MacAddress.Normalize(mac) is not { } normalized)
            return BadMac(mac);
        machine = machines.FindByMac(normalized);
        return machine == null ? Problems.NotFound($"no machine with MAC {normalized}") : null;
    }

    /// <summary>
    /// Sets every next boot to the disk through the machine's BMC, if it has one. The installer is
    /// answered either way: a BMC that fails leaves the handover to the network's silence, and says so in the log.
    /// </summary>
    private static async Task HandOverThroughBmcAsync(Bootstrap.Builder.Bmc.BmcOperations bmcs, ILoggerFactory logs, string mac)
    {
        if (await bmcs.HandOverToDiskAsync(mac, CancellationToken.None) is { Problem: { } failed })
            logs.CreateLogger("Bootstrap.Bmc").LogWarning("{Mac} is installed, but its BMC did not set the next boot to the disk: {Problem}", mac, failed.Message);
    }

    /// <summary>The answer to a route's MAC that is not one (every <c>/api/machines/{mac}/...</c> route).</summary>
    internal static ProblemText BadMac(string mac) =>
        Problems.Invalid($"mac: '{LogText.Escape(mac)}' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)");

}
