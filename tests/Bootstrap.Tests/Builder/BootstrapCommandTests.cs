using Bootstrap.Tests.Support;
using CliWrap;
using CliWrap.Buffered;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// The command on PATH (setup/bootstrap-cli, installed as /usr/local/bin/bootstrap): from any
/// folder of a checkout it runs that checkout's build with the verbs of the executable.
/// </summary>
public sealed class BootstrapCommandTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private static async Task<(int Code, string Out, string Err)> Bootstrap(string folder, params string[] args)
    {
        var result = await Cli.Wrap("bash").WithArguments([Path.Combine(RepoRoot.Path, "setup", "bootstrap-cli"), .. args])
            .WithWorkingDirectory(folder).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        return (result.ExitCode, result.StandardOutput, result.StandardError);
    }

    [Fact]
    public async Task From_a_folder_of_the_checkout_it_runs_the_verbs_on_the_given_site()
    {
        var docs = Path.Combine(RepoRoot.Path, "docs");
        var added = await Bootstrap(docs, "provision", "add", "--address", "52:54:00:c0:ff:01", "--network", "prod", "--farmer", "77", "--config", _site.ConfigFile);
        var listed = await Bootstrap(docs, "provision", "list", "--config", _site.ConfigFile);

        Assert.Equal((0, ""), (added.Code, added.Err));
        Assert.Equal(0, listed.Code);
        Assert.Contains("52:54:00:c0:ff:01", listed.Out);
        Assert.Contains("77", listed.Out);
    }

    [Fact]
    public async Task A_usage_error_names_the_command_to_ask_for_help()
    {
        var (code, _, err) = await Bootstrap(RepoRoot.Path, "provision", "delete", "--config", _site.ConfigFile);

        Assert.Equal(2, code);
        Assert.EndsWith("usage: see bootstrap provision delete --help\n", err);
    }
}
