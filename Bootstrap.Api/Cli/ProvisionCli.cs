using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Provisioning;
using Bootstrap.Builder.Requests;

namespace Bootstrap.Api.Cli;

/// <summary>
/// <c>Bootstrap.Api provision [--config FILE] add|list|delete|pending ...</c>: manages the
/// provisioning database the running service reads. Exit code 0 on success, 1 on a refused
/// operation, 2 on a usage error.
/// </summary>
public static class ProvisionCli
{
    private const string Usage = """
        usage: Bootstrap.Api provision [--config FILE] <command>
          add --address MAC --network NETWORK --farmer FARM [--args "KERNEL ARGS"]
          list
          delete --address MAC
          pending                 machines that asked for a boot script but are not registered
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var options = new Dictionary<string, string>();
        var words = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                if (i + 1 >= args.Length)
                    return Fail(stderr, 2, $"option {args[i]} needs a value\n{Usage}");
                options[args[i][2..]] = args[++i];
            }
            else
            {
                words.Add(args[i]);
            }
        }
        if (words.Count != 1)
            return Fail(stderr, 2, Usage);
        var allowed = words[0] switch
        {
            "add" => new[] { "config", "address", "network", "farmer", "args" },
            "delete" => ["config", "address"],
            "list" or "pending" => ["config"],
            _ => null,
        };
        if (allowed == null)
            return Fail(stderr, 2, $"unknown command '{words[0]}'\n{Usage}");
        var stray = options.Keys.FirstOrDefault(k => !allowed.Contains(k));
        if (stray != null)
            return Fail(stderr, 2, $"'{words[0]}' takes no option --{stray}\n{Usage}");

        BootstrapConfig config;
        try
        {
            config = ConfigLoader.Load(ConfigLoader.Locate(options.GetValueOrDefault("config")));
        }
        catch (ConfigException e)
        {
            return Fail(stderr, 1, e.Message);
        }
        var store = new ProvisionStore(config.BootstrapDb);
        store.ApplySchema();

        switch (words[0])
        {
            case "add":
                return await Add(config, store, options, stdout, stderr);
            case "delete":
            {
                var mac = MacAddress.Normalize(options.GetValueOrDefault("address"));
                if (mac == null)
                    return Fail(stderr, 1, BadMac(options.GetValueOrDefault("address")));
                if (!await store.DeleteAsync(mac))
                    return Fail(stderr, 1, $"MAC {mac} is not registered");
                await stdout.WriteLineAsync($"deleted {mac}");
                return 0;
            }
            case "list":
                foreach (var e in await store.ListAsync())
                    await stdout.WriteLineAsync($"{e.Mac}  network={e.Network}  farmer={e.Farmer}  args={e.Args}");
                return 0;
            default:
                foreach (var p in await store.PendingAsync())
                    await stdout.WriteLineAsync(
                        $"{p.Mac}  first={p.FirstSeen:u}  last={p.LastSeen:u}  from={p.RemoteAddress}  count={p.Count}");
                return 0;
        }
    }

    private static async Task<int> Add(BootstrapConfig config, ProvisionStore store, Dictionary<string, string> options,
        TextWriter stdout, TextWriter stderr)
    {
        var missing = new[] { "address", "network", "farmer" }.FirstOrDefault(k => !options.ContainsKey(k));
        if (missing != null)
            return Fail(stderr, 2, $"add needs --{missing}\n{Usage}");
        var mac = MacAddress.Normalize(options["address"]);
        if (mac == null)
            return Fail(stderr, 1, BadMac(options["address"]));
        // The same rules as the HTTP routes: what is stored here is rendered into a script later.
        var (request, problem) = BootRequestParser.Parse(config.Runmodes, options["network"], options["farmer"], options.GetValueOrDefault("args", ""));
        if (problem != null)
            return Fail(stderr, 1, problem.Message);
        try
        {
            await store.AddAsync(new ProvisionEntry(mac, request!.Network, request.Farmer!, request.Args));
        }
        catch (DuplicateMacException e)
        {
            return Fail(stderr, 1, e.Message);
        }
        await stdout.WriteLineAsync($"added {mac}: network={request.Network} farmer={request.Farmer} args={request.Args}");
        return 0;
    }

    private static string BadMac(string? text) =>
        $"--address: '{BootRequestParser.Shown(text ?? "")}' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)";

    private static int Fail(TextWriter stderr, int code, string message)
    {
        stderr.WriteLine($"provision: {message}");
        return code;
    }
}
