using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Http.Metadata;

namespace Bootstrap.Api.Pages;

/// <summary>
/// A page answer: a Razor component rendered on the server (the framework encodes every value it
/// writes), with the security headers every HTML answer carries.
/// </summary>
public sealed class HtmlPage(RazorComponentResult page) : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    public static HtmlPage Of<TComponent>(int status, Dictionary<string, object?> parameters) where TComponent : IComponent =>
        new(new RazorComponentResult<TComponent>(parameters) { StatusCode = status });

    public int? StatusCode => page.StatusCode;

    public Task ExecuteAsync(HttpContext http)
    {
        SecurityHeaders.AddHtmlHeaders(http.Response.Headers);
        return page.ExecuteAsync(http);
    }

    public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(string), ["text/html"]));
}

/// <summary>How the pages write sizes.</summary>
public static class Html
{
    public static string Size(long bytes) => bytes switch
    {
        >= 1 << 30 => $"{bytes / 1073741824.0:F1} GiB",
        >= 1 << 20 => $"{bytes / 1048576.0:F1} MiB",
        >= 1 << 10 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes} B",
    };
}
