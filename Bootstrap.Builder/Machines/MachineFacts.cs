using System.Buffers;
using System.Text.RegularExpressions;

namespace Bootstrap.Builder.Machines;

/// <summary>
/// Neutralises what a machine says about itself before it is stored: the values come from firmware
/// (or from anyone who can reach the service), and they reach the machines page, the CLI, the API
/// and answer files rendered for installers. So a UUID must be one (and not the all-zero or
/// all-F placeholder firmware uses for "none"); the other text values keep letters, digits, space
/// and <c>. _ , : / ( ) + # @ -</c>, every other character becomes <c>_</c>, at most
/// <see cref="MaxLength"/> characters. Nothing a machine sends can become a line, a quote or an expansion.
/// </summary>
public static partial class MachineFacts
{
    public const int MaxLength = 64;

    private static readonly SearchValues<char> Kept =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._,:/()+#@-");

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\z")]
    private static partial Regex UuidShape();

    /// <summary>The UUID in lower case, or null when the value is not a usable machine UUID.</summary>
    public static string? Uuid(string? text)
    {
        var uuid = text?.Trim().ToLowerInvariant();
        if (uuid == null || !UuidShape().IsMatch(uuid))
            return null;
        var digits = uuid.Replace("-", "");
        return digits.All(c => c == '0') || digits.All(c => c == 'f') ? null : uuid;
    }

    /// <summary>The value with every character outside the kept set replaced, trimmed, cut to <paramref name="maxLength"/>; null when nothing is left.</summary>
    public static string? Text(string? text, int maxLength = MaxLength)
    {
        if (text == null)
            return null;
        var cut = text.Length > maxLength ? text[..maxLength] : text;
        var chars = cut.ToCharArray();
        for (var i = chars.AsSpan().IndexOfAnyExcept(Kept); i >= 0; i = chars.AsSpan().IndexOfAnyExcept(Kept))
            chars[i] = '_';
        var clean = new string(chars).Trim();
        return clean.Length == 0 ? null : clean;
    }

    /// <summary>Every field of <paramref name="raw"/> neutralised (the inventory is checked JSON, see <see cref="Inventory"/>).</summary>
    public static Facts Clean(Facts raw) => new(
        Uuid(raw.Uuid), Text(raw.Serial), Text(raw.Manufacturer), Text(raw.Product), Text(raw.Asset),
        Text(raw.Platform), Text(raw.Arch), raw.InventoryJson,
        System.Net.IPAddress.TryParse(raw.Ip, out var ip) ? ip.ToString() : null);
}
