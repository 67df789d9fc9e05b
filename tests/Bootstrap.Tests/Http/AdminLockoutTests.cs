using System.Net;
using Bootstrap.Api.Http;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>Strangers guessing the admin token get slowed down and stopped, and never use up the admin's budget.</summary>
public sealed class AdminLockoutTests
{
    private static HttpClient Caller(TestSite site, string token, string? forwardedFor = null)
    {
        var client = site.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        if (forwardedFor != null)
            client.DefaultRequestHeaders.Add("X-Forwarded-For", forwardedFor);
        return client;
    }

    private static async Task<List<HttpStatusCode>> Strangers(TestSite site, int calls, string? forwardedFor = null)
    {
        var stranger = Caller(site, "not-the-token", forwardedFor);
        var answers = await Task.WhenAll(Enumerable.Range(0, calls).Select(_ => stranger.PostAsync("/api/symlink/prod.efi/zos.efi", null)));
        return answers.Select(a => a.StatusCode).ToList();
    }

    [Fact]
    public async Task The_admin_still_gets_in_after_200_strangers_calls()
    {
        using var site = new TestSite(c => c["admin-requests-per-minute"] = 5);
        site.AddProdKernel();

        var answers = await Strangers(site, 200);

        Assert.Equal(ClientBudgets.FailedAuthenticationsPerMinute, answers.Count(a => a == HttpStatusCode.Unauthorized));
        Assert.Equal(200 - ClientBudgets.FailedAuthenticationsPerMinute, answers.Count(a => a == HttpStatusCode.TooManyRequests));
        var admin = await Caller(site, TestSite.Token).PostAsync("/api/symlink/prod.efi/zos.efi", null);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Equal("net/prod.efi -> zos.efi\n", await admin.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_admin_still_gets_in_after_200_strangers_calls()
    {
        using var site = new TestSite(c => { c["trusted-proxies"] = new[] { "127.0.0.1" }; c["admin-requests-per-minute"] = 5; });
        site.AddProdKernel();

        await Strangers(site, 200, forwardedFor: "198.51.100.66");

        Assert.Equal(HttpStatusCode.OK, (await Caller(site, TestSite.Token, "192.0.2.1").PostAsync("/api/symlink/prod.efi/zos.efi", null)).StatusCode);
    }

    [Fact]
    public async Task A_wrong_token_is_answered_late_and_past_the_budget_with_429()
    {
        using var site = new TestSite();
        site.AddProdKernel();
        var stranger = Caller(site, "guess");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var first = await stranger.PostAsync("/api/symlink/prod.efi/zos.efi", null);
        Assert.True(clock.Elapsed >= AdminToken.FailureDelay, $"answered after {clock.Elapsed}");
        for (var i = 1; i < ClientBudgets.FailedAuthenticationsPerMinute; i++)
            await stranger.PostAsync("/api/symlink/prod.efi/zos.efi", null);
        var refused = await stranger.PostAsync("/api/symlink/prod.efi/zos.efi", null);

        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.StartsWith("too many failed admin authentications from 127.0.0.1; retry in ", await refused.Content.ReadAsStringAsync());
    }
}
