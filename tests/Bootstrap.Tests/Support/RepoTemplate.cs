using Bootstrap.Builder.Images.Templates;

namespace Bootstrap.Tests.Support;

/// <summary>The binary template setup/template.sh installs in the checkout (setup/test.sh runs it first).</summary>
public static class RepoTemplate
{
    public static string Folder => Path.Combine(RepoRoot.Path, "ipxe-template");

    private static readonly Lazy<IIpxeTemplate> Loaded = new(() =>
    {
        try
        {
            return BinaryTemplate.Load(Folder);
        }
        catch (TemplateUnavailableException e)
        {
            throw new InvalidOperationException($"these tests need the iPXE template: run setup/test.sh ({e.Message})");
        }
    });

    public static IIpxeTemplate Template => Loaded.Value;

    public static byte[] File(string name) => System.IO.File.ReadAllBytes(Path.Combine(Folder, name));

    /// <summary>Copies the template into <paramref name="folder"/> (so a test can break its copy).</summary>
    public static void CopyTo(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Folder))
            System.IO.File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
    }
}
