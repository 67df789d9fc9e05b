using Bootstrap.Builder.Requests;
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

    public static ContentHttpResult Problem(RequestProblem problem) =>
        Error(problem.Kind == RequestProblemKind.UnknownNetwork ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest,
            problem.Message);
}
