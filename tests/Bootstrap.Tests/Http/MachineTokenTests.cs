using System.Net;
using System.Net.Http.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// What a stranger can learn and do: /machines names no machine to a visitor, and a machine's
/// token works only from the address its boot script went to (here through a trusted proxy, so
/// each request says which client it is for).
/// </summary>
public sealed class MachineTokenTests : IDisposable
{
    private const string Mac = "52:54:00:27:03:01", Machine = "192.0.2.31", Stranger = "198.51.100.7";
    private readonly TestSite _site = new(c => c["trusted-proxies"] = new[] { "127.0.0.1" });

    public MachineTokenTests() => _site.AddProdKernel();

    public void Dispose() => _site.Dispose();

    private HttpClient From(string address, string? bearer = null)
    {
        var client = _site.Client();
        client.DefaultRequestHeaders.Add("X-Forwarded-For", address);
        if (bearer != null)
            client.DefaultRequestHeaders.Authorization = new("Bearer", bearer);
        return client;
    }

    private async Task<string> AssignWithAnswerFileAsync()
    {
        var admin = _site.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/profiles/debian", new { network = "prod", farmer = "77", answer_template = "d-i passwd/root-password string secret\n" })).StatusCode);
        await MachineApi.AssignAsync(admin, Mac, new { profile = "debian" });
        return MachineApi.TokenIn(await From(Machine).GetStringAsync($"/provision/{Mac}"));
    }

    private static async Task<(HttpStatusCode, string)> Read(Task<HttpResponseMessage> response)
    {
        var answer = await response;
        return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_visitor_of_machines_sees_counts_by_state_and_no_mac_name_or_address()
    {
        await From(Machine).GetAsync($"/provision/{Mac}?serial=SN-2703&ip=192.0.2.31");
        await From("192.0.2.32").GetAsync("/provision/52:54:00:27:03:02");

        var visitor = await _site.Client().GetStringAsync("/machines");
        var admin = _site.Client();
        await PageSignIn.PostAsync(admin, "/machines");
        var signedIn = await admin.GetStringAsync("/machines");

        Assert.Contains("<caption>2 machines</caption>", visitor);
        Assert.Contains("<tr data-state=\"discovered\"><td>discovered</td><td>2</td></tr>", visitor);
        foreach (var secret in new[] { Mac, "52:54:00:27:03:02", "SN-2703", "192.0.2.31" })
        {
            Assert.DoesNotContain(secret, visitor);
            Assert.Contains(secret, signedIn);
        }
    }

    [Fact]
    public async Task The_answer_file_and_status_reports_are_taken_only_from_the_address_the_script_went_to()
    {
        var token = await AssignWithAnswerFileAsync();

        var strangersScript = await From(Stranger).GetStringAsync($"/provision/{Mac}");   // anyone may ask: the token alone is not enough
        var strangersAnswer = await Read(From(Stranger).GetAsync($"/answer/{Mac}/{token}"));
        var strangersReport = await Read(From(Stranger, token).PostAsJsonAsync($"/api/machines/{Mac}/status", new { state = "installed", progress = 100 }));
        var machinesAnswer = await Read(From(Machine).GetAsync($"/answer/{Mac}/{token}"));
        var machinesReport = await Read(From(Machine, token).PostAsJsonAsync($"/api/machines/{Mac}/status", new { state = "progress", progress = 40 }));

        Assert.Contains($"bootstrap_token={token}", strangersScript);
        Assert.Equal((HttpStatusCode.Forbidden, "answer file: this token is accepted only from the address its boot script was served to (bind-token-to-address in config.json)\n"), strangersAnswer);
        Assert.Equal((HttpStatusCode.Forbidden, "status: this token is accepted only from the address its boot script was served to (bind-token-to-address in config.json)\n"), strangersReport);
        Assert.Equal((HttpStatusCode.OK, "d-i passwd/root-password string secret\n"), machinesAnswer);
        Assert.Equal((HttpStatusCode.OK, """{"state":"provisioning","progress":40}"""), machinesReport);
    }

    [Fact]
    public async Task The_admin_token_reports_a_status_from_anywhere()
    {
        await AssignWithAnswerFileAsync();

        var byAdmin = await From(Stranger, TestSite.Token).PostAsJsonAsync($"/api/machines/{Mac}/status", new { state = "progress", progress = 20 });

        Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);
    }

    [Fact]
    public async Task The_answer_file_is_served_three_times_then_refused_until_the_machine_is_assigned_again()
    {
        var token = await AssignWithAnswerFileAsync();

        var served = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
            served.Add((await From(Machine).GetAsync($"/answer/{Mac}/{token}")).StatusCode);
        var fourth = await Read(From(Machine).GetAsync($"/answer/{Mac}/{token}"));
        await MachineApi.AssignAsync(_site.AdminClient(), Mac, new { profile = "debian" });
        var newToken = MachineApi.TokenIn(await From(Machine).GetStringAsync($"/provision/{Mac}"));
        var afterReassign = await From(Machine).GetAsync($"/answer/{Mac}/{newToken}");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], served);
        Assert.Equal((HttpStatusCode.Forbidden, $"answer file: served 3 times to machine {Mac} already; assign it again for a new token and answer file\n"), fourth);
        Assert.Equal(HttpStatusCode.OK, afterReassign.StatusCode);
    }

    [Fact]
    public async Task With_bind_token_to_address_off_the_installer_may_report_from_another_address()
    {
        _site.Restart(c => c["bind-token-to-address"] = false);
        var token = await AssignWithAnswerFileAsync();

        var fromInstaller = await From("192.0.2.99", token).PostAsJsonAsync($"/api/machines/{Mac}/status", new { state = "progress", progress = 50 });

        Assert.Equal(HttpStatusCode.OK, fromInstaller.StatusCode);
    }

    [Theory]
    [InlineData("/provision/52:54:00:27:03:01")]
    [InlineData("/api/machines")]
    [InlineData("/answer/52:54:00:27:03:01/0123456789abcdef0123456789abcdef")]
    public async Task Answers_that_may_carry_a_token_or_an_answer_file_are_never_stored_by_a_cache(string path)
    {
        await AssignWithAnswerFileAsync();

        var response = await _site.AdminClient().GetAsync(path);

        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }
}
