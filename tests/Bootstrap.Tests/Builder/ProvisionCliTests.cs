using Bootstrap.Api.Features.Machines;
using Bootstrap.Api.Cli;
using Bootstrap.Builder.Machines;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

public sealed class ProvisionCliTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await ProvisionCli.RunAsync([.. args, "--config", _site.ConfigFile], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Add_list_delete_round_trip()
    {
        Assert.Equal((0, "added 52:54:00:ab:cd:ef: network=prod farmer=1234 args=console=ttyS0 root=/dev/ram0\n", ""),
            await Run("add", "--address", "52-54-00-AB-CD-EF", "--network", "prod", "--farmer", "1234", "--args", "console=ttyS0  root=/dev/ram0"));
        Assert.Equal((0, "added 52:54:00:00:00:01: network=test farmer=7 args=\n", ""),
            await Run("add", "--address", "5254.0000.0001", "--network", "test", "--farmer", "7"));

        Assert.Equal((0,
                "52:54:00:00:00:01  network=test  farmer=7  args=\n" +
                "52:54:00:ab:cd:ef  network=prod  farmer=1234  args=console=ttyS0 root=/dev/ram0\n", ""),
            await Run("list"));
        Assert.Equal((0, "deleted 52:54:00:ab:cd:ef\n", ""), await Run("delete", "--address", "52:54:00:ab:cd:ef"));
        Assert.Equal((0, "52:54:00:00:00:01  network=test  farmer=7  args=\n", ""), await Run("list"));
    }

    [Fact]
    public async Task Duplicate_mac_is_refused()
    {
        await Run("add", "--address", "52:54:00:ab:cd:ef", "--network", "prod", "--farmer", "1");

        Assert.Equal((1, "", "provision: MAC 52:54:00:ab:cd:ef is already registered; delete it first\n"),
            await Run("add", "--address", "52:54:00:AB:CD:EF", "--network", "qa", "--farmer", "2"));
    }

    [Theory]
    [InlineData(new[] { "add", "--address", "52:54:00:ab:cd", "--network", "prod", "--farmer", "1" }, 1,
        "provision: --address: '52:54:00:ab:cd' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)\n")]
    [InlineData(new[] { "add", "--address", "52:54:00:ab:cd:ef", "--network", "main", "--farmer", "1" }, 1,
        "provision: unknown network 'main'; configured networks: dev, prod, qa, test\n")]
    [InlineData(new[] { "add", "--address", "52:54:00:ab:cd:ef", "--network", "prod", "--farmer", "1", "--args", "a;reboot" }, 1,
        "provision: args: character ';' (U+003B) is not allowed; allowed are letters, digits, space and = _ . , : - + /\n")]
    [InlineData(new[] { "add", "--address", "52:54:00:ab:cd:ef", "--network", "prod", "--farmer", "1", "--args", "root=a___b" }, 1,
        "provision: args: three underscores in a row cannot be written in a URL, where ___ stands for '/'\n")]
    [InlineData(new[] { "add", "--address", "52:54:00:ab:cd:ef", "--network", "prod" }, 2, "provision: add needs --farmer\n")]
    [InlineData(new[] { "delete", "--address", "52:54:00:ab:cd:ef" }, 1, "provision: MAC 52:54:00:ab:cd:ef is not registered\n")]
    [InlineData(new[] { "remove" }, 2, "provision: unknown command 'remove'\n")]
    [InlineData(new[] { "list", "--farmer", "1" }, 2, "provision: 'list' takes no option --farmer\n")]
    public async Task Bad_commands_get_clear_errors(string[] args, int code, string errorStart)
    {
        var (actualCode, stdout, stderr) = await Run(args);

        Assert.Equal(code, actualCode);
        Assert.Equal("", stdout);
        Assert.StartsWith(errorStart, stderr);
    }

    [Fact]
    public async Task Pending_lists_machines_that_asked()
    {
        var store = new MachineStore(_site.Database);
        store.Migrate();
        await using (var machines = new MachineDirectory(store, maxDiscovered: 100))
        {
            await machines.AskedAsync("52:54:00:00:00:09", new Facts(), "192.0.2.7", new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero));
            await machines.AskedAsync("52:54:00:00:00:09", new Facts(), "192.0.2.8", new DateTimeOffset(2026, 11, 22, 11, 0, 0, TimeSpan.Zero));
        }

        Assert.Equal((0, "52:54:00:00:00:09  first=2026-11-22 10:00:00Z  last=2026-11-22 11:00:00Z  from=192.0.2.8  count=2  first_from=192.0.2.7\n", ""),
            await Run("pending"));
    }
}
