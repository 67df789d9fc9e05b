using Microsoft.AspNetCore.Http.HttpResults;

namespace Bootstrap.Api.Http;

/// <summary>The core's problems at the HTTP edge: one status per kind, the message as text/plain (what curl users read).</summary>
public static class Problems
{
    public static int StatusOf(ProblemKind kind) => kind switch
    {
        ProblemKind.Invalid => StatusCodes.Status400BadRequest,
        ProblemKind.NotFound => StatusCodes.Status404NotFound,
        ProblemKind.Conflict => StatusCodes.Status409Conflict,
        ProblemKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ProblemKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static ContentHttpResult ToResult(this Problem problem) => PlainText.Error(StatusOf(problem.Kind), problem.Message);

    /// <summary>A result as the API answers it: its value as JSON (204 when there is none), or its problem.</summary>
    public static IResult ToResult<T>(this Result<T> result) =>
        !result.Succeeded ? result.Problem.ToResult()
        : result.Value is Done ? TypedResults.NoContent()
        : TypedResults.Ok(result.Value);
}
