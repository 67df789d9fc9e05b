namespace Bootstrap.Api.Http;

/// <summary>OpenAPI metadata shared by the route families: what each answers, in which content type.</summary>
public static class Describe
{
    private const string Text = "text/plain";

    /// <summary>The errors every boot-request route can give, all as text/plain sentences.</summary>
    public static RouteHandlerBuilder BootRequestErrors(this RouteHandlerBuilder route) =>
        route.Produces<string>(StatusCodes.Status400BadRequest, Text)
             .Produces<string>(StatusCodes.Status404NotFound, Text)
             .Produces<string>(StatusCodes.Status503ServiceUnavailable, Text);

    public static RouteHandlerBuilder Script(this RouteHandlerBuilder route) =>
        route.Produces<string>(StatusCodes.Status200OK, Text);

    public static RouteHandlerBuilder Image(this RouteHandlerBuilder route) =>
        route.Produces(StatusCodes.Status200OK, typeof(byte[]), "application/octet-stream")
             .Produces(StatusCodes.Status206PartialContent, typeof(byte[]), "application/octet-stream")
             .Produces(StatusCodes.Status304NotModified)
             .Produces<string>(StatusCodes.Status429TooManyRequests, Text)
             .Produces<string>(StatusCodes.Status501NotImplemented, Text)
             .BootRequestErrors();

    public static RouteHandlerBuilder Admin(this RouteHandlerBuilder route) =>
        route.Produces<string>(StatusCodes.Status400BadRequest, Text)
             .Produces<string>(StatusCodes.Status401Unauthorized, Text)
             .Produces<string>(StatusCodes.Status403Forbidden, Text)
             .Produces<string>(StatusCodes.Status404NotFound, Text)
             .Produces<string>(StatusCodes.Status429TooManyRequests, Text);
}
