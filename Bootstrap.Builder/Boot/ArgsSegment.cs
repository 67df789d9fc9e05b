using System.Text.RegularExpressions;

namespace Bootstrap.Builder.Boot;

/// <summary>
/// How kernel arguments travel in one URL path segment, as 0-bootstrap wrote them: a segment cannot
/// hold <c>/</c>, so <c>___</c> stands for it. Decoding reads a run of n underscores as n / 3
/// slashes followed by n mod 3 underscores. Encoding is its exact inverse for every args string
/// without <c>___</c> and without <c>_</c> right before <c>/</c>; those two cannot be written in
/// this scheme (<c>x_/y</c> would come back as <c>x/_y</c>) and are refused by
/// <see cref="Problem"/>. So <c>Decode(Encode(a)) == a</c> for every accepted <c>a</c>, and
/// <c>Encode(Decode(s)) == s</c> for every segment <c>s</c>. Only this class encodes or decodes:
/// the parser decodes, the pages and <see cref="BootRequest.Segments"/> encode, and the page's
/// script gets <see cref="UnexpressiblePattern"/> from the server rather than a copy of it.
/// </summary>
public static partial class ArgsSegment
{
    public const string Slash = "___";

    /// <summary>What args cannot contain because it would not survive the trip (a JavaScript-compatible regex).</summary>
    public const string UnexpressiblePattern = "___|_/";

    [GeneratedRegex(UnexpressiblePattern)]
    private static partial Regex Unexpressible();

    /// <summary>Why <paramref name="args"/> cannot be written as a segment, or null when it can.</summary>
    public static string? Problem(string args) =>
        Unexpressible().Match(args) is { Success: true } found
            ? found.Value == Slash
                ? "three underscores in a row cannot be written in a URL, where ___ stands for '/'"
                : "'_' right before '/' cannot be written in a URL, where '/' travels as ___ (put another character between them)"
            : null;

    /// <summary>The arguments a segment carries (total: every segment decodes).</summary>
    public static string Decode(string segment) => segment.Replace(Slash, "/");

    /// <summary>The segment (before percent-encoding) that decodes back to <paramref name="args"/>.</summary>
    /// <exception cref="ArgumentException">when <see cref="Problem"/> refuses <paramref name="args"/>.</exception>
    public static string Encode(string args) =>
        Problem(args) is { } problem ? throw new ArgumentException($"args: {problem}", nameof(args)) : args.Replace("/", Slash);
}
