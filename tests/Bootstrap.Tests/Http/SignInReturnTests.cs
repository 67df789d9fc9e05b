using System.Net;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary><c>/signin?return=</c> only ever sends the browser to a path of this service.</summary>
public sealed class SignInReturnTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private Task<HttpResponseMessage> SignIn(string returnTo) => PageSignIn.PostAsync(_site.Client(), returnTo);

    [Theory]
    [InlineData("/\t/evil.example/x")]
    [InlineData("/\\evil.example/x")]
    [InlineData("/catalogue\\..\\\\evil.example")]
    [InlineData("//evil.example/x")]
    [InlineData("/\n/evil.example")]
    [InlineData("https://evil.example/x")]
    [InlineData("evil.example")]
    public async Task A_return_address_that_could_leave_the_site_goes_to_the_machines_page(string returnTo)
    {
        var answer = await SignIn(returnTo);

        Assert.Equal((HttpStatusCode.Redirect, "/machines"), (answer.StatusCode, answer.Headers.Location?.OriginalString));
    }

    [Theory]
    [InlineData("/catalogue")]
    [InlineData("/catalogue?edit=lab#menu-form")]
    [InlineData("/")]
    public async Task A_path_of_the_site_is_where_the_sign_in_returns(string returnTo)
    {
        var answer = await SignIn(returnTo);

        Assert.Equal((HttpStatusCode.Redirect, returnTo), (answer.StatusCode, answer.Headers.Location?.OriginalString));
    }
}
