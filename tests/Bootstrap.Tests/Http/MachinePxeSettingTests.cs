using System.Net;
using System.Net.Http.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>PUT /api/machines/&lt;mac&gt;/pxe: what the built-in PXE server does for a machine, set by the admin only, kept across a restart.</summary>
public sealed class MachinePxeSettingTests : IDisposable
{
    private const string Mac = "52:54:00:aa:00:28";
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task A_machine_not_known_yet_is_created_with_its_setting_and_keeps_it_across_a_restart()
    {
        var set = await _site.AdminClient().PutAsJsonAsync($"/api/machines/{Mac.ToUpperInvariant()}/pxe", new { pxe = "ignore" });

        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal("ignore", (await set.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("pxe").GetString());
        _site.Restart();
        var shown = await MachineApi.GetAsync(_site.AdminClient(), $"/api/machines/{Mac}");
        Assert.Equal(("discovered", "ignore"), (shown.GetProperty("state").GetString(), shown.GetProperty("pxe").GetString()));
        var events = await MachineApi.GetAsync(_site.AdminClient(), $"/api/machines/{Mac}/events");
        Assert.Equal("pxe-setting: ignore", events[0].GetProperty("kind").GetString() + ": " + events[0].GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("""{"pxe": "sometimes"}""", HttpStatusCode.BadRequest, "pxe: 'sometimes' is not answer, ignore or chain\n")]
    [InlineData("""{}""", HttpStatusCode.BadRequest, "pxe: '' is not answer, ignore or chain\n")]
    [InlineData("""{"pxe": "ignore\n"}""", HttpStatusCode.BadRequest, "pxe: 'ignore\\n' is not answer, ignore or chain\n")]
    public async Task A_setting_other_than_the_three_is_refused_naming_the_field(string body, HttpStatusCode status, string message)
    {
        var response = await _site.AdminClient().PutAsync($"/api/machines/{Mac}/pxe", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal((status, message), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Without_the_token_nothing_changes()
    {
        var response = await _site.Client().PutAsJsonAsync($"/api/machines/{Mac}/pxe", new { pxe = "ignore" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _site.AdminClient().GetAsync($"/api/machines/{Mac}")).StatusCode);
    }

    [Fact]
    public async Task The_signed_in_machines_page_shows_the_setting_and_its_form_changes_it()
    {
        await _site.AdminClient().PutAsJsonAsync($"/api/machines/{Mac}/pxe", new { pxe = "ignore" });
        var browser = _site.Client();
        await PageSignIn.PostAsync(browser, "/machines");

        var page = await browser.GetStringAsync("/machines");
        Assert.Contains("""<select id="pxe-525400aa0028" name="pxe"><option>answer</option><option selected>ignore</option><option>chain</option></select>""", page);
        var posted = await browser.PostAsync($"/machines/{Mac}/pxe", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["__af"] = PageSignIn.FormToken(page), ["pxe"] = "chain" }));
        var refused = await browser.PostAsync($"/machines/{Mac}/pxe", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["__af"] = PageSignIn.FormToken(page), ["pxe"] = "<script>" }));

        Assert.Equal((HttpStatusCode.Redirect, "/machines"), (posted.StatusCode, posted.Headers.Location?.ToString()));
        Assert.Equal("chain", (await MachineApi.GetAsync(_site.AdminClient(), $"/api/machines/{Mac}")).GetProperty("pxe").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains($"{Mac}: pxe: &#x27;&lt;script&gt;&#x27; is not answer, ignore or chain", await refused.Content.ReadAsStringAsync());
    }
}
