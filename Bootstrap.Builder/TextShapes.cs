using System.Text.RegularExpressions;

namespace Bootstrap.Builder;

/// <summary>
/// The shapes of the short texts an operator types that end up in an iPXE script or a URL: one
/// definition each, for every place that checks them (config, profiles, images, menus).
/// </summary>
public static partial class TextShapes
{
    /// <summary>Names of profiles, images and menus (they appear in URLs).</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}\\z")]
    public static partial Regex Name();

    public const string NameRule = "1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit";

    /// <summary>
    /// Titles, separators and display names a script echoes or shows: no character iPXE would
    /// interpret, and no leading dash or space: <c>menu TEXT</c> or <c>item --gap TEXT</c> would
    /// read a text starting with <c>-</c> as an option (<c>menu --delete</c>).
    /// </summary>
    [GeneratedRegex(@"^[A-Za-z0-9(][A-Za-z0-9 ()._,:/+-]{0,63}\z")]
    public static partial Regex DisplayText();

    public const string DisplayTextRule = "1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('";

    /// <summary>A plain http(s) address: host, optional port and path, no query.</summary>
    [GeneratedRegex(@"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?\z")]
    public static partial Regex HttpUrl();

    public const string HttpUrlRule = "an http(s) URL of the form http[s]://host[:port][/path]";
}
