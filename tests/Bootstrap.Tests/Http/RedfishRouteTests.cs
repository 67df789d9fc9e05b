using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// A machine with a Redfish BMC through the API, against the test emulator (HTTPS, self-signed,
/// pinned by fingerprint): power, the virtual CD, and a provision that boots an image from it.
/// </summary>
public sealed class RedfishRouteTests : IAsyncLifetime
{
    private const string Mac = "52:54:00:bb:05:01";
    private readonly TestSite _site = new();
    private RedfishEmulator _bmc = null!;

    public async Task InitializeAsync() => _bmc = await RedfishEmulator.StartAsync();

    public async Task DisposeAsync()
    {
        await _bmc.DisposeAsync();
        _site.Dispose();
    }

    /// <summary>The fingerprint as openssl prints it: upper case, colons between the bytes.</summary>
    private string OpensslFingerprint => string.Join(':', Enumerable.Range(0, 32).Select(i => _bmc.Fingerprint.Substring(i * 2, 2).ToUpperInvariant()));

    private Task<HttpResponseMessage> SetBmc(string mac = Mac) =>
        _site.AdminClient().PutAsJsonAsync($"/api/machines/{mac}/bmc", new Dictionary<string, object>
        {
            ["type"] = "redfish", ["address"] = "127.0.0.1", ["port"] = _bmc.Port, ["username"] = RedfishEmulator.User,
            ["password"] = RedfishEmulator.Password, ["ca-fingerprint"] = OpensslFingerprint,
        });

