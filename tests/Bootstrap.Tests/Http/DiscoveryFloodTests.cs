using System.Net;
using System.Net.Http.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// A flood of unknown machines from one address. It measures the whole process's heap, so it runs
/// alone, after the parallel tests: a CI run saw 67 MB allocated by tests running beside it.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class DiscoveryFloodTests
{
    [Fact]
    public async Task A_flood_of_discover_calls_from_one_address_gets_429_past_its_budget_and_leaves_assigned_machines_alone()
    {
        using var site = new TestSite(c => c["unknown-machines-per-minute"] = 120);
        site.AddProdKernel();
        var admin = site.AdminClient();
        await MachineApi.AssignAsync(admin, "52:54:00:ff:ff:ff", new { network = "prod", farmer = "5" });
        var client = site.Client();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);

        var answers = new Dictionary<HttpStatusCode, int>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 10_000; i++)
        {
            var status = (await client.PostAsJsonAsync("/api/machines/discover", new { macs = new[] { $"52:54:01:00:{i / 256:x2}:{i % 256:x2}" } })).StatusCode;
            answers[status] = answers.GetValueOrDefault(status) + 1;
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);

        // The budget refills continuously (120 a minute is 2 a second): the flood gets 120 and what refilled while it ran.
        var refilled = (int)Math.Ceiling(clock.Elapsed.TotalSeconds * 2);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers.Keys.Order());
        Assert.InRange(answers[HttpStatusCode.OK], 120, 120 + refilled);
        Assert.Equal(10_000, answers.Values.Sum());
        Assert.Equal(answers[HttpStatusCode.OK] + 1, (await MachineApi.GetAsync(admin, "/api/machines")).GetArrayLength());
        Assert.InRange(after - before, -20_000_000, 20_000_000);
        var assigned = await MachineApi.GetAsync(admin, "/api/machines/52:54:00:ff:ff:ff");
        Assert.Equal("assigned", assigned.GetProperty("state").GetString());
    }
}
