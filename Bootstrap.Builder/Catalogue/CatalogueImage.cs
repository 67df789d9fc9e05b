using System.Text.Json.Serialization;
using Bootstrap.Builder.Boot;

namespace Bootstrap.Builder.Catalogue;

/// <summary>What an image is for: its type decides which of its files a menu boots, and how.</summary>
public static class ImageType
{
    public const string KernelInitrd = "kernel-initrd";
    public const string Iso = "iso";
    public const string Livenet = "livenet";
    public const string Nfs = "nfs";

    public static readonly IReadOnlyList<string> All = [KernelInitrd, Iso, Livenet, Nfs];
}

public static class ImageState
{
    public const string Staging = "staging";
    public const string Golden = "golden";
}

/// <summary>One file of an image, as stored: its size and sha256 (its ETag).</summary>
public sealed record ImageFile(string Name, long Size, string Sha256, DateTimeOffset Updated);

/// <summary>
/// An image of the catalogue: its description (the fields of docs/menus.md), its state, its files
/// and the architecture it is for (<see cref="KernelArchitecture"/>'s name; null: any).
/// </summary>
public sealed record CatalogueImage(
    string Name, string Type, string Title, string? Kernel, IReadOnlyList<string> Initrds, string? Iso, string? Rootfs, string Args,
    string State, DateTimeOffset Updated, IReadOnlyList<ImageFile> Files, string? Architecture = null)
{
    /// <summary>The files the description names, in boot order.</summary>
    public IEnumerable<string> NamedFiles =>
        new[] { Kernel }.Concat(Initrds).Append(Iso).Append(Rootfs).OfType<string>();
}

/// <summary>An image description as the API takes it.</summary>
public sealed record ImageInput(
    [property: JsonPropertyName("type")] string? Type = null,
    [property: JsonPropertyName("title")] string? Title = null,
    [property: JsonPropertyName("kernel")] string? Kernel = null,
    [property: JsonPropertyName("initrds")] IReadOnlyList<string>? Initrds = null,
    [property: JsonPropertyName("iso")] string? Iso = null,
    [property: JsonPropertyName("rootfs")] string? Rootfs = null,
    [property: JsonPropertyName("args")] string? Args = null,
    [property: JsonPropertyName("architecture")] string? Architecture = null);

/// <summary>
/// The rules an image description obeys. Its title and args end up in a menu script, so the title
/// keeps to the characters of a runmode's display name and args to the boot route's rules; its
/// file names to the kernel-file rule (no path, no '..').
/// </summary>
public static class ImageRules
{
    public static string? NameProblem(string name) =>
        TextShapes.Name().IsMatch(name) ? null : $"name: {TextShapes.NameRule}";

    public static string? FileProblem(string file) => KernelNames.Check(file, "file");

    /// <summary>Checks a description: (the image to store, null) or (null, a problem naming the field).</summary>
    public static (CatalogueImage? Image, string? Problem) Check(string name, ImageInput input, DateTimeOffset now)
    {
        if (NameProblem(name) is { } bad)
            return (null, bad);
        if (input.Type == null || !ImageType.All.Contains(input.Type))
            return (null, $"type: '{BootRequestParser.Shown(input.Type ?? "")}' is not one of {string.Join(", ", ImageType.All)}");
        var title = input.Title ?? name;
        if (!TextShapes.DisplayText().IsMatch(title))
            return (null, $"title: {TextShapes.DisplayTextRule}");
        foreach (var (field, file) in new[] { ("kernel", input.Kernel), ("iso", input.Iso), ("rootfs", input.Rootfs) }
                     .Concat((input.Initrds ?? []).Select(f => ("initrds", (string?)f))))
            if (file != null && KernelNames.Problem(file) is { } problem)
                return (null, $"{field}: {problem}");
        if ((input.Initrds?.Count ?? 0) > 8)
            return (null, "initrds: at most 8");
        var needs = input.Type switch
        {
            ImageType.Iso => input.Iso == null ? "iso" : null,
            ImageType.Livenet => input.Kernel == null ? "kernel" : input.Rootfs == null ? "rootfs" : null,
            _ => input.Kernel == null ? "kernel" : null,
        };
        if (needs != null)
            return (null, $"{needs}: an image of type {input.Type} needs one");
        if (input.Architecture != null && KernelArchitecture.Parse(input.Architecture, "architecture") is (null, { } unknown))
            return (null, $"{unknown} (or leave it out: any)");
        var (request, argsProblem) = BootRequestParser.ParseTyped(new Dictionary<string, string> { ["image"] = "" }, "image", null, input.Args ?? "");
        if (argsProblem != null)
            return (null, argsProblem.Message);
        return (new CatalogueImage(name, input.Type, title, input.Kernel, input.Initrds ?? [], input.Iso, input.Rootfs, request!.Args,
            ImageState.Staging, now, [], input.Architecture), null);
    }
}
