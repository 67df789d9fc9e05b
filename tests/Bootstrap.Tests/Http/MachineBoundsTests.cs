using System.Net;
using System.Net.Http.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>What unauthenticated reports cannot grow, and the MACs no machine can have.</summary>
public sealed class MachineBoundsTests : IDisposable
{
    private const string Uuid = "4c4c4544-0027-0004-8000-000000000064";
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private static string Mac(int i) => $"52:54:00:27:{i / 256:x2}:{i % 256:x2}";

    [Fact]
    public async Task A_machine_holds_at_most_64_macs_whether_reported_or_polled()
    {
        var client = _site.Client();
        var full = await client.PostAsJsonAsync("/api/machines/discover", new { uuid = Uuid, macs = Enumerable.Range(0, 64).Select(Mac) });

        var oneMore = await client.PostAsJsonAsync("/api/machines/discover", new { uuid = Uuid, macs = new[] { Mac(64) } });
        var poll = await client.GetAsync($"/provision/{Mac(65)}?uuid={Uuid}");
        var machine = await MachineApi.GetAsync(_site.AdminClient(), $"/api/machines/{Mac(0)}");

        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, "macs: a machine holds at most 64 MAC addresses; this report would give it 65\n"),
            (oneMore.StatusCode, await oneMore.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.NotFound, poll.StatusCode);
        Assert.Equal(Enumerable.Range(0, 64).Select(Mac), machine.GetProperty("macs").EnumerateArray().Select(m => m.GetString()));
    }

    [Theory]
    [InlineData("ff:ff:ff:ff:ff:ff", "mac: ff:ff:ff:ff:ff:ff is a broadcast address, not a network card's")]
    [InlineData("01:00:5e:00:00:fb", "mac: 01:00:5e:00:00:fb is a multicast address, not a network card's")]
    [InlineData("33-33-00-00-00-01", "mac: 33:33:00:00:00:01 is a multicast address, not a network card's")]
    [InlineData("000000000000", "mac: 00:00:00:00:00:00 is all zeros, not a network card's address")]
    public async Task An_address_no_network_card_has_cannot_be_assigned(string mac, string message)
    {
        var response = await _site.AdminClient().PutAsJsonAsync($"/api/machines/{mac}", new { network = "prod", farmer = "1" });

        Assert.Equal((HttpStatusCode.BadRequest, message + "\n"), (response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.Equal("[]", await _site.AdminClient().GetStringAsync("/api/machines"));
    }
}
