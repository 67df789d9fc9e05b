using System.CommandLine;

namespace Bootstrap.Api.Cli;

/// <summary>
/// What every feature's CLI verb shares (System.CommandLine): the <c>--config</c> option, the
/// config loaded from it, refusals as <c>VERB: message</c> on stderr, and running a set of verbs
/// with usage errors said in an operator's words. Exit codes: 0 done, 1 refused (bad value,
/// unknown record, unusable config), 2 usage error.
/// </summary>
public static class Verb
{
    public const int Refused = 1;
    public const int UsageError = 2;

    /// <summary>The config file, as for the service; recursive, so every verb takes it.</summary>
    public static readonly Option<string?> ConfigOption = new("--config")
    {
        Description = "config.json to use (default: config.json in the working folder or its nearest parent)",
        Recursive = true,
    };

    /// <summary>Parses <paramref name="args"/> against <paramref name="verbs"/> and runs the one named.</summary>
    public static async Task<int> RunAsync(IEnumerable<Command> verbs, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Bootstrap: network boot for bare-metal farms. Without a verb it runs the service " +
                                   "(--config FILE, --urls URLS); the verbs below manage its database.");
        root.Add(ConfigOption);
        foreach (var verb in verbs)
            root.Add(verb);
        var parse = root.Parse(args);
        var config = new InvocationConfiguration { Output = stdout, Error = stderr };
        if (parse.Errors.Count > 0 && !AsksForHelp(args))
        {
            await stderr.WriteLineAsync($"{VerbOf(parse)}: {Explain(parse)}\nusage: see {Usage(parse)} --help");
            return UsageError;
        }
        return await parse.InvokeAsync(config);
    }

    /// <summary>Loads the config named by <c>--config</c>; null (and the reason on stderr) when it is unusable.</summary>
    public static BootstrapConfig? LoadConfig(ParseResult parse)
    {
        try
        {
            return ConfigLoader.Load(ConfigLoader.Locate(parse.GetValue(ConfigOption)));
        }
        catch (ConfigException e)
        {
            parse.InvocationConfiguration.Error.WriteLine($"{VerbOf(parse)}: {e.Message}");
            return null;
        }
    }

    /// <summary>An option a verb cannot do without (System.CommandLine says so when it is missing).</summary>
    public static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    /// <summary>Writes a refusal as <c>VERB: message</c> on stderr and returns <see cref="Refused"/>.</summary>
    public static int Refuse(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine($"{VerbOf(parse)}: {message}");
        return Refused;
    }

    private static bool AsksForHelp(string[] args) => args.Any(a => a is "--help" or "-h" or "-?");

    /// <summary>What is wrong, in the words an operator types: the unknown command, the stray option, the missing one.</summary>
    private static string Explain(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        if (parse.UnmatchedTokens.FirstOrDefault() is { } stray)
            return stray.StartsWith('-') ? $"'{command.Name}' takes no option {stray}"
                : command.Subcommands.Count > 0 ? $"unknown command '{stray}'"
                : $"'{command.Name}' takes no argument '{stray}'";
        if (command.Options.FirstOrDefault(o => o.Required && parse.GetResult(o) is not { IdentifierToken: not null }) is { } missing)
            return $"{command.Name} needs {missing.Name}";
        return parse.Errors[0].Message;
    }

    /// <summary>The top-level verb the error belongs to (provision, machines, ...), or the program's name.</summary>
    private static string VerbOf(ParseResult parse)
    {
        var result = parse.CommandResult;
        while (result.Parent is System.CommandLine.Parsing.CommandResult parent && parent.Parent != null)
            result = parent;
        return result.Parent == null ? "bootstrap" : result.Command.Name;
    }

    private static string Usage(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
            names.Insert(0, result.Command.Name);
        return string.Join(' ', names.Prepend("bootstrap"));
    }
}
