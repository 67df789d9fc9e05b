using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bootstrap.Api.Http;

/// <summary>Reads a JSON body with a byte bound: 413 past it, 400 naming the field for bad JSON.</summary>
public static class JsonBody
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = false };

    public static async Task<(T? Value, ProblemText? Problem)> ReadAsync<T>(HttpContext http, int maxBytes) where T : class
    {
        if (http.Request.ContentLength > maxBytes)
            return (null, Problem.TooLarge($"the body is larger than {maxBytes} bytes").ToText());
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                return (null, Problem.TooLarge($"the body is larger than {maxBytes} bytes").ToText());
            buffer.Write(chunk, 0, read);
        }
        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Options);
            return value == null
                ? (null, Problem.Invalid("the body must be a JSON object").ToText())
                : (value, null);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
            return (null, Problem.Invalid(field == "body"
                ? "body: expected one JSON object"
                : $"{field}: not a value of the right type (strings in quotes, numbers without)").ToText());
        }
    }
}
