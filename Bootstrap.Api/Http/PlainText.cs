using Bootstrap.Builder.Boot;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Bootstrap.Api.Http;

/// <summary>Answers in text/plain: what curl users and iPXE read.</summary>
public static class PlainText
{
    public static ContentHttpResult Error(int status, string message) =>
        TypedResults.Text(message + "\n", "text/plain; charset=utf-8", statusCode: status);

    public static ContentHttpResult Ok(string message) => Error(StatusCodes.Status200OK, message);

    public static ContentHttpResult Script(string script) =>
        TypedResults.Text(script, "text/plain; charset=utf-8");

    /// <summary>A script already encoded as UTF-8: the same answer as <see cref="Script"/>, without encoding it again.</summary>
    public static IResult Script(byte[] utf8) => new Utf8Script(utf8);

    private sealed class Utf8Script(byte[] utf8) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "text/plain; charset=utf-8";
            http.Response.ContentLength = utf8.Length;
            return http.Response.Body.WriteAsync(utf8).AsTask();
        }
    }

    public static ContentHttpResult Problem(RequestProblem problem) =>
        Error(problem.Kind == RequestProblemKind.UnknownNetwork ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest,
            problem.Message);
}
