using Bootstrap.Api.Features.Accounts;
using Bootstrap.Api.Features.Catalogue;
using Bootstrap.Api.Features.Kernels;
using Bootstrap.Api.Features.Machines;
using Bootstrap.Api.Features.Site;

namespace Bootstrap.Api;

/// <summary>
/// The command-line verbs of the service's executable: <c>bootstrap VERB [SUBVERB] [options]</c>
/// (<c>setup/install.sh</c> puts <c>bootstrap</c> on PATH). Without a verb the executable runs the
/// service. Every verb and sub-verb has <c>--help</c>; <c>--config FILE</c> works on all of them.
/// </summary>
public static class BootstrapCli
{
    /// <summary>The verbs; a new one is a file in its feature's folder (Features/&lt;Feature&gt;/&lt;Feature&gt;Cli.cs) that returns its <see cref="System.CommandLine.Command"/>.</summary>
    private static IEnumerable<System.CommandLine.Command> Verbs() => [ProvisionCli.Create(), MachineCli.Create(), ProfileCli.Create(),
        KernelCli.Create(), CatalogueCli.Images(), CatalogueCli.Menus(), AccountCli.Users(), AccountCli.Organizations(), AccountCli.Groups(), SiteCli.MoveToPostgres(), Features.Bmc.BmcCli.Create()];

    /// <summary>True when <paramref name="args"/> ask for a verb or for help rather than for the service.</summary>
    public static bool Handles(string[] args)
    {
        var first = args.Length >= 2 && args[0] == Verb.ConfigOption.Name ? 2 : 0;   // --config FILE may come first
        return args.Length > first && (args[first] is "--help" or "-h" or "-?" || Verbs().Any(v => v.Name == args[first]));
    }

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr) => Verb.RunAsync(Verbs(), args, stdout, stderr);
}
