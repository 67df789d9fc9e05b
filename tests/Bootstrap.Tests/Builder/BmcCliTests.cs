using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bootstrap.Api.Features.Bmc;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// <c>bootstrap bmc ...</c> against a real IPMI LAN BMC (ipmi_sim on 127.0.0.1), on the database of
/// a running service: what the CLI seals the service opens, and the other way round.
/// </summary>
public sealed class BmcCliTests : IDisposable
{
    private const string Mac = "52:54:00:bb:02:01";
    private readonly TestSite _site = new();
    private readonly IpmiSimulator _bmc = IpmiSimulator.Start();
    private readonly string _passwordFile;

    public BmcCliTests()
    {
        _passwordFile = Path.Combine(_site.Root, "bmc-password");
        File.WriteAllText(_passwordFile, IpmiSimulator.Password + "\n");
    }

    public void Dispose()
    {
        _bmc.Dispose();
        _site.Dispose();
    }

    private async Task<(int Code, string Out, string Err)> Run(string[] args, string? stdin = null)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await BmcCli.RunAsync([.. args, "--config", _site.ConfigFile], stdout, stderr, new StringReader(stdin ?? ""));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private Task<(int Code, string Out, string Err)> Set(string mac = Mac, string? passwordFile = null, string? stdin = null) =>
        Run(["set", "--address", mac, "--bmc-address", "127.0.0.1", "--port", _bmc.Port.ToString(), "--username", IpmiSimulator.User,
            "--password-file", passwordFile ?? _passwordFile], stdin);

    [Fact]
    public async Task A_bmc_set_from_a_password_file_is_shown_without_its_password_and_the_service_opens_it()
    {
        var set = await Set();
        var shown = await Run(["show", "--address", Mac]);
        var power = await _site.AdminClient().GetFromJsonAsync<JsonElement>($"/api/machines/{Mac}/power");

        Assert.Equal((0, $"{Mac}: BMC ipmi 127.0.0.1:{_bmc.Port} as admin\n", ""), set);
        var view = JsonDocument.Parse(shown.Out).RootElement;
        Assert.Equal(("ipmi", "127.0.0.1", _bmc.Port, "admin"), (view.GetProperty("type").GetString(), view.GetProperty("address").GetString(),
            view.GetProperty("port").GetInt32(), view.GetProperty("username").GetString()));
        Assert.DoesNotContain(IpmiSimulator.Password, shown.Out);
        Assert.DoesNotContain(IpmiSimulator.Password, _site.StoredValue($"SELECT password_sealed FROM machine_bmcs WHERE mac = '{Mac}'"));
        Assert.Equal("off", power.GetProperty("state").GetString());
    }

    [Fact]
    public async Task The_password_is_read_from_stdin_for_a_dash_and_a_bmc_the_service_set_is_used_by_the_cli()
    {
        Assert.Equal(0, (await Set(passwordFile: "-", stdin: IpmiSimulator.Password + "\n")).Code);
        Assert.Equal(HttpStatusCode.OK, (await _site.AdminClient().PutAsJsonAsync($"/api/machines/52:54:00:bb:02:02/bmc",
            new { address = "127.0.0.1", port = _bmc.Port, username = IpmiSimulator.User, password = IpmiSimulator.Password })).StatusCode);

        Assert.Equal((0, $"{Mac}: power off\n", ""), await Run(["power", "--address", Mac]));
        Assert.Equal((0, "52:54:00:bb:02:02: power on, now on\n", ""), await Run(["power", "--address", "52:54:00:bb:02:02", "--action", "on"]));
        Assert.Equal(["power 1"], _bmc.Changes);
    }

    [Fact]
    public async Task Power_and_the_next_boot_are_set_through_the_bmc()
    {
        await Set();

        Assert.Equal((0, $"{Mac}: next boot from network (legacy)\n", ""), await Run(["boot-device", "--address", Mac, "--device", "network", "--mode", "legacy"]));
        Assert.Equal((0, $"{Mac}: power on, now on\n", ""), await Run(["power", "--address", Mac, "--action", "on"]));
        Assert.Equal((0, $"{Mac}: power off, now off\n", ""), await Run(["power", "--address", Mac, "--action", "off"]));
        Assert.Equal(["boot pxe", "power 1", "power 0"], _bmc.Changes);
    }

