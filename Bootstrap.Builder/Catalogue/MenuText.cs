namespace Bootstrap.Builder.Catalogue;

/// <summary>
/// A menu's entries as lines a person edits on the catalogue page, one entry per line:
/// <c>image NAME</c>, <c>separator TEXT</c>, <c>local</c>, <c>network NET [FARM]</c>,
/// <c>chain URL</c>, <c>shell</c>. Only the shape is read here; <see cref="MenuRules"/> checks the
/// values as it does for the API's JSON.
/// </summary>
public static class MenuText
{
    public static string Format(IEnumerable<MenuEntry> entries) => string.Join("\n", entries.Select(e =>
        e.Image != null ? $"image {e.Image}"
        : e.Separator != null ? $"separator {e.Separator}"
        : e.Network != null ? $"network {e.Network}{(e.Farmer != null ? " " + e.Farmer : "")}"
        : e.Chain != null ? $"chain {e.Chain}"
        : e.Local == true ? "local"
        : "shell"));

    public static (IReadOnlyList<MenuEntry>? Entries, string? Problem) Parse(string text)
    {
        var entries = new List<MenuEntry>();
        var lines = text.Replace("\r", "").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
                continue;
            var space = line.IndexOf(' ');
            var (word, rest) = space < 0 ? (line, "") : (line[..space], line[(space + 1)..].Trim());
            var parts = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            MenuEntry? entry = (word, parts.Length) switch
            {
                ("image", 1) => new MenuEntry(Image: parts[0]),
                ("separator", > 0) => new MenuEntry(Separator: rest),
                ("local", 0) => new MenuEntry(Local: true),
                ("shell", 0) => new MenuEntry(Shell: true),
                ("network", 1) => new MenuEntry(Network: parts[0]),
                ("network", 2) => new MenuEntry(Network: parts[0], Farmer: parts[1]),
                ("chain", 1) => new MenuEntry(Chain: parts[0]),
                _ => null,
            };
            if (entry == null)
                return (null, $"entries line {i + 1}: one of 'image NAME', 'separator TEXT', 'local', 'network NET [FARM]', 'chain URL', 'shell'");
            entries.Add(entry);
        }
        return (entries, null);
    }
}
