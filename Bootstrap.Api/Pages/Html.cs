using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using System.Text.Encodings.Web;
using Bootstrap.Api.Http;

namespace Bootstrap.Api.Pages;

/// <summary>The page frame shared by every HTML page: head, navigation, main, footer.</summary>
public static class Html
{
    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>The sign-in link for a visitor, or the sign-out button for the signed-in admin.</summary>
    public static string SignInOrOut(string page, string? antiforgeryField, string purpose) => antiforgeryField == null
        ? $"""<p><a class="button" href="/signin?return={Uri.EscapeDataString(page)}">Sign in to {E(purpose)}</a></p>"""
        : $"""<form class="inline" method="post" action="/signout">{antiforgeryField}<button type="submit" class="secondary">Sign out</button></form>""";

    /// <summary>A labelled text input of an admin form (the label names the field; "optional" when it may stay empty).</summary>
    public static string TextField(string id, string name, string label, string placeholder, bool optional = false, string? value = null) =>
        $"""<div class="field"><label for="{id}">{E(label)}{(optional ? " <span class=\"optional\">(optional)</span>" : "")}</label><input id="{id}" name="{name}" placeholder="{E(placeholder)}" value="{E(value)}"></div>""";

    public static string ErrorLine(string? error) => error == null ? "" : $"""<p class="error" role="alert">{E(error)}</p>""";

    public static HtmlPage Page(string title, string current, string main, int status = StatusCodes.Status200OK) =>
        new(Body(title, current, main, status));

    private static ContentHttpResult Body(string title, string current, string main, int status) =>
        TypedResults.Text($$"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{E(title)}} · Bootstrap</title>
            <link rel="stylesheet" href="/static/app.css">
            <script src="/static/app.js" defer></script>
            </head>
            <body>
            <header>
            <a class="brand" href="/">Bootstrap</a>
            <nav aria-label="Main">
            {{Link("/generate", "Boot image", current)}}
            {{Link("/expert", "Expert", current)}}
            {{Link("/images", "Kernels", current)}}
            {{Link("/machines", "Machines", current)}}
            {{Link("/catalogue", "Catalogue", current)}}
            {{Link("/accounts", "Accounts", current)}}
            <a href="/openapi/v1.json">API</a>
            </nav>
            </header>
            <main id="main">
            {{main}}
            </main>
            <footer>Network boot for bare-metal farms. Scripts: <code>/ipxe/&lt;network&gt;/&lt;farm&gt;</code>.</footer>
            </body>
            </html>
            """, "text/html; charset=utf-8", statusCode: status);

    private static string Link(string href, string text, string current) =>
        href == current ? $"""<a href="{href}" aria-current="page">{E(text)}</a>""" : $"""<a href="{href}">{E(text)}</a>""";

    public static string Size(long bytes) => bytes switch
    {
        >= 1 << 30 => $"{bytes / 1073741824.0:F1} GiB",
        >= 1 << 20 => $"{bytes / 1048576.0:F1} MiB",
        >= 1 << 10 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes} B",
    };
}

/// <summary>A page answer: the page's HTML with the security headers every HTML answer carries.</summary>
public sealed class HtmlPage(ContentHttpResult page) : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    public int? StatusCode => page.StatusCode;

    public Task ExecuteAsync(HttpContext http)
    {
        SecurityHeaders.AddHtmlHeaders(http.Response.Headers);
        return page.ExecuteAsync(http);
    }

    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), ["text/html"]));
}
