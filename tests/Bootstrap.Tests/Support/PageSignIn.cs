using System.Text.RegularExpressions;

namespace Bootstrap.Tests.Support;

/// <summary>Signing in to the pages as a browser does: the form's antiforgery token from /signin, then the admin token posted with it.</summary>
public static partial class PageSignIn
{
    [GeneratedRegex("name=\"__af\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>The antiforgery token of the first form on a page.</summary>
    public static string FormToken(string html) => AntiforgeryField().Match(html).Groups[1].Value;

    /// <summary>Posts the sign-in form with the admin token and <paramref name="returnTo"/>; the client keeps the session's cookie.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, string returnTo, string token = TestSite.Token)
    {
        var form = FormToken(await client.GetStringAsync("/signin"));
        return await client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["__af"] = form, ["token"] = token, ["return"] = returnTo }));
    }
}
