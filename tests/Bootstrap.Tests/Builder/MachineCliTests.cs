using Bootstrap.Api;
using System.Net;
using Bootstrap.Api.Cli;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary><c>machines</c> and <c>profiles</c> on the command line, and a running service seeing what they change.</summary>
public sealed class MachineCliTests : IDisposable
{
    private readonly TestSite _site = new();

    public MachineCliTests() => _site.AddProdKernel();

    public void Dispose() => _site.Dispose();

    private async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await BootstrapCli.RunAsync([.. args, "--config", _site.ConfigFile], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Assign_list_reset_delete_round_trip()
    {
        var (code, assigned, error) = await Run("machines", "assign", "--address", "52-54-00-00-00-0A", "--network", "prod", "--farmer", "12",
            "--args", "console=ttyS0 root=/dev/sda1", "--then", "local");
        Assert.Equal((0, ""), (code, error));
        Assert.StartsWith("assigned 52:54:00:00:00:0a  assigned  0%  network=prod farmer=12 args=console=ttyS0 root=/dev/sda1 kernel=- profile=- then=local  " +
                          "macs=52:54:00:00:00:0a  uuid=-  serial=-  last=", assigned);

        Assert.StartsWith("52:54:00:00:00:0a  assigned  0%", (await Run("machines", "list", "--state", "assigned")).Out);
        Assert.Equal((0, "", ""), await Run("machines", "list", "--state", "discovered"));
        Assert.StartsWith("reset 52:54:00:00:00:0a  discovered  0%  unassigned", (await Run("machines", "reset", "--address", "52540000000a")).Out);
        Assert.Equal((0, "deleted 52:54:00:00:00:0a\n", ""), await Run("machines", "delete", "--address", "52:54:00:00:00:0a"));
        Assert.Equal((1, "", "machines: no machine with MAC 52:54:00:00:00:0a\n"), await Run("machines", "show", "--address", "52:54:00:00:00:0a"));
    }

    [Theory]
    [InlineData(new[] { "machines", "assign", "--address", "52:54:00:00:00:0a", "--network", "prod", "--then", "never" }, "machines: then: 'never' is neither repeat nor local\n")]
    [InlineData(new[] { "machines", "assign", "--address", "nope", "--network", "prod" }, "machines: --address: 'nope' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)\n")]
    [InlineData(new[] { "machines", "list", "--state", "sleeping" }, "machines: --state: 'sleeping' is not one of discovered, assigned, provisioning, installed, failed\n")]
    [InlineData(new[] { "profiles", "put", "--name", "Bad Name", "--network", "prod" }, "profiles: name: 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit\n")]
    public async Task Bad_values_are_refused_by_name(string[] args, string message)
    {
        Assert.Equal((1, "", message), await Run(args));
    }

    [Fact]
    public async Task A_profile_from_a_file_fills_an_assignment()
    {
        var template = Path.Combine(_site.Root, "preseed.liquid");
        await File.WriteAllTextAsync(template, "d-i netcfg/get_hostname string {{ machine.hostname }}\n");

        Assert.Equal((0, "saved profile debian\n", ""),
            await Run("profiles", "put", "--name", "debian", "--network", "prod", "--farmer", "3", "--then", "local", "--answer-template", template));
        Assert.Equal((0, "debian  network=prod farmer=3 args= kernel=- then=local answer_template=54 characters\n", ""), await Run("profiles", "list"));
        Assert.StartsWith("assigned 52:54:00:00:00:0b  assigned  0%  network=prod farmer=3 args= kernel=- profile=debian then=local",
            (await Run("machines", "assign", "--address", "52:54:00:00:00:0b", "--profile", "debian", "--hostname", "node-b")).Out);
    }

    [Fact]
    public async Task A_running_service_answers_what_the_cli_just_assigned()
    {
        var client = _site.Client();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/provision/52:54:00:00:00:0c")).StatusCode);

        await Run("machines", "assign", "--address", "52:54:00:00:00:0c", "--network", "prod", "--farmer", "88");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpResponseMessage answer;
        while ((answer = await client.GetAsync("/provision/52:54:00:00:00:0c")).StatusCode != HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(5))
            await Task.Delay(20);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Contains("farmer_id=88 bootstrap_url=", await answer.Content.ReadAsStringAsync());
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }
}
