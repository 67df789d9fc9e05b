using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Bootstrap.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Bootstrap.Tests.Http;

/// <summary>
/// <c>POST /api/machines/provision</c> against real IPMI LAN BMCs (OpenIPMI's ipmi_sim on
/// 127.0.0.1): each machine assigned, set to boot from the network and powered on, one result per
/// machine, a failing BMC failing its machine only.
/// </summary>
public sealed class BmcProvisionRouteTests : IDisposable
{
    private readonly TestSite _site = new();
    private readonly List<IpmiSimulator> _bmcs = [];

    public void Dispose()
    {
        foreach (var bmc in _bmcs)
            bmc.Dispose();
        _site.Dispose();
    }

    private static string MacOf(int n) => $"52:54:00:bb:01:{n:x2}";

    private async Task<IpmiSimulator> WithBmc(int n, string password = IpmiSimulator.Password)
    {
        var bmc = IpmiSimulator.Start();
        _bmcs.Add(bmc);
        var set = await _site.AdminClient().PutAsJsonAsync($"/api/machines/{MacOf(n)}/bmc",
            new { type = "ipmi", address = "127.0.0.1", port = bmc.Port, username = IpmiSimulator.User, password });
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        return bmc;
    }

    [Fact]
    public async Task Each_machine_is_assigned_set_to_boot_from_the_network_and_powered_on_with_one_result_each()
    {
        var good = await WithBmc(1);
        var refusing = await WithBmc(2, password: "not-the-password");

        var response = await _site.AdminClient().PostAsJsonAsync("/api/machines/provision", new
        {
            machines = new object[]
            {
                new { mac = MacOf(1), assign = new { network = "prod", farmer = "4242" } },
                new { mac = MacOf(2) },
                new { mac = MacOf(3) },
            },
        });
        await _site.Factory.Services.GetRequiredService<Bootstrap.Builder.Machines.MachineDirectory>().FlushAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            $$"""{"via":"pxe","succeeded":1,"failed":2,"machines":[""" +
            $$"""{"mac":"{{MacOf(1)}}","ok":true,"state":"on","message":"assigned prod/4242; next boot from network (uefi); power on, now on"},""" +
            $$"""{"mac":"{{MacOf(2)}}","ok":false,"state":"unknown","message":"ipmi 127.0.0.1:{{refusing.Port}}: Error: Unable to establish IPMI v2 / RMCP+ session"},""" +
            $$"""{"mac":"{{MacOf(3)}}","ok":false,"state":"unknown","message":"{{MacOf(3)}} has no BMC: PUT /api/machines/{{MacOf(3)}}/bmc first"}]}""",
            await response.Content.ReadAsStringAsync());
        Assert.Equal(["boot pxe", "power 1"], good.Changes);
        Assert.Empty(refusing.Changes);
        var events = await MachineApi.GetAsync(_site.AdminClient(), $"/api/machines/{MacOf(1)}/events");
        Assert.Equal(["next boot from network (uefi)", "power on, now on", "provisioned"],
            events.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "bmc").Select(e => e.GetProperty("detail").GetString()!).Reverse().ToArray());
    }

    [Theory]
    [InlineData("""{"machines": [{"mac": "52:54:00:bb:01:01"}, {"mac": "not-a-mac"}]}""", "machines[1].mac: 'not-a-mac' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)\n")]
    [InlineData("""{"machines": [{"mac": "52:54:00:bb:01:01", "assign": {"network": "mars"}}]}""", "machines[0].assign.network: unknown network 'mars'; configured networks: dev, prod, qa, test\n")]
    [InlineData("""{"machines": [{"mac": "52:54:00:bb:01:01"}], "via": "virtual-media", "image": "file:///etc/passwd"}""",
        "image: 'file:///etc/passwd' is not an http or https URL (at most 2048 characters, no spaces)\n")]
    [InlineData("""{"machines": [{"mac": "52:54:00:bb:01:01"}], "mode": "bios"}""", "mode: 'bios' is not uefi or legacy\n")]
    [InlineData("""{"machines": "52:54:00:bb:01:01"}""", null)]
    public async Task A_bad_entry_is_refused_naming_it_and_no_machine_is_touched(string body, string? message)
    {
        var bmc = await WithBmc(1);

        var response = await _site.AdminClient().PostAsync("/api/machines/provision", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        if (message != null)
            Assert.Equal(message, await response.Content.ReadAsStringAsync());
        Assert.Empty(bmc.Changes);
        Assert.Equal("unassigned", await AssignmentOf(MacOf(1)));
    }

    [Fact]
    public async Task Without_the_token_no_machine_is_touched()
    {
        var bmc = await WithBmc(1);

        var response = await _site.Client().PostAsJsonAsync("/api/machines/provision", new { machines = new[] { new { mac = MacOf(1) } } });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(bmc.Changes);
    }

    /// <summary>The bulk case with real BMCs: 40 of them, one dead (nothing listens on its port).</summary>
    [Fact]
    [Trait("engine", "sqlite")]
    public async Task Forty_machines_with_one_dead_bmc_report_forty_results_and_only_the_dead_one_fails()
    {
        var bmcs = new List<IpmiSimulator>();
        for (var n = 0; n < 40; n++)
            bmcs.Add(await WithBmc(n));
        bmcs[17].Dispose();
        _bmcs.Remove(bmcs[17]);

        var response = await _site.AdminClient().PostAsJsonAsync("/api/machines/provision",
            new { machines = Enumerable.Range(0, 40).Select(n => new { mac = MacOf(n) }) });
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();

        var results = answer.GetProperty("machines").EnumerateArray().ToList();
        Assert.Equal((39, 1), (answer.GetProperty("succeeded").GetInt32(), answer.GetProperty("failed").GetInt32()));
        Assert.Equal(Enumerable.Range(0, 40).Select(MacOf), results.Select(r => r.GetProperty("mac").GetString()));
        Assert.Equal($"ipmi 127.0.0.1:{bmcs[17].Port}: Error: Unable to establish IPMI v2 / RMCP+ session", results[17].GetProperty("message").GetString());
        Assert.All(bmcs.Where((_, n) => n != 17), bmc => Assert.Equal(["boot pxe", "power 1"], bmc.Changes));
    }

    private async Task<string> AssignmentOf(string mac)
    {
        var response = await _site.AdminClient().GetAsync($"/api/machines/{mac}");
        return response.StatusCode == HttpStatusCode.NotFound ? "unassigned"
            : (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("assignment").ValueKind == JsonValueKind.Null ? "unassigned" : "assigned";
    }
}
