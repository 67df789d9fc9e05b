using System.Reflection;
using System.Text;

namespace Bootstrap.Builder.Storage;

/// <summary>Files shipped inside an assembly (script texts, migrations, page assets), read by their logical name.</summary>
public static class EmbeddedResource
{
    public static byte[] Bytes(Assembly assembly, string name)
    {
        using var stream = Open(assembly, name);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>The resource as UTF-8 text with Unix line ends, whatever the checkout used.</summary>
    public static string Text(Assembly assembly, string name)
    {
        using var reader = new StreamReader(Open(assembly, name), Encoding.UTF8);
        return reader.ReadToEnd().Replace("\r\n", "\n");
    }

    private static Stream Open(Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(name) ?? throw new FileNotFoundException($"'{name}' is not embedded in {assembly.GetName().Name}");
}
