using System.CommandLine;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Machines;

namespace Bootstrap.Api.Features.Machines;

/// <summary>
/// <c>Bootstrap.Api provision add|list|delete|pending</c>: 0-bootstrap's provisioning verbs, kept
/// for its operators' scripts, on top of the machines (<see cref="MachineCli"/>): add assigns a
/// machine (then=repeat), pending lists the discovered ones.
/// </summary>
public static class ProvisionCli
{
    /// <summary>Runs <c>provision ARGS</c> (what the tests and scripts call).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) =>
        Verb.RunAsync([Create()], ["provision", .. args], stdout, stderr);

    public static Command Create()
    {
        var address = new Option<string>("--address") { Description = "the machine's MAC (aa:bb:cc:dd:ee:ff, aa-bb-.., or 12 hex digits)", Required = true };
        var network = new Option<string>("--network") { Description = "the network (runmode) it boots", Required = true };
        var farmer = new Option<string>("--farmer") { Description = "its farm id (digits)", Required = true };
        var args = new Option<string>("--args") { Description = "extra kernel arguments, '/' written as itself (the rules of the /ipxe route)" };

        var add = new Command("add", "Register a machine: its MAC boots NETWORK with FARM and ARGS") { address, network, farmer, args };
        add.SetAction(async (parse, _) => await MachineCli.WithDirectory(parse, async (config, machines) =>
        {
            var mac = MacAddress.Normalize(parse.GetValue(address));
            if (mac == null)
                return Verb.Refuse(parse, BadMac(parse.GetValue(address)));
            // The same rules as the HTTP routes: what is stored here is rendered into a script later.
            var (request, problem) = BootRequestParser.ParseTyped(config.Runmodes, parse.GetValue(network)!, parse.GetValue(farmer), parse.GetValue(args) ?? "");
            if (problem != null)
                return Verb.Refuse(parse, problem.Message);
            if (machines.FindByMac(mac) is { Assignment: not null })
                return Verb.Refuse(parse, $"MAC {mac} is already registered; delete it first");
            if ((await machines.AssignAsync(mac, new Assignment(request!.Network, request.Farmer, request.Args, null, null, null, ThenBoot.Repeat), "cli", TimeProvider.System.GetUtcNow())).Problem is { } notANic)
                return Verb.Refuse(parse, notANic.Message);
            await Out(parse).WriteLineAsync($"added {mac}: network={request.Network} farmer={request.Farmer} args={request.Args}");
            return 0;
        }));

        var deleteAddress = new Option<string>("--address") { Description = "the machine's MAC", Required = true };
        var delete = new Command("delete", "Remove a machine's registration") { deleteAddress };
        delete.SetAction(async (parse, _) => await MachineCli.WithDirectory(parse, async (_, machines) =>
        {
            var mac = MacAddress.Normalize(parse.GetValue(deleteAddress));
            if (mac == null)
                return Verb.Refuse(parse, BadMac(parse.GetValue(deleteAddress)));
            if (machines.FindByMac(mac) is not { Assignment: not null })
                return Verb.Refuse(parse, $"MAC {mac} is not registered");
            await machines.DeleteAsync(mac);
            await Out(parse).WriteLineAsync($"deleted {mac}");
            return 0;
        }));

        var list = new Command("list", "List registered (assigned) machines");
        list.SetAction(async (parse, _) => await MachineCli.WithDirectory(parse, async (_, machines) =>
        {
            foreach (var m in machines.List().Where(m => m.Assignment != null).OrderBy(m => m.Mac, StringComparer.Ordinal))
                await Out(parse).WriteLineAsync($"{m.Mac}  network={m.Assignment!.Network}  farmer={m.Assignment.Farmer}  args={m.Assignment.Args}");
            return 0;
        }));

        var pending = new Command("pending", "Machines that asked for a boot script but are not assigned (discovered)");
        pending.SetAction(async (parse, _) => await MachineCli.WithDirectory(parse, async (_, machines) =>
        {
            foreach (var p in machines.List(MachineState.Discovered))
                await Out(parse).WriteLineAsync($"{p.Mac}  first={p.FirstSeen:u}  last={p.LastSeen:u}  from={p.LastAddress}  count={p.Asks}  first_from={p.FirstAddress}");
            return 0;
        }));

        return new Command("provision", "Manage 0-bootstrap's provisioning table (MAC → network, farm, args)") { add, list, delete, pending };
    }

    private static TextWriter Out(ParseResult parse) => parse.InvocationConfiguration.Output;

    private static string BadMac(string? text) =>
        $"--address: '{BootRequestParser.Shown(text ?? "")}' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)";
}
