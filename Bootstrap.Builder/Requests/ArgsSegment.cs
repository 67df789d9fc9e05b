namespace Bootstrap.Builder.Requests;

/// <summary>
/// How kernel arguments travel in one URL path segment, as 0-bootstrap wrote them: a segment cannot
/// hold <c>/</c>, so <c>___</c> stands for it, and a space is <c>%20</c>. Encoding and decoding live
/// here only: the parser decodes, the pages and the CLI encode.
/// </summary>
public static class ArgsSegment
{
    public const string Slash = "___";

    public static string Decode(string segment) => segment.Replace(Slash, "/");

    /// <summary>The segment for validated <paramref name="args"/>, percent-encoding the space; empty args give an empty string.</summary>
    public static string Encode(string args) => args.Replace("/", Slash).Replace(" ", "%20");
}
