using System.Net;
using Bootstrap.Builder.Machines;
using Bootstrap.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Bootstrap.Tests.Http;

/// <summary>What the service dates and when its sign-in ends, on a clock the test moves: no test waits for time to pass.</summary>
public sealed class SessionClockTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _clock = new(Start);
    private readonly TestSite _site;

    public SessionClockTests() => _site = new TestSite { Clock = _clock };

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task A_sign_in_lasts_eight_hours_and_not_a_second_more()
    {
        var client = _site.Client();
        var signIn = await PageSignIn.PostAsync(client, "/catalogue");

        _clock.Advance(TimeSpan.FromHours(8) - TimeSpan.FromSeconds(1));
        var before = await client.GetAsync("/catalogue");
        _clock.Advance(TimeSpan.FromSeconds(2));
        var after = await client.GetAsync("/catalogue");

        Assert.Equal((HttpStatusCode.Redirect, "/catalogue"), (signIn.StatusCode, signIn.Headers.Location?.OriginalString));
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal((HttpStatusCode.Redirect, "/signin?return=/catalogue"), (after.StatusCode, after.Headers.Location?.OriginalString));
    }

    [Fact]
    public async Task A_machine_is_dated_by_the_service_clock()
    {
        var client = _site.Client();
        await client.GetAsync("/provision/52:54:00:c1:0c:01");
        _clock.Advance(TimeSpan.FromMinutes(90));
        await client.GetAsync("/provision/52:54:00:c1:0c:01");

        var machine = _site.Factory.Services.GetRequiredService<MachineDirectory>().FindByMac("52:54:00:c1:0c:01")!;
        Assert.Equal((Start, Start.AddMinutes(90), 2L), (machine.FirstSeen, machine.LastSeen, machine.Asks));
    }
}
