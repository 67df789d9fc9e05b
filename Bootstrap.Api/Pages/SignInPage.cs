using static Bootstrap.Api.Pages.Html;

namespace Bootstrap.Api.Pages;

/// <summary><c>/signin</c>: the admin token, once, for the pages that change things.</summary>
public static class SignInPage
{
    public static HtmlPage Render(string antiforgeryField, string returnTo, string? error, int status = StatusCodes.Status200OK) =>
        Page("Sign in", "/signin", $$"""
            <h1>Sign in</h1>
            <p class="lead">Assigning, resetting and deleting machines needs the service's admin token (<code>api-token</code> in config.json).</p>
            <form method="post" action="/signin">
            {{antiforgeryField}}
            <input type="hidden" name="return" value="{{E(returnTo)}}">
            <div class="field">
            <label for="token">Admin token</label>
            <input id="token" name="token" type="password" autocomplete="current-password" required{{(error == null ? "" : """ aria-invalid="true" aria-describedby="token-error" """.TrimEnd())}}>
            {{(error == null ? "" : $"""<p id="token-error" class="error" role="alert">{E(error)}</p>""")}}
            </div>
            <button type="submit">Sign in</button>
            </form>
            """, status);
}
