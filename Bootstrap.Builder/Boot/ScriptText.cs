using System.Text;
using System.Text.RegularExpressions;
using Bootstrap.Builder.Storage;

namespace Bootstrap.Builder.Boot;

/// <summary>
/// An iPXE script with <c>{{value}}</c> placeholders and <c>{{&gt; part}}</c> includes, parsed once
/// into literal and placeholder pieces so rendering is a concatenation with no file I/O.
/// Values must already be validated: the template does no escaping because iPXE has none.
/// </summary>
public sealed partial class ScriptText
{
    private readonly IReadOnlyList<(string Text, bool IsPlaceholder)> _pieces;

    private ScriptText(IReadOnlyList<(string, bool)> pieces) => _pieces = pieces;

    [GeneratedRegex(@"\{\{(>?)\s*([a-z_]+)\s*\}\}")]
    private static partial Regex Tag();

    /// <summary>Parses <paramref name="text"/>; <paramref name="part"/> returns the text of an included part.</summary>
    public static ScriptText Parse(string text, Func<string, string> part)
    {
        var pieces = new List<(string, bool)>();
        Expand(text, part, pieces, depth: 0);
        return new ScriptText(pieces);
    }

    private static void Expand(string text, Func<string, string> part, List<(string, bool)> pieces, int depth)
    {
        if (depth > 8)
            throw new InvalidOperationException("script parts include each other in a loop");
        var at = 0;
        foreach (Match tag in Tag().Matches(text))
        {
            pieces.Add((text[at..tag.Index], false));
            at = tag.Index + tag.Length;
            if (tag.Groups[1].Value == ">")
            {
                // The include stands on its own line: drop the line break after it so parts join cleanly.
                Expand(part(tag.Groups[2].Value).TrimEnd('\n'), part, pieces, depth + 1);
            }
            else
            {
                pieces.Add((tag.Groups[2].Value, true));
            }
        }
        pieces.Add((text[at..], false));
    }

    public string Render(IReadOnlyDictionary<string, string> values)
    {
        var sb = new StringBuilder(4096);
        foreach (var (text, isPlaceholder) in _pieces)
        {
            if (!isPlaceholder)
                sb.Append(text);
            else if (values.TryGetValue(text, out var value))
                sb.Append(value);
            else
                throw new KeyNotFoundException($"script value '{text}' was not given");
        }
        return sb.ToString();
    }

    /// <summary>Loads a template shipped inside this assembly (<c>Scripts/Ipxe/NAME.ipxe</c>).</summary>
    /// <summary>The embedded script <c>Scripts/Ipxe/NAME.ipxe</c> (or <c>Scripts/Grub/NAME.cfg</c> with <paramref name="extension"/> "cfg").</summary>
    public static ScriptText FromResource(string name, string extension = "ipxe") =>
        Parse(ReadResource(name, extension), p => ReadResource("_" + p, extension));

    private static string ReadResource(string name, string extension) =>
        EmbeddedResource.Text(typeof(ScriptText).Assembly, $"Bootstrap.Scripts.{name}.{extension}");
}
