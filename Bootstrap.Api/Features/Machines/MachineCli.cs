using System.CommandLine;
using System.Text.Json;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Builder.Kernels;

namespace Bootstrap.Api.Features.Machines;

/// <summary>
/// <c>Bootstrap.Api machines list|show|assign|reset|pxe|delete</c>: the machines API on the command
/// line, writing the database directly. A running service on the same database sees each change
/// at once (<see cref="MachineDirectory"/>'s change marker).
/// </summary>
public static class MachineCli
{
    private static readonly JsonSerializerOptions Pretty = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var state = new Option<string?>("--state") { Description = $"only machines in this state ({string.Join(", ", MachineStates.Names)})" };
        var list = new Command("list", "One line per machine, discovered first") { state };
        list.SetAction(async (parse, _) => await WithDirectory(parse, async (_, machines) =>
        {
            var only = parse.GetValue(state);
            var wanted = MachineStates.Parse(only);
            if (only != null && wanted == null)
                return Verb.Refuse(parse, $"--state: '{BootRequestParser.Shown(only)}' is not one of {string.Join(", ", MachineStates.Names)}");
            foreach (var m in machines.List(wanted))
                await Out(parse).WriteLineAsync(Line(m));
            return 0;
        }));

        var showAddress = Address();
        var show = new Command("show", "A machine as JSON, as GET /api/machines/<mac> answers") { showAddress };
        show.SetAction(async (parse, _) => await WithMachine(parse, showAddress, async (_, _, machine) =>
        {
            await Out(parse).WriteLineAsync(JsonSerializer.Serialize(MachineEndpoints.MachineView.Of(machine), Pretty));
            return 0;
        }));

        var assignAddress = Address();
        var fields = new AssignmentOptions();
        var assign = new Command("assign", "Give a machine its job (a machine not known yet is created)") { assignAddress };
        fields.AddTo(assign, withHostname: true);
        assign.SetAction(async (parse, _) => await WithDirectory(parse, async (config, machines) =>
        {
            if (MacAddress.Normalize(parse.GetValue(assignAddress)) is not { } mac)
                return Verb.Refuse(parse, BadMac(parse.GetValue(assignAddress)));
            using var kernels = KernelStore.For(config, machines.Database);
            var menus = (await new Builder.Catalogue.MenuStore(machines.Database).ListAsync()).Select(m => m.Name).ToHashSet();
            var (assignment, problem) = AssignmentRules.Check(fields.Read(parse), config.Runmodes, kernels.Exists, machines.FindProfile, menus.Contains);
            if (problem != null)
                return Verb.Refuse(parse, problem.Message);
            var assigned = await machines.AssignAsync(mac, assignment!, "cli", TimeProvider.System.GetUtcNow());
            if (assigned.Problem is { } notANic)
                return Verb.Refuse(parse, notANic.Message);
            await Out(parse).WriteLineAsync($"assigned {Line(assigned.Value!)}");
            return 0;
        }));

        var resetAddress = Address();
        var reset = new Command("reset", "Send a machine back to discovered (its assignment and token go)") { resetAddress };
        reset.SetAction(async (parse, _) => await WithMachine(parse, resetAddress, async (_, machines, machine) =>
        {
            var back = await machines.ResetAsync(machine.Mac, "cli", TimeProvider.System.GetUtcNow());
            await Out(parse).WriteLineAsync($"reset {Line(back!)}");
            return 0;
        }));

        var pxeAddress = Address();
        var pxeSetting = new Argument<string>("setting") { Description = $"{string.Join(", ", PxeSetting.All)}: answer it, never answer it (another PXE server owns it), or hand even its iPXE ROM our iPXE first" };
        var pxe = new Command("pxe", "What the built-in PXE server does for a machine (a machine not known yet is created)") { pxeAddress, pxeSetting };
        pxe.SetAction(async (parse, _) => await WithDirectory(parse, async (_, machines) =>
        {
            if (MacAddress.Normalize(parse.GetValue(pxeAddress)) is not { } mac)
                return Verb.Refuse(parse, BadMac(parse.GetValue(pxeAddress)));
            var set = await machines.SetPxeAsync(mac, parse.GetValue(pxeSetting)!, "cli", TimeProvider.System.GetUtcNow());
            if (set.Problem is { } refused)
                return Verb.Refuse(parse, refused.Message);
            await Out(parse).WriteLineAsync($"{set.Message}: {Line(set.Value!)}");
            return 0;
        }));

