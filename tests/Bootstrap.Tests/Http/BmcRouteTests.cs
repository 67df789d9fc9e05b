using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bootstrap.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bootstrap.Tests.Http;

/// <summary>
/// A machine's BMC through the API, against a real IPMI LAN BMC (OpenIPMI's ipmi_sim on
/// 127.0.0.1): recorded with its password sealed, power read and set, the next boot set.
/// </summary>
public sealed class BmcRouteTests : IDisposable
{
    private const string Mac = "52:54:00:bb:00:29";
    private readonly TestSite _site = new();
    private readonly IpmiSimulator _bmc = IpmiSimulator.Start();

    public void Dispose()
    {
        _bmc.Dispose();
        _site.Dispose();
    }

    private Task<HttpResponseMessage> SetBmc(string password = IpmiSimulator.Password) =>
        _site.AdminClient().PutAsJsonAsync($"/api/machines/{Mac}/bmc",
            new { type = "ipmi", address = "127.0.0.1", port = _bmc.Port, username = IpmiSimulator.User, password });

    [Fact]
    public async Task The_bmc_is_recorded_shown_without_its_password_and_stored_sealed()
    {
        var set = await SetBmc();
        var shown = await _site.AdminClient().GetAsync($"/api/machines/{Mac.ToUpperInvariant()}/bmc");

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var body = await shown.Content.ReadAsStringAsync();
        var view = JsonDocument.Parse(body).RootElement;
        Assert.Equal(("ipmi", "127.0.0.1", _bmc.Port, IpmiSimulator.User, Mac), (view.GetProperty("type").GetString(), view.GetProperty("address").GetString(),
            view.GetProperty("port").GetInt32(), view.GetProperty("username").GetString(), view.GetProperty("mac").GetString()));
        Assert.DoesNotContain(IpmiSimulator.Password, body + await set.Content.ReadAsStringAsync());
        Assert.Equal("no-store", shown.Headers.CacheControl?.ToString());
        var stored = _site.StoredValue($"SELECT password_sealed FROM machine_bmcs WHERE mac = '{Mac}'");
        Assert.False(string.IsNullOrEmpty(stored));
        Assert.DoesNotContain(IpmiSimulator.Password, stored);
    }

    [Fact]
    public async Task Power_is_read_off_set_on_read_back_and_set_off_through_the_bmc()
    {
        await SetBmc();
        var admin = _site.AdminClient();

        var before = await admin.GetFromJsonAsync<JsonElement>($"/api/machines/{Mac}/power");
        var on = await admin.PostAsJsonAsync($"/api/machines/{Mac}/power", new { action = "on" });
        var onState = (await on.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString();
        var chassisOn = _bmc.Power;
        var off = await admin.PostAsJsonAsync($"/api/machines/{Mac}/power", new { action = "off" });

        Assert.Equal("off", before.GetProperty("state").GetString());
        Assert.Equal((HttpStatusCode.OK, "on", "1"), (on.StatusCode, onState, chassisOn));
        Assert.Equal("off", (await off.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(["power 1", "power 0"], _bmc.Changes);
    }

    [Fact]
    public async Task What_the_bmc_did_is_in_a_known_machines_boot_log()
    {
        await MachineApi.AssignAsync(_site.AdminClient(), Mac, new { network = "prod", farmer = "29" });
        await SetBmc();
        var admin = _site.AdminClient();

        await admin.PutAsJsonAsync($"/api/machines/{Mac}/boot-device", new { device = "network" });
        await admin.PostAsJsonAsync($"/api/machines/{Mac}/power", new { action = "on" });
        await _site.Factory.Services.GetRequiredService<Bootstrap.Builder.Machines.MachineDirectory>().FlushAsync();

        var events = await MachineApi.GetAsync(admin, $"/api/machines/{Mac}/events");
        Assert.Equal(["bmc: power on, now on", "bmc: next boot from network (uefi)"],
            events.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "bmc")
                .Select(e => "bmc: " + e.GetProperty("detail").GetString()).ToArray());
    }

    [Fact]
    public async Task An_installed_machine_that_then_boots_locally_is_set_to_boot_its_disk_through_its_bmc()
    {
        await MachineApi.AssignAsync(_site.AdminClient(), Mac, new { network = "prod", farmer = "29", then = "local" });
        await SetBmc();
        var admin = _site.AdminClient();

        var progress = await admin.PostAsJsonAsync($"/api/machines/{Mac}/status", new { state = "progress", progress = 50 });
        var bootBefore = _bmc.Boot;
        var installed = await admin.PostAsJsonAsync($"/api/machines/{Mac}/status", new { state = "installed" });

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, "default"), (progress.StatusCode, installed.StatusCode, bootBefore));
        Assert.Equal(["boot default"], _bmc.Changes);   // the disk, for every boot from now on
    }

