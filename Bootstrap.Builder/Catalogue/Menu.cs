using System.Text.Json;
using System.Text.Json.Serialization;
using Bootstrap.Builder.Boot;

namespace Bootstrap.Builder.Catalogue;

/// <summary>One line of a menu, as the API takes it (docs/menus.md): exactly one of its fields is set.</summary>
public sealed record MenuEntry(
    [property: JsonPropertyName("image")] string? Image = null,
    [property: JsonPropertyName("separator")] string? Separator = null,
    [property: JsonPropertyName("local")] bool? Local = null,
    [property: JsonPropertyName("network")] string? Network = null,
    [property: JsonPropertyName("farmer")] string? Farmer = null,
    [property: JsonPropertyName("chain")] string? Chain = null,
    [property: JsonPropertyName("shell")] bool? Shell = null)
{
    [JsonIgnore] public bool Bootable => Separator == null;
}

/// <summary>A menu as the API takes it: the default is an image name or an entry index.</summary>
public sealed record MenuInput(
    [property: JsonPropertyName("title")] string? Title = null,
    [property: JsonPropertyName("timeout")] int? Timeout = null,
    [property: JsonPropertyName("default")] JsonElement? Default = null,
    [property: JsonPropertyName("entries")] IReadOnlyList<MenuEntry>? Entries = null,
    [property: JsonPropertyName("public")] bool? Public = null);

/// <summary>A checked menu: every entry valid, the default an index of a bootable entry (or none).</summary>
public sealed record Menu(string Name, string Title, int Timeout, int? Default, IReadOnlyList<MenuEntry> Entries, DateTimeOffset Updated)
{
    /// <summary>Whether <c>/menu/&lt;name&gt;</c> answers anyone; otherwise only a machine assigned it, or a user through the login.</summary>
    [JsonPropertyName("public")] public bool Public { get; init; }
}

/// <summary>
/// The rules a menu obeys. Everything in it is written into an iPXE script, so titles and separators
/// keep to a display name's characters, networks and farms to the boot route's rules, chained URLs
/// to plain http(s) addresses without a query, and an image must be golden.
/// </summary>
public static class MenuRules
{
    public const int MaxEntries = 64;

    public static (Menu? Menu, string? Problem) Check(string name, MenuInput input, IReadOnlyDictionary<string, string> runmodes,
        Func<string, CatalogueImage?> images, DateTimeOffset now)
    {
        if (!TextShapes.Name().IsMatch(name))
            return (null, $"name: {TextShapes.NameRule}");
        var title = input.Title ?? name;
        if (!TextShapes.DisplayText().IsMatch(title))
            return (null, $"title: {TextShapes.DisplayTextRule}");
        if (input.Timeout is < 0 or > 3600)
            return (null, "timeout: 0 (wait for a choice) to 3600 seconds");
        var entries = input.Entries ?? [];
        if (entries.Count is 0 or > MaxEntries)
            return (null, $"entries: 1 to {MaxEntries}");
        for (var i = 0; i < entries.Count; i++)
            if (EntryProblem(entries[i], runmodes, images) is { } problem)
                return (null, $"entries[{i}].{problem}");
        if (!entries.Any(e => e.Bootable))
            return (null, "entries: at least one that boots something");
        int? @default = null;
        if (input.Default is { } d)
        {
            @default = d.ValueKind switch
            {
                JsonValueKind.Number when d.TryGetInt32(out var index) => index,
                JsonValueKind.String => entries.Select((e, i) => (e, i)).FirstOrDefault(p => p.e.Image == d.GetString(), (null!, -1)).Item2,
                _ => -1,
            };
            if (@default < 0 || @default >= entries.Count || !entries[@default.Value].Bootable)
                return (null, "default: the index or image name of an entry that boots something");
        }
        return (new Menu(name, title, input.Timeout ?? 10, @default, entries, now) { Public = input.Public ?? false }, null);
    }

    private static string? EntryProblem(MenuEntry e, IReadOnlyDictionary<string, string> runmodes, Func<string, CatalogueImage?> images)
    {
        var set = new object?[] { e.Image, e.Separator, e.Local, e.Network, e.Chain, e.Shell }.Count(v => v != null);
        if (set != 1)
            return "entry: exactly one of image, separator, local, network, chain, shell";
        if (e.Farmer != null && e.Network == null)
            return "farmer: belongs to a network entry";
        if (e.Image != null)
            return images(e.Image) switch
            {
                null => $"image: no image named '{BootRequestParser.Shown(e.Image)}'",
                { State: not ImageState.Golden } => $"image: '{e.Image}' is still staging; promote it first",
                _ => null,
            };
        if (e.Separator != null)
            return TextShapes.DisplayText().IsMatch(e.Separator) ? null : $"separator: {TextShapes.DisplayTextRule}";
        if (e.Network != null)
            return BootRequestParser.Parse(runmodes, e.Network, e.Farmer) is (_, { } problem) ? $"{problem.Field}: {problem.Detail}" : null;
        if (e.Chain != null)
            return TextShapes.HttpUrl().IsMatch(e.Chain) ? null : $"chain: {TextShapes.HttpUrlRule}, no query";
        return e.Local == false || e.Shell == false ? "entry: local and shell are true or absent" : null;
    }
}
