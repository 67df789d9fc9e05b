using Bootstrap.Api;
using Bootstrap.Api.Cli;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>Every verb and sub-verb answers --help; usage errors exit 2, refusals 1.</summary>
public sealed class CliTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await BootstrapCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData(new[] { "--help" }, "provision")]
    [InlineData(new[] { "provision", "--help" }, "pending")]
    [InlineData(new[] { "provision", "add", "--help" }, "--farmer <farmer> (REQUIRED)")]
    [InlineData(new[] { "provision", "list", "--help" }, "--config <config>")]
    [InlineData(new[] { "provision", "delete", "--help" }, "--address <address> (REQUIRED)")]
    [InlineData(new[] { "provision", "pending", "-h" }, "Machines that asked for a boot script but are not assigned (discovered)")]
    [InlineData(new[] { "--help" }, "machines")]
    [InlineData(new[] { "machines", "--help" }, "assign")]
    [InlineData(new[] { "machines", "assign", "--help" }, "--then <then>")]
    [InlineData(new[] { "machines", "list", "--help" }, "--state <state>")]
    [InlineData(new[] { "profiles", "put", "--help" }, "--answer-template <answer-template>")]
    public async Task Every_verb_has_help(string[] args, string mentions)
    {
        var (code, stdout, stderr) = await Run(args);

        Assert.Equal((0, ""), (code, stderr));
        Assert.Contains("Usage:", stdout);
        Assert.Contains(mentions, stdout);
    }

    [Fact]
    public void The_service_runs_unless_a_verb_or_help_is_asked_for()
    {
        Assert.True(BootstrapCli.Handles(["provision", "list"]));
        Assert.True(BootstrapCli.Handles(["--help"]));
        Assert.False(BootstrapCli.Handles([]));
        Assert.False(BootstrapCli.Handles(["--config", "x.json", "--urls", "http://127.0.0.1:1"]));
    }

    [Fact]
    public async Task A_missing_option_value_is_a_usage_error()
    {
        var (code, stdout, stderr) = await Run("provision", "delete", "--address");

        Assert.Equal((2, ""), (code, stdout));
        Assert.StartsWith("provision: ", stderr);
        Assert.EndsWith("usage: see bootstrap provision delete --help\n", stderr);
    }

    [Fact]
    public async Task An_unusable_config_is_refused_naming_the_key()
    {
        File.WriteAllText(_site.ConfigFile, """{"http-port": 0}""");

        var result = await Run("provision", "list", "--config", _site.ConfigFile);

        Assert.Equal((1, "", "provision: config key 'http-port': 0 is not a TCP port (1-65535)\n"), result);
    }

    [Fact]
    public async Task Config_works_before_the_verb_too()
    {
        Assert.Equal((0, "", ""), await Run("--config", _site.ConfigFile, "provision", "list"));
    }
}