    [Fact]
    public async Task A_redfish_bmc_pinned_by_its_fingerprint_is_recorded_and_powers_the_machine()
    {
        var set = await SetBmc();
        var on = await _site.AdminClient().PostAsJsonAsync($"/api/machines/{Mac}/power", new { action = "on" });

        var view = JsonDocument.Parse(await set.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(("redfish", 443 == _bmc.Port ? 443 : _bmc.Port, true, _bmc.Fingerprint),
            (view.GetProperty("type").GetString(), view.GetProperty("port").GetInt32(), view.GetProperty("verify-tls").GetBoolean(), view.GetProperty("ca-fingerprint").GetString()));
        Assert.DoesNotContain(RedfishEmulator.Password, await set.Content.ReadAsStringAsync());
        Assert.Equal((HttpStatusCode.OK, """{"state":"on"}"""), (on.StatusCode, await on.Content.ReadAsStringAsync()));
        Assert.Equal(["reset On"], _bmc.Changes);
    }

    [Fact]
    public async Task The_virtual_cd_takes_the_image_given_and_is_ejected()
    {
        using var image = ImageServer.Start(new byte[8192]);
        await SetBmc();

        var inserted = await _site.AdminClient().PostAsJsonAsync($"/api/machines/{Mac}/virtual-media", new { image = image.Url.AbsoluteUri });
        var again = await _site.AdminClient().PostAsJsonAsync($"/api/machines/{Mac}/virtual-media", new { image = image.Url.AbsoluteUri });
        var ejected = await _site.AdminClient().DeleteAsync($"/api/machines/{Mac}/virtual-media");

        Assert.Equal(HttpStatusCode.NoContent, inserted.StatusCode);
        Assert.Equal((HttpStatusCode.BadGateway, $"redfish 127.0.0.1:{_bmc.Port}: 409 Conflict: The change to the requested resource failed because the resource is in use or in transition: a medium is inserted; eject it first.\n"),
            (again.StatusCode, await again.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.NoContent, ejected.StatusCode);
        Assert.Equal([$"insert {image.Url}", "eject"], _bmc.Changes);
    }

    [Fact]
    public async Task A_provision_via_virtual_media_inserts_the_image_boots_the_cd_once_and_powers_on()
    {
        using var image = ImageServer.Start(new byte[8192]);
        await SetBmc();

        var response = await _site.AdminClient().PostAsJsonAsync("/api/machines/provision",
            new { machines = new[] { new { mac = Mac } }, via = "virtual-media", image = image.Url.AbsoluteUri });

        var result = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("machines")[0];
        Assert.Equal($"virtual CD {image.Url}; next boot from cd (uefi); power on, now on", result.GetProperty("message").GetString());
        Assert.Equal([$"insert {image.Url}", "boot Cd Once UEFI", "reset On"], _bmc.Changes);
    }

    [Theory]
    [InlineData("/api/machines/52:54:00:bb:05:01/virtual-media", """{"image": "ftp://10.0.0.1/boot.iso"}""", HttpStatusCode.BadRequest,
        "image: 'ftp://10.0.0.1/boot.iso' is not an http or https URL (at most 2048 characters, no spaces)\n")]
    [InlineData("/api/machines/52:54:00:bb:05:01/virtual-media", """{"image": "http://user:pw@10.0.0.1/boot.iso"}""", HttpStatusCode.BadRequest,
        "image: a URL with a user name or password in it is not accepted (the BMC would show it)\n")]
    [InlineData("/api/machines/provision", """{"machines": [{"mac": "52:54:00:bb:05:01"}], "image": "http://10.0.0.1/x.iso"}""", HttpStatusCode.BadRequest,
        "image: only with \"via\": \"virtual-media\"\n")]
    public async Task A_bad_image_is_refused_naming_it_and_the_bmc_is_not_asked(string route, string body, HttpStatusCode status, string message)
    {
        await SetBmc();

        var response = await _site.AdminClient().PostAsync(route, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal((status, message), (response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.Empty(_bmc.Changes);
    }

    [Theory]
    [InlineData("""{"type": "redfish", "address": "127.0.0.1", "username": "root", "password": "x", "ca-fingerprint": "ab:cd"}""",
        "ca-fingerprint: the SHA-256 of the BMC's certificate is 64 hex digits (colons allowed), e.g. from openssl x509 -noout -fingerprint -sha256\n")]
    [InlineData("""{"type": "ipmi", "address": "127.0.0.1", "username": "root", "password": "x", "verify-tls": false}""",
        "verify-tls: only a redfish BMC has a certificate to check\n")]
    [InlineData("""{"type": "redfish", "address": "127.0.0.1", "username": "ro:ot", "password": "x"}""",
        "username: a Redfish user name is 1-64 printable ASCII characters without ':'\n")]
    public async Task A_redfish_record_that_cannot_be_used_safely_is_refused_naming_the_field(string body, string message)
    {
        var response = await _site.AdminClient().PutAsync($"/api/machines/{Mac}/bmc", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal((HttpStatusCode.BadRequest, message), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Without_an_image_the_default_on_this_hosts_loopback_is_refused_as_a_bmc_could_not_fetch_it()
    {
        await SetBmc();
        var client = _site.Client("127.0.0.1:5555");
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestSite.Token);

        var response = await client.PostAsJsonAsync($"/api/machines/{Mac}/virtual-media", new { });

        Assert.Equal((HttpStatusCode.BadRequest, "image: no default: this service was reached as http://127.0.0.1:5555, which a BMC cannot fetch from; set base-host in config.json or give image\n"),
            (response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.Empty(_bmc.Changes);
    }

    [Fact]
    public async Task An_ipmi_machine_has_no_virtual_media()
    {
        Assert.Equal(HttpStatusCode.OK, (await _site.AdminClient().PutAsJsonAsync($"/api/machines/{Mac}/bmc",
            new { type = "ipmi", address = "127.0.0.1", username = "admin", password = "x" })).StatusCode);

        var response = await _site.AdminClient().PostAsJsonAsync($"/api/machines/{Mac}/virtual-media", new { image = "http://10.0.0.1/boot.iso" });

        Assert.Equal((HttpStatusCode.Conflict, $"{Mac}: virtual media needs a redfish BMC; this one is reached over IPMI\n"),
            (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }
}
