using System.Buffers;
using System.Text;

namespace Bootstrap.Builder;

/// <summary>
/// Client values on their way into a log line: control characters (a decoded <c>%0A</c> in a path)
/// become visible escapes, so no request can start a line of its own and forge another entry, and
/// a value longer than <see cref="MaxLength"/> is cut, so no request can fill the log.
/// </summary>
public static class LogText
{
    /// <summary>The most characters of one client value a log line or message keeps.</summary>
    public const int MaxLength = 256;

    private static readonly SearchValues<char> NeedEscaping = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 32).Select(c => (char)c)) + "\\\u007f\u0085\u2028\u2029");

    public static string Escape(string? value)
    {
        if (value == null)
            return "";
        if (value.Length > MaxLength)
            return Escape(value[..MaxLength]) + $"...({value.Length - MaxLength} more characters)";
        var at = value.AsSpan().IndexOfAny(NeedEscaping);
        if (at < 0)
            return value;
        var escaped = new StringBuilder(value.Length + 8).Append(value, 0, at);
        foreach (var c in value.AsSpan(at))
        {
            escaped.Append(c switch
            {
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when NeedEscaping.Contains(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        return escaped.ToString();
    }
}
