using Bootstrap.Api.Features.Boot;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Observability;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Kernels;

namespace Bootstrap.Api.Features.Machines;

/// <summary>
/// <c>/provision/{mac}</c>: what a machine booting a generic image is told. An assigned machine
/// gets its boot script (or, installed with then=local, the local-disk script); any other gets
/// 404, as in 0-bootstrap, and is recorded as discovered with what iPXE said about it.
/// </summary>
public static class ProvisionEndpoints
{
    public static void MapProvisioning(this IEndpointRouteBuilder app)
    {
        app.MapGet("/provision/{mac}", Answer)
            .WithSummary("Boot script of an assigned machine; any other is recorded as discovered (404). " +
                         "Query: uuid, serial, manufacturer, product, asset, platform, arch, ip (what iPXE knows)")
            .MayBeUnavailable();
    }

    private static async Task<Results<Text<Status.Ok>, Text<Status.BadRequest>, Text<Status.NotFound>, Text<Status.TooMany>, RequestProblemText>> Answer(HttpContext http, TimeProvider clock, BootstrapConfig config, KernelStore kernels,
        BootScripts scripts, MachineDirectory machines, TokenHolders holders, BootstrapMetrics metrics, ClientBudgets budgets, string mac)
    {
        var normalized = MacAddress.Normalize(mac);
        if (normalized == null)
            return PlainText.BadRequest("mac: expected 12 hex digits, e.g. 52:54:00:12:34:56");
        var address = http.Connection.RemoteIpAddress?.ToString();
        var now = clock.GetUtcNow();
        var machine = machines.FindByMac(normalized);
        if (machine?.Assignment == null || machine.State is MachineState.Discovered or MachineState.Failed)
        {
            metrics.UnknownMacs.Add(1);
            var facts = MachineFacts.Clean(FactsFrom(http.Request.Query));
            if (!machines.Knows([normalized], facts.Uuid) && budgets.UnknownMachine(http) is { } tooMany)
                return tooMany;
            machine = await machines.AskedAsync(normalized, facts, address, now);
            return PlainText.NotFound(machine.State == MachineState.Failed
                ? $"machine {normalized} failed ({machine.Message}): waiting for the operator to reset or assign it"
                : $"machine {normalized} is not assigned yet (listed as discovered on /machines)");
        }
        var job = machine.Assignment;
        if (machine.BootsLocalDisk || job.Menu != null)
        {
            var (baseUrl, urlProblem) = http.PublicBaseUrl(config);
            if (urlProblem != null)
                return PlainText.BadRequest(urlProblem);
            var (what, script) = machine.BootsLocalDisk
                ? ("local disk", scripts.LocalDisk(baseUrl!))
                : ($"menu {job.Menu}", BootScripts.MenuChain(baseUrl!, job.Menu!, machine.Token!));
            machines.ScriptServed(machine, what, address, now);
            return PlainText.Script(script);
        }
        // Stored args are decoded already, and decoding leaves them as they are (ArgsSegment), so they
        // pass the same checks as a URL's; a row 0-bootstrap wrote is checked like a request.
        var (bound, error) = BootRequestBinding.Bind(http, config, kernels, job.Network, job.Farmer, job.Args, job.Kernel);
        if (error != null)
            return error;
        var answerUrl = job.Profile != null && machines.AnswerTemplateOf(machine) != null
            ? $"{bound!.BaseUrl}/answer/{machine.Mac}/{machine.Token}"
            : null;
        var architecture = KernelArchitecture.OfBuild(machine.Facts.Arch) ?? KernelArchitecture.X86_64;
        machines.ScriptServed(machine, $"boot {bound!.Request.KernelPathFor(architecture)}", address, now);
        holders.HandedOut(machine.Id, machine.Token!, http.ClientAddress());
        return PlainText.Script(scripts.AssignedUtf8(bound.Request, bound.BaseUrl, machine.Token!, answerUrl, bound.Architectures));
    }

    /// <summary>The facts iPXE's generic script sends as query parameters (their names as docs/machines.md lists them).</summary>
    private static Facts FactsFrom(IQueryCollection query) => new(
        Uuid: query["uuid"].FirstOrDefault(), Serial: query["serial"].FirstOrDefault(), Manufacturer: query["manufacturer"].FirstOrDefault(),
        Product: query["product"].FirstOrDefault(), Asset: query["asset"].FirstOrDefault(), Platform: query["platform"].FirstOrDefault(),
        Arch: query["arch"].FirstOrDefault(), Ip: query["ip"].FirstOrDefault());
}
