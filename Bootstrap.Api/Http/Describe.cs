namespace Bootstrap.Api.Http;

/// <summary>
/// The OpenAPI answers a handler's result types cannot say, because something else gives them: a
/// filter (the admin token), a middleware (a dependency down), range processing or a
/// conditional request.
/// </summary>
public static class Describe
{
    private const string Text = "text/plain";

    /// <summary>A kernels folder or database that is down answers 503 (Http/Unavailable), whatever the route.</summary>
    public static RouteHandlerBuilder MayBeUnavailable(this RouteHandlerBuilder route) =>
        route.Produces<string>(StatusCodes.Status503ServiceUnavailable, Text);

    /// <summary>A file's bytes (a file result names no content type), a range of them (206), or nothing for a client holding the ETag (304).</summary>
    public static RouteHandlerBuilder Files(this RouteHandlerBuilder route) =>
        route.Produces(StatusCodes.Status200OK, typeof(byte[]), "application/octet-stream")
             .Produces(StatusCodes.Status206PartialContent, typeof(byte[]), "application/octet-stream")
             .Produces(StatusCodes.Status304NotModified);

    /// <summary>What the admin token filter answers before the handler runs.</summary>
    public static RouteHandlerBuilder Admin(this RouteHandlerBuilder route) =>
        route.Produces<string>(StatusCodes.Status401Unauthorized, Text)
             .Produces<string>(StatusCodes.Status403Forbidden, Text)
             .Produces<string>(StatusCodes.Status429TooManyRequests, Text);
}