    [Fact]
    public async Task The_next_boot_is_set_to_the_network()
    {
        await SetBmc();

        var set = await _site.AdminClient().PutAsJsonAsync($"/api/machines/{Mac}/boot-device", new { device = "network" });

        Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        Assert.Equal("pxe", _bmc.Boot);
    }

    [Fact]
    public async Task A_bmc_that_refuses_answers_502_with_its_own_message()
    {
        await SetBmc(password: "not-the-password");

        var response = await _site.AdminClient().PostAsJsonAsync($"/api/machines/{Mac}/power", new { action = "on" });

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal($"ipmi 127.0.0.1:{_bmc.Port}: Error: Unable to establish IPMI v2 / RMCP+ session\n", await response.Content.ReadAsStringAsync());
        Assert.Empty(_bmc.Changes);
    }

    [Theory]
    [InlineData("""{"address": "-f/etc/shadow", "username": "admin", "password": "x"}""", "address: '-f/etc/shadow' is not an IPv4 or IPv6 address or a host name\n")]
    [InlineData("""{"address": "10.0.0.7", "username": "-E", "password": "x"}""", "username: a user name is 1-16 printable ASCII characters and does not start with '-'\n")]
    [InlineData("""{"address": "10.0.0.7", "username": "admin", "password": "x", "port": 70000}""", "port: 70000 is not a UDP port (1-65535)\n")]
    [InlineData("""{"address": "10.0.0.7", "username": "admin"}""", "password: required (it is sealed with the site's key ring and never shown again)\n")]
    [InlineData("""{"type": "snmp", "address": "10.0.0.7", "username": "admin", "password": "x"}""", "type: 'snmp' is not ipmi or redfish\n")]
    public async Task A_bmc_ipmitool_could_not_take_safely_is_refused_naming_the_field(string body, string message)
    {
        var response = await _site.AdminClient().PutAsync($"/api/machines/{Mac}/bmc", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal((HttpStatusCode.BadRequest, message), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("/power", "POST", """{"action": "reboot"}""", HttpStatusCode.BadRequest, "action: 'reboot' is not on, off, soft-off or cycle\n")]
    [InlineData("/boot-device", "PUT", """{"device": "usb"}""", HttpStatusCode.BadRequest, "device: 'usb' is not network, disk or cd\n")]
    [InlineData("/power", "GET", null, HttpStatusCode.NotFound, "52:54:00:bb:00:29 has no BMC: PUT /api/machines/52:54:00:bb:00:29/bmc first\n")]
    public async Task Bad_actions_and_a_machine_without_a_bmc_are_answered_plainly(string route, string method, string? body, HttpStatusCode status, string message)
    {
        if (status != HttpStatusCode.NotFound)
            await SetBmc();
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/api/machines/{Mac}{route}");
        if (body != null)
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        var response = await _site.AdminClient().SendAsync(request);

        Assert.Equal((status, message), (response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.Empty(_bmc.Changes);
    }

    [Fact]
    public async Task Without_the_token_nothing_is_recorded_or_done()
    {
        await SetBmc();
        var client = _site.Client();

        var answers = new[]
        {
            await client.PutAsJsonAsync($"/api/machines/{Mac}/bmc", new { address = "10.9.9.9", username = "x", password = "y" }),
            await client.GetAsync($"/api/machines/{Mac}/bmc"),
            await client.PostAsJsonAsync($"/api/machines/{Mac}/power", new { action = "on" }),
            await client.PutAsJsonAsync($"/api/machines/{Mac}/boot-device", new { device = "network" }),
        };

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode));
        Assert.Empty(_bmc.Changes);
        Assert.Equal("127.0.0.1", _site.StoredValue($"SELECT address FROM machine_bmcs WHERE mac = '{Mac}'"));
    }
}
