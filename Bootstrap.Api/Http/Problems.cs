
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
        ProblemKind.Upstream => StatusCodes.Status502BadGateway,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static ProblemText ToText(this Problem problem) => new(problem);

    public static ProblemText Invalid(string message) => new(Problem.Invalid(message));
    public static ProblemText NotFound(string message) => new(Problem.NotFound(message));
    public static ProblemText Conflict(string message) => new(Problem.Conflict(message));
    public static ProblemText TooLarge(string message) => new(Problem.TooLarge(message));

    /// <summary>A result as the API answers it: its value as JSON, or its problem.</summary>
    public static Results<Ok<T>, ProblemText> ToOk<T>(this Result<T> result) =>
        result.Succeeded ? TypedResults.Ok(result.Value) : new ProblemText(result.Problem);

    /// <summary>A result that carries no value: 204, or its problem.</summary>
    public static Results<NoContent, ProblemText> ToNoContent(this Result<Done> result) =>
        result.Succeeded ? TypedResults.NoContent() : new ProblemText(result.Problem);
}
