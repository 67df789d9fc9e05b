// What a page's handler answers: the page, a redirect (after a form's action, or to sign in), a
// refused form (stale antiforgery token), or a client over its budget.
global using PageAnswer = Microsoft.AspNetCore.Http.HttpResults.Results<
    Bootstrap.Api.Pages.HtmlPage,
    Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult,
    Bootstrap.Api.Http.Text<Bootstrap.Api.Http.Status.BadRequest>,
    Bootstrap.Api.Http.Text<Bootstrap.Api.Http.Status.TooMany>>;
