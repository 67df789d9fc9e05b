namespace Bootstrap.Api.Pages;

/// <summary>
/// What every admin page's form post does: signed in and carrying an antiforgery token, it runs
/// the same core operation as the API and redirects back, or shows the page again with the
/// problem beside the forms.
/// </summary>
public static class PageForms
{
    /// <summary>Draws a page, with a refusal to show and the status to answer it with.</summary>
    public delegate Task<HtmlPage> Render(HttpContext http, string? error, int status);

    public static async Task<PageAnswer> Post<T>(HttpContext http, string page, Render render, Func<IFormCollection, Task<Result<T>>> action)
    {
        if (await AdminSession.CheckPostAsync(http) is { } refused)
            return refused;
        var result = await action(await http.Request.ReadFormAsync(http.RequestAborted));
        return await Answer(http, page, render, result);
    }

    public static async Task<PageAnswer> Answer<T>(HttpContext http, string page, Render render, Result<T> result)
    {
        if (!result.Succeeded)
            return await render(http, result.Problem.Message, Problems.StatusOf(result.Problem.Kind));
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap.Admin").LogInformation("page {Page}: {Action}", page, result.Message);
        return TypedResults.Redirect(page);
    }

    public static string? Field(IFormCollection form, string name) => form[name].ToString() is { Length: > 0 } value ? value : null;

    /// <summary>A list typed in one field, separated by spaces or commas.</summary>
    public static IReadOnlyList<string> Words(string? text) => (text ?? "").Split([' ', ',', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);

    public static bool WantsHtml(HttpContext http) =>
        http.Request.GetTypedHeaders().Accept.OrderByDescending(a => a.Quality ?? 1)
            .FirstOrDefault(a => a.MediaType.Value is "text/html" or "application/json" or "*/*")?.MediaType.Value == "text/html";
}
