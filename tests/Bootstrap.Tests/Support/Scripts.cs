using System.Text.RegularExpressions;

namespace Bootstrap.Tests.Support;

public static partial class Scripts
{
    /// <summary>The script's lines without the trailing empty one.</summary>
    public static string[] Lines(string script) => script.TrimEnd('\n').Split('\n');

    public static string Reference(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", name));

    /// <summary>
    /// The script as an iPXE of build <paramref name="buildArch"/> runs it: <c>${kernel_url}</c>
    /// replaced by the URL its kernel choice sets for that build (the first line that matches, as in
    /// iPXE), or left as it is when none does.
    /// </summary>
    public static string AsSeenBy(string script, string buildArch = "x86_64")
    {
        var url = Lines(script).Select(l => KernelChoice().Match(l)).Where(m => m.Success)
            .FirstOrDefault(m => !m.Groups["build"].Success || m.Groups["build"].Value == buildArch)?.Groups["url"].Value;
        return url == null ? script : script.Replace("${kernel_url}", url);
    }

    [GeneratedRegex(@"^(?:iseq \$\{buildarch\} (?<build>\S+) && )?set kernel_url (?<url>\S+)(?: \|\|)?$")]
    private static partial Regex KernelChoice();
}
