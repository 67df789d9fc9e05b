namespace Bootstrap.Api.Http;

/// <summary>
/// What an admin action did, for both of its callers: the API answers it as JSON (or 204) or as
/// a text/plain refusal, a page redirects on success or shows the message beside its form.
/// </summary>
public sealed record Outcome(int Status, string Message, object? Value = null)
{
    public bool Succeeded => Status is >= 200 and < 300;

    public static Outcome Ok(object value, string message) => new(StatusCodes.Status200OK, message, value);

    public static Outcome Done(string message) => new(StatusCodes.Status204NoContent, message);

    public static Outcome Refused(int status, string message) => new(status, message);

    public IResult ToResult() => !Succeeded ? PlainText.Error(Status, Message)
        : Value == null ? Results.NoContent()
        : Results.Json(Value, statusCode: Status);
}
