using System.Net;
using System.Net.Http.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// The BMC on the machines page, against a real IPMI LAN BMC (ipmi_sim): give a machine its BMC,
/// see its power, act on it, set its next boot, provision the machines chosen, forget the BMC.
/// </summary>
public sealed class BmcPageTests : IDisposable
{
    private const string Mac = "52:54:00:bb:04:01";
    private readonly TestSite _site = new();
    private readonly IpmiSimulator _bmc = IpmiSimulator.Start();

    public void Dispose()
    {
        _bmc.Dispose();
        _site.Dispose();
    }

    private async Task<(HttpClient Client, string FormToken)> SignedIn()
    {
        await MachineApi.AssignAsync(_site.AdminClient(), Mac, new { network = "prod", farmer = "5" });
        var client = _site.Client();
        Assert.Equal(HttpStatusCode.Redirect, (await PageSignIn.PostAsync(client, "/machines")).StatusCode);
        return (client, PageSignIn.FormToken(await client.GetStringAsync("/machines")));
    }

    private static FormUrlEncodedContent Form(string token, params (string Name, string Value)[] fields) =>
        new([new("__af", token), .. fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value))]);

    private Task<HttpResponseMessage> SaveBmc(HttpClient client, string token, string password = IpmiSimulator.Password, string port = "") =>
        client.PostAsync($"/machines/{Mac}/bmc", Form(token, ("type", "ipmi"), ("address", "127.0.0.1"), ("port", port == "" ? _bmc.Port.ToString() : port),
            ("username", IpmiSimulator.User), ("password", password)));

    [Fact]
    public async Task A_bmc_saved_on_the_page_shows_the_power_and_the_forms_act_through_it()
    {
        var (client, token) = await SignedIn();

        var saved = await SaveBmc(client, token);
        var power = await client.PostAsync($"/machines/{Mac}/power", Form(token, ("action", "on")));
        var boot = await client.PostAsync($"/machines/{Mac}/boot-device", Form(token, ("device", "network"), ("mode", "legacy")));
        var page = await client.GetStringAsync("/machines");

        Assert.Equal((HttpStatusCode.Redirect, "/machines"), (saved.StatusCode, saved.Headers.Location?.OriginalString));
        Assert.Equal(HttpStatusCode.Redirect, power.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, boot.StatusCode);
        Assert.Equal(["power 1", "boot pxe"], _bmc.Changes);
        Assert.Contains($"BMC ipmi 127.0.0.1:{_bmc.Port} as admin · power <b class=\"power\">on (read ", page);
        Assert.Contains("power on, now on", page);   // the boot log
        Assert.DoesNotContain(IpmiSimulator.Password, page);
        Assert.Contains($"<input id=\"bmc-password-{Mac.Replace(":", "")}\" name=\"password\" type=\"password\" required autocomplete=\"new-password\" />", page);
    }

    [Fact]
    public async Task The_machines_chosen_are_provisioned_and_each_outcome_is_shown()
    {
        var (client, token) = await SignedIn();
        await SaveBmc(client, token);
        Assert.Equal(HttpStatusCode.OK, (await _site.AdminClient().PutAsJsonAsync("/api/machines/52:54:00:bb:04:02/bmc",
            new { address = "127.0.0.1", port = _bmc.Port, username = "admin", password = "wrong" })).StatusCode);
        token = PageSignIn.FormToken(await client.GetStringAsync("/machines"));

        var provisioned = await client.PostAsync("/machines/provision", Form(token, ("mac", Mac), ("mac", "52:54:00:bb:04:02"), ("mode", "uefi")));
        var page = await provisioned.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, provisioned.StatusCode);
        Assert.Contains("Provisioned through the BMCs: 1 done, 1 failed", page);
        Assert.Contains($"<tr data-ok=\"true\"><td>{Mac}</td><td>done</td><td>on</td><td>next boot from network (uefi); power on, now on</td></tr>", page);
        Assert.Contains($"<tr data-ok=\"false\"><td>52:54:00:bb:04:02</td><td>failed</td><td>unknown</td><td>ipmi 127.0.0.1:{_bmc.Port}: Error: Unable to establish IPMI v2 / RMCP&#x2B; session</td></tr>", page);
        Assert.Equal(["boot pxe", "power 1"], _bmc.Changes);
    }

    [Fact]
    public async Task A_redfish_bmc_pinned_on_the_page_takes_a_virtual_cd_and_ejects_it()
    {
        var (client, token) = await SignedIn();
        await using var redfish = await RedfishEmulator.StartAsync();
        using var image = ImageServer.Start(new byte[1024]);

        var saved = await client.PostAsync($"/machines/{Mac}/bmc", Form(token, ("type", "redfish"), ("address", "127.0.0.1"), ("port", redfish.Port.ToString()),
            ("username", RedfishEmulator.User), ("password", RedfishEmulator.Password), ("ca-fingerprint", redfish.Fingerprint)));
        var page = await client.GetStringAsync("/machines");
        var inserted = await client.PostAsync($"/machines/{Mac}/virtual-media", Form(token, ("image", image.Url.AbsoluteUri)));
        var ejected = await client.PostAsync($"/machines/{Mac}/virtual-media/eject", Form(token));
        var badImage = await client.PostAsync($"/machines/{Mac}/virtual-media", Form(token, ("image", "javascript:alert(1)")));

        Assert.Equal(HttpStatusCode.Redirect, saved.StatusCode);
        Assert.Contains($"BMC redfish 127.0.0.1:{redfish.Port} as root", page);
        Assert.Contains($"value=\"{redfish.Fingerprint}\"", page);
        Assert.Equal((HttpStatusCode.Redirect, HttpStatusCode.Redirect), (inserted.StatusCode, ejected.StatusCode));
        Assert.Equal(HttpStatusCode.BadRequest, badImage.StatusCode);
        Assert.Contains($"{Mac}: image: &#x27;javascript:alert(1)&#x27; is not an http or https URL", await badImage.Content.ReadAsStringAsync());
        Assert.Equal([$"insert {image.Url}", "eject"], redfish.Changes);
    }

    [Fact]
    public async Task Bad_values_are_shown_beside_the_forms_and_nothing_is_done()
    {
        var (client, token) = await SignedIn();

        var badPort = await SaveBmc(client, token, port: "six");
        var badAddress = await client.PostAsync($"/machines/{Mac}/bmc", Form(token, ("address", "-f/etc/shadow"), ("username", "admin"), ("password", "x")));
        var noBmc = await client.PostAsync($"/machines/{Mac}/power", Form(token, ("action", "on")));
        var noneChosen = await client.PostAsync("/machines/provision", Form(token, ("mode", "uefi")));

        Assert.Equal(HttpStatusCode.BadRequest, badPort.StatusCode);
        Assert.Contains($"{Mac}: port: &#x27;six&#x27; is not a number", await badPort.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, badAddress.StatusCode);
        Assert.Contains($"{Mac}: address: &#x27;-f/etc/shadow&#x27; is not an IPv4 or IPv6 address or a host name", await badAddress.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, noBmc.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noneChosen.StatusCode);
        Assert.Contains("provision: choose at least one machine", await noneChosen.Content.ReadAsStringAsync());
        Assert.Empty(_bmc.Changes);
    }

    [Fact]
    public async Task Without_a_session_and_its_form_token_nothing_is_recorded_or_done()
    {
        var (client, token) = await SignedIn();
        await SaveBmc(client, token);

        var stranger = await _site.Client().PostAsync($"/machines/{Mac}/power", Form(token, ("action", "on")));
        var forged = await client.PostAsync($"/machines/{Mac}/power", Form("not-a-token", ("action", "on")));
        var forgotten = await client.PostAsync($"/machines/{Mac}/bmc/delete", Form(token));

        Assert.Equal((HttpStatusCode.Redirect, $"/signin?return=%2Fmachines%2F{Uri.EscapeDataString(Mac)}%2Fpower"), (stranger.StatusCode, stranger.Headers.Location?.OriginalString));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Empty(_bmc.Changes);
        Assert.Equal(HttpStatusCode.Redirect, forgotten.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _site.AdminClient().GetAsync($"/api/machines/{Mac}/bmc")).StatusCode);
    }
}