        var deleteAddress = Address();
        var delete = new Command("delete", "Forget a machine, its MACs and its boot log") { deleteAddress };
        delete.SetAction(async (parse, _) => await WithMachine(parse, deleteAddress, async (_, machines, machine) =>
        {
            await machines.DeleteAsync(machine.Mac);
            await Out(parse).WriteLineAsync($"deleted {machine.Mac}");
            return 0;
        }));

        return new Command("machines", "The machines the service knows: discovered, assigned, provisioning, installed, failed")
            { list, show, assign, reset, pxe, delete };
    }

    /// <summary>A machine on one line: MAC, state, progress, job, identity, last seen.</summary>
    public static string Line(Machine m)
    {
        var job = m.Assignment switch
        {
            { Menu: { } menu } a => $"menu={menu} then={a.Then}",
            { } a => $"network={a.Network} farmer={a.Farmer ?? "-"} args={a.Args} kernel={a.Kernel ?? "-"} profile={a.Profile ?? "-"} then={a.Then}",
            null => "unassigned",
        };
        return $"{m.Mac}  {m.State.Name()}  {m.Progress}%  {job}  macs={string.Join(",", m.Macs)}  uuid={m.Facts.Uuid ?? "-"}  " +
               $"serial={m.Facts.Serial ?? "-"}  last={m.LastSeen:u}  from={m.LastAddress ?? "-"}";
    }

    internal static Option<string> Address() =>
        new("--address") { Description = "one of the machine's MACs (aa:bb:cc:dd:ee:ff, aa-bb-.., or 12 hex digits)", Required = true };

    internal static string BadMac(string? text) =>
        $"--address: '{BootRequestParser.Shown(text ?? "")}' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)";

    internal static TextWriter Out(ParseResult parse) => parse.InvocationConfiguration.Output;

    /// <summary>Opens the machines of the config's database (migrated, as the service does at start), runs <paramref name="action"/>, writes what it left behind.</summary>
    internal static async Task<int> WithDirectory(ParseResult parse, Func<BootstrapConfig, MachineDirectory, Task<int>> action)
    {
        if (Verb.LoadConfig(parse) is not { } config)
            return Verb.Refused;
        using var database = BootstrapDatabase.From(config);
        var store = new MachineStore(database);
        store.Migrate();
        await using var machines = new MachineDirectory(store, config.MaxPendingMachines, warning => parse.InvocationConfiguration.Error.WriteLine(warning));
        return await action(config, machines);
    }

    private static Task<int> WithMachine(ParseResult parse, Option<string> address, Func<BootstrapConfig, MachineDirectory, Machine, Task<int>> action) =>
        WithDirectory(parse, async (config, machines) =>
        {
            if (MacAddress.Normalize(parse.GetValue(address)) is not { } mac)
                return Verb.Refuse(parse, BadMac(parse.GetValue(address)));
            if (machines.FindByMac(mac) is not { } machine)
                return Verb.Refuse(parse, $"no machine with MAC {mac}");
            return await action(config, machines, machine);
        });
}

/// <summary>The assignment fields as options, shared by <c>machines assign</c> and <c>profiles put</c>.</summary>
internal sealed class AssignmentOptions
{
    private readonly Option<string?> _network = new("--network") { Description = "the network (runmode) it boots" };
    private readonly Option<string?> _farmer = new("--farmer") { Description = "its farm id (digits)" };
    private readonly Option<string?> _args = new("--args") { Description = "extra kernel arguments, '/' written as itself (the rules of the /ipxe route)" };
    private readonly Option<string?> _kernel = new("--kernel") { Description = "a kernel file instead of the network's runmode link" };
    private readonly Option<string?> _profile = new("--profile") { Description = "a profile whose fields fill the ones not given" };
    private readonly Option<string?> _then = new("--then") { Description = "after 'installed': repeat (boot this again, the default) or local (boot the disk)" };
    private readonly Option<string?> _hostname = new("--hostname") { Description = "its host name (for answer files)" };
    private readonly Option<string?> _menu = new("--menu") { Description = "a boot menu instead of a network (see /api/menus)" };

    public void AddTo(Command command, bool withHostname)
    {
        command.Add(_network);
        command.Add(_farmer);
        command.Add(_args);
        command.Add(_kernel);
        command.Add(_then);
        if (withHostname)
        {
            command.Add(_profile);
            command.Add(_hostname);
            command.Add(_menu);
        }
    }

    public AssignmentInput Read(ParseResult parse, string? answerTemplate = null) => new(
        parse.GetValue(_network), parse.GetValue(_farmer), parse.GetValue(_args), parse.GetValue(_kernel),
        parse.GetValue(_profile), parse.GetValue(_menu), parse.GetValue(_then), parse.GetValue(_hostname), answerTemplate);
}
