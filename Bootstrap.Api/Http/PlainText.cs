using System.Reflection;
using System.Text;
using Bootstrap.Builder.Boot;
using Microsoft.AspNetCore.Http.Metadata;

namespace Bootstrap.Api.Http;

/// <summary>A status that is part of a result's type, so the OpenAPI document learns it from a handler's signature.</summary>
public interface IHttpStatus
{
    static abstract int Code { get; }
}

/// <summary>The statuses our text/plain answers use.</summary>
public static class Status
{
    public sealed class Ok : IHttpStatus { public static int Code => StatusCodes.Status200OK; }
    public sealed class BadRequest : IHttpStatus { public static int Code => StatusCodes.Status400BadRequest; }
    public sealed class Unauthorized : IHttpStatus { public static int Code => StatusCodes.Status401Unauthorized; }
    public sealed class Forbidden : IHttpStatus { public static int Code => StatusCodes.Status403Forbidden; }
    public sealed class NotFound : IHttpStatus { public static int Code => StatusCodes.Status404NotFound; }
    public sealed class Conflict : IHttpStatus { public static int Code => StatusCodes.Status409Conflict; }
    public sealed class TooLarge : IHttpStatus { public static int Code => StatusCodes.Status413PayloadTooLarge; }
    public sealed class TooMany : IHttpStatus { public static int Code => StatusCodes.Status429TooManyRequests; }
    public sealed class Failed : IHttpStatus { public static int Code => StatusCodes.Status500InternalServerError; }
    public sealed class NotImplemented : IHttpStatus { public static int Code => StatusCodes.Status501NotImplemented; }
    public sealed class Unavailable : IHttpStatus { public static int Code => StatusCodes.Status503ServiceUnavailable; }
}

/// <summary>A text/plain answer (what curl users and iPXE read): its bytes, already UTF-8, and its status.</summary>
public abstract class TextAnswer(int status, byte[] utf8) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public const string ContentType = "text/plain; charset=utf-8";

    public int StatusCode { get; } = status;
    int? IStatusCodeHttpResult.StatusCode => StatusCode;
    string IContentTypeHttpResult.ContentType => ContentType;

    /// <summary>The body as text (tests and logs read it).</summary>
    public string Text => Encoding.UTF8.GetString(utf8);

    public Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = StatusCode;
        http.Response.ContentType = ContentType;
        http.Response.ContentLength = utf8.Length;
        return http.Response.Body.WriteAsync(utf8).AsTask();
    }

    protected static void Produces(EndpointBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
            builder.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(string), ["text/plain"]));
    }
}

/// <summary>A text/plain answer whose status is in its type.</summary>
public sealed class Text<TStatus>(byte[] utf8) : TextAnswer(TStatus.Code, utf8), IEndpointMetadataProvider where TStatus : IHttpStatus
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) => Produces(builder, TStatus.Code);
}

/// <summary>A core <see cref="Builder.Problem"/> as HTTP answers it: its kind's status (<see cref="Problems.StatusOf"/>), its message.</summary>
public sealed class ProblemText(Problem problem) : TextAnswer(Problems.StatusOf(problem.Kind), PlainText.Line(problem.Message)), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        Produces(builder, Enum.GetValues<ProblemKind>().Select(Problems.StatusOf).ToArray());
}

/// <summary>A boot request refused: 404 for an unknown network or a missing kernel, 400 for anything else wrong with it.</summary>
public sealed class RequestProblemText(int status, string message) : TextAnswer(status, PlainText.Line(message)), IEndpointMetadataProvider
{
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        Produces(builder, StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
}

/// <summary>A text/plain answer whose status is known only at run time (what Kestrel said of a request it could not read).</summary>
public sealed class StatusText(int status, string message) : TextAnswer(status, PlainText.Line(message));

/// <summary>The text/plain answers, by status.</summary>
public static class PlainText
{
    internal static byte[] Line(string message) => Encoding.UTF8.GetBytes(message + "\n");

    public static Text<Status.Ok> Ok(string message) => new(Line(message));
    public static Text<Status.BadRequest> BadRequest(string message) => new(Line(message));
    public static Text<Status.Unauthorized> Unauthorized(string message) => new(Line(message));
    public static Text<Status.Forbidden> Forbidden(string message) => new(Line(message));
    public static Text<Status.NotFound> NotFound(string message) => new(Line(message));
    public static Text<Status.Conflict> Conflict(string message) => new(Line(message));
    public static Text<Status.TooLarge> TooLarge(string message) => new(Line(message));
    public static Text<Status.TooMany> TooMany(string message) => new(Line(message));
    public static Text<Status.Failed> Failed(string message) => new(Line(message));
    public static Text<Status.NotImplemented> NotImplemented(string message) => new(Line(message));
    public static Text<Status.Unavailable> Unavailable(string message) => new(Line(message));

    /// <summary>A script, as it is (no line added).</summary>
    public static Text<Status.Ok> Script(string script) => new(Encoding.UTF8.GetBytes(script));

    /// <summary>A script already encoded as UTF-8: the same answer as <see cref="Script(string)"/>, without encoding it again.</summary>
    public static Text<Status.Ok> Script(byte[] utf8) => new(utf8);

    public static RequestProblemText Problem(RequestProblem problem) =>
        new(problem.Kind == RequestProblemKind.UnknownNetwork ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, problem.Message);
}
