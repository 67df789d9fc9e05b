namespace Bootstrap.Tests.Support;

public static class Scripts
{
    /// <summary>The script's lines without the trailing empty one.</summary>
    public static string[] Lines(string script) => script.TrimEnd('\n').Split('\n');

    public static string Reference(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Reference", name));
}