    [Fact]
    public async Task Provision_assigns_each_machine_boots_it_from_the_network_and_says_which_failed()
    {
        await Set();

        var result = await Run(["provision", "--address", Mac, "--address", "52:54:00:bb:02:09", "--network", "prod", "--farmer", "77"]);

        Assert.Equal((Bootstrap.Api.Cli.Verb.Refused,
            $"{Mac}  ok  on  assigned prod/77; next boot from network (uefi); power on, now on\n" +
            "52:54:00:bb:02:09  failed  unknown  52:54:00:bb:02:09 has no BMC: PUT /api/machines/52:54:00:bb:02:09/bmc first\n",
            "bmc: 1 provisioned, 1 failed\n"), result);
        Assert.Equal(["boot pxe", "power 1"], _bmc.Changes);
        var machine = await _site.AdminClient().GetFromJsonAsync<JsonElement>($"/api/machines/{Mac}");
        Assert.Equal("77", machine.GetProperty("assignment").GetProperty("farmer").GetString());
    }

    [Fact]
    public async Task A_redfish_bmc_pinned_by_fingerprint_takes_and_ejects_a_virtual_cd_and_boots_it()
    {
        await using var redfish = await RedfishEmulator.StartAsync();
        using var image = ImageServer.Start(new byte[2048]);
        File.WriteAllText(_passwordFile, RedfishEmulator.Password);

        var set = await Run(["set", "--address", Mac, "--type", "redfish", "--bmc-address", "127.0.0.1", "--port", redfish.Port.ToString(),
            "--username", RedfishEmulator.User, "--password-file", _passwordFile, "--ca-fingerprint", redfish.Fingerprint.ToUpperInvariant()]);
        var inserted = await Run(["insert-media", "--address", Mac, "--image", image.Url.AbsoluteUri]);
        var ejected = await Run(["eject-media", "--address", Mac]);
        var provisioned = await Run(["provision", "--address", Mac, "--image", image.Url.AbsoluteUri]);

        Assert.Equal((0, $"{Mac}: BMC redfish 127.0.0.1:{redfish.Port} as root\n", ""), set);
        Assert.Equal((0, $"{Mac}: virtual CD {image.Url} inserted\n", ""), inserted);
        Assert.Equal((0, $"{Mac}: virtual CD ejected\n", ""), ejected);
        Assert.Equal((0, $"{Mac}  ok  on  virtual CD {image.Url}; next boot from cd (uefi); power on, now on\n", ""), provisioned);
        Assert.Equal([$"insert {image.Url}", "eject", $"insert {image.Url}", "boot Cd Once UEFI", "reset On"], redfish.Changes);
    }

    [Theory]
    [InlineData(new[] { "insert-media", "--address", Mac, "--image", "file:///etc/passwd" },
        "bmc: --image: 'file:///etc/passwd' is not an http or https URL (at most 2048 characters, no spaces)\n")]
    [InlineData(new[] { "set", "--address", Mac, "--bmc-address", "127.0.0.1", "--username", "admin", "--password-file", "/nonexistent/pw" },
        "bmc: --password-file: '/nonexistent/pw' cannot be read or is empty\n")]
    [InlineData(new[] { "set", "--address", Mac, "--bmc-address", "-f/etc/shadow", "--username", "admin", "--password-file", "-" },
        "bmc: address: '-f/etc/shadow' is not an IPv4 or IPv6 address or a host name\n")]
    [InlineData(new[] { "provision", "--address", Mac, "--address", "zz" },
        "bmc: --address[1].mac: 'zz' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)\n")]
    [InlineData(new[] { "power", "--address", Mac, "--action", "reboot" }, "bmc: action: 'reboot' is not on, off, soft-off or cycle\n")]
    [InlineData(new[] { "show", "--address", Mac }, $"bmc: {Mac} has no BMC: PUT /api/machines/{Mac}/bmc first\n")]
    public async Task Bad_values_are_refused_naming_them_and_nothing_is_done(string[] args, string refusal)
    {
        var result = await Run(args, stdin: "pw\n");

        Assert.Equal((Bootstrap.Api.Cli.Verb.Refused, "", refusal), result);
        Assert.Empty(_bmc.Changes);
    }
}
