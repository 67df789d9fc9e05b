using Bootstrap.Builder.Requests;

namespace Bootstrap.Api.Http;

/// <summary>Answers in text/plain: what curl users and iPXE read.</summary>
public static class PlainText
{
    public static IResult Error(int status, string message) =>
        TypedResults.Text(message + "\n", "text/plain; charset=utf-8", statusCode: status);

    public static IResult Ok(string message) => Error(StatusCodes.Status200OK, message);

    public static IResult Script(string script) =>
        TypedResults.Text(script, "text/plain; charset=utf-8");

    public static IResult Problem(RequestProblem problem) =>
        Error(problem.Kind == RequestProblemKind.UnknownNetwork ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest,
            problem.Message);
}
