using System.Diagnostics.CodeAnalysis;

namespace Bootstrap.Builder;

/// <summary>
/// Why an operation refused: the core says what went wrong in words that name the field or the
/// thing, and each front maps the kind at its edge (an HTTP status, a CLI exit code, a message
/// beside a page's form).
/// </summary>
public enum ProblemKind
{
    /// <summary>The input breaks a rule (a bad name, a missing field).</summary>
    Invalid,
    NotFound,
    /// <summary>The input is fine but the state forbids it (in use, frozen).</summary>
    Conflict,
    TooLarge,
    /// <summary>Something the operation needs is down for now; trying again later may work.</summary>
    Unavailable,
    /// <summary>A device the operation drives (a machine's BMC) refused or did not answer; the message is its own.</summary>
    Upstream,
}

public sealed record Problem(ProblemKind Kind, string Message)
{
    public static Problem Invalid(string message) => new(ProblemKind.Invalid, message);
    public static Problem NotFound(string message) => new(ProblemKind.NotFound, message);
    public static Problem Conflict(string message) => new(ProblemKind.Conflict, message);
    public static Problem TooLarge(string message) => new(ProblemKind.TooLarge, message);
    public static Problem Unavailable(string message) => new(ProblemKind.Unavailable, message);
    public static Problem Upstream(string message) => new(ProblemKind.Upstream, message);
}

/// <summary>The value of an operation that answers nothing but that it was done.</summary>
public sealed record Done
{
    public static readonly Done Value = new();
}

/// <summary>
/// An operation's result: its value and one line saying what it did (the CLI prints it, a page
/// logs it), or the problem that stopped it.
/// </summary>
public sealed record Result<T>
{
    public T? Value { get; init; }
    public string Message { get; init; } = "";
    public Problem? Problem { get; init; }

    [MemberNotNullWhen(false, nameof(Problem))]
    [MemberNotNullWhen(true, nameof(Value))]
    public bool Succeeded => Problem is null;

    public static implicit operator Result<T>(Problem problem) => new() { Problem = problem, Message = problem.Message };
}

public static class Result
{
    public static Result<T> Ok<T>(T value, string message) => new() { Value = value, Message = message };

    public static Result<Done> Done(string message) => Ok(Builder.Done.Value, message);
}
