using System.Text;

namespace Bootstrap.Builder.Images.Templates;

/// <summary>
/// The script a source template compiles into iPXE, at a fixed size. <c>setup/template.sh --source</c>
/// compiles every target once with a placeholder of <see cref="PlaceholderLength"/> bytes
/// (iPXE's <c>image/embedded.c</c> keeps the script's bytes verbatim and its length as a link-time
/// constant), so a request only writes its script over the placeholder, padded to that same length.
/// </summary>
/// <remarks>
/// 8 KiB because the longest script the service embeds, the debug image's with 1,024 characters of
/// arguments, a 20-digit farm id, a 128-character kernel name and a 253-character host name (each
/// appears more than once), is 6,746 bytes (EmbeddedScriptTests renders it): every script fits with
/// over 1 KiB to spare, at 8 KiB more in each binary. A longer one still builds, with make.
/// </remarks>
public static class EmbeddedScript
{
    /// <summary>The placeholder's size; <c>setup/source-template.sh</c> makes its placeholder this long.</summary>
    public const int PlaceholderLength = 8192;

    /// <summary>
    /// <paramref name="script"/> as exactly <paramref name="length"/> bytes: the script, a line end if
    /// it has none, then a comment line of spaces (iPXE skips it), or null when it does not fit and
    /// only a make build can carry it.
    /// </summary>
    public static byte[]? Padded(string script, int length)
    {
        var text = script.EndsWith('\n') ? script : script + "\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        if (bytes.Length > length)
            return null;
        var padded = new byte[length];
        bytes.CopyTo(padded, 0);
        var rest = padded.AsSpan(bytes.Length);
        if (rest.Length == 1)
            rest[0] = (byte)'\n';
        else if (rest.Length > 1)
        {
            rest.Fill((byte)' ');
            rest[0] = (byte)'#';
            rest[^1] = (byte)'\n';
        }
        return padded;
    }
}
