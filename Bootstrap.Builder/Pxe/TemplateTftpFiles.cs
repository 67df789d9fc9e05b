using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Images.Templates;

using Bootstrap.Builder.Pxe.Tftp;

namespace Bootstrap.Builder.Pxe;

/// <summary>
/// The boot programs of <see cref="PxeAnswers.TftpFiles"/> as the current iPXE template holds
/// them, signed with the site key when there is one (a Secure Boot machine trusting the site
/// certificate then runs them). Loaded once per template version: a transfer never reads a file.
/// </summary>
public sealed class TemplateTftpFiles(TemplateStore templates, SiteKey? siteKey) : ITftpFiles
{
    private readonly Lock _lock = new();
    private (string Hash, IReadOnlyDictionary<string, byte[]> Files)? _loaded;

    public byte[]? Find(string name)
    {
        if (!PxeAnswers.TftpFiles.Contains(name))
            return null;
        return Current().TryGetValue(name, out var bytes) ? bytes : null;
    }

    private IReadOnlyDictionary<string, byte[]> Current()
    {
        IIpxeTemplate template;
        try
        {
            template = templates.Get();
        }
        catch (TemplateUnavailableException)
        {
            return new Dictionary<string, byte[]>();
        }
        lock (_lock)
        {
            if (_loaded is { } loaded && loaded.Hash == template.Hash)
                return loaded.Files;
            var files = new Dictionary<string, byte[]>();
            foreach (var name in PxeAnswers.TftpFiles.Where(template.Has))
            {
                // Only on a new template; a binary template hands out its files from memory.
                var bytes = template.FileAsync(name, "", new BuildTrace(), CancellationToken.None).GetAwaiter().GetResult();
                files[name] = siteKey != null && name.EndsWith(".efi", StringComparison.Ordinal) ? siteKey.Signer.Sign(bytes) : bytes;
            }
            _loaded = (template.Hash, files);
            return files;
        }
    }
}
