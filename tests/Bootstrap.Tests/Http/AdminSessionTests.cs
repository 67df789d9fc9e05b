using System.Net;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>A sign-in cookie belongs to the site that made it and to the token it was made with; signing out ends it everywhere.</summary>
public sealed class AdminSessionTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private static async Task<string> SignInCookieAsync(TestSite site)
    {
        var signIn = await PageSignIn.PostAsync(site.Client(), "/catalogue");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("bootstrap_admin=", StringComparison.Ordinal)).Split(';')[0];
    }

    /// <summary>A client with only this cookie, as someone who copied it would send it.</summary>
    private static async Task<(HttpStatusCode, string?)> CatalogueWithAsync(TestSite site, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/catalogue");
        request.Headers.Add("Cookie", cookie);
        var response = await site.Client().SendAsync(request);
        return (response.StatusCode, response.Headers.Location?.OriginalString);
    }

    private static readonly (HttpStatusCode, string?) SignedIn = (HttpStatusCode.OK, null), SentToSignIn = (HttpStatusCode.Redirect, "/signin?return=/catalogue");

    [Fact]
    public async Task A_cookie_of_another_site_on_the_same_host_is_no_session()
    {
        using var other = new TestSite();
        var cookie = await SignInCookieAsync(_site);

        Assert.Equal(SignedIn, await CatalogueWithAsync(_site, cookie));
        Assert.Equal(SentToSignIn, await CatalogueWithAsync(other, cookie));
    }

    [Fact]
    public async Task A_session_outlives_a_restart_but_not_a_new_token()
    {
        var cookie = await SignInCookieAsync(_site);

        _site.Restart();
        var afterRestart = await CatalogueWithAsync(_site, cookie);
        _site.Restart(c => c["api-token"] = "another-token-9876543210");
        var afterNewToken = await CatalogueWithAsync(_site, cookie);

        Assert.Equal(SignedIn, afterRestart);
        Assert.Equal(SentToSignIn, afterNewToken);
    }

    [Fact]
    public async Task Signing_out_ends_every_session_at_once_even_a_copied_cookie()
    {
        var kept = await SignInCookieAsync(_site);
        var client = _site.Client();
        await PageSignIn.PostAsync(client, "/catalogue");
        var form = PageSignIn.FormToken(await client.GetStringAsync("/catalogue"));

        var signOut = await client.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__af"] = form }));

        Assert.Equal((HttpStatusCode.Redirect, "/machines"), (signOut.StatusCode, signOut.Headers.Location?.OriginalString));
        Assert.Equal(SentToSignIn, await CatalogueWithAsync(_site, kept));
        Assert.Equal(SignedIn, await CatalogueWithAsync(_site, await SignInCookieAsync(_site)));
    }
}
