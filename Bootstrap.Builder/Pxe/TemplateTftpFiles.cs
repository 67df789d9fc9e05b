using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Images.Templates;

using Bootstrap.Builder.Pxe.Tftp;

namespace Bootstrap.Builder.Pxe;

/// <summary>
/// The boot programs of <see cref="PxeAnswers.TftpFiles"/> as the current iPXE template holds
/// them, signed with the site key when there is one (a Secure Boot machine trusting the site
/// certificate then runs them). Loaded once per template version: a transfer never reads a file.
/// A transfer never waits for the template to be asked for (that stats every file of its folder:
/// 2 ms of each transfer's start in bench/pxe.sh): when the files are older than
/// <see cref="Recheck"/>, the request that notices starts a check in the background and is answered
/// from the files in hand; requests after the check see what it found.
/// </summary>
public sealed class TemplateTftpFiles(TemplateStore templates, SiteKey? siteKey, TimeProvider? clock = null) : ITftpFiles
{
    public static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private (string Hash, IReadOnlyDictionary<string, byte[]> Files)? _loaded;
    private Checked? _checked;
    private int _checking;

    private sealed record Checked(long At, IReadOnlyDictionary<string, byte[]> Files);

    public byte[]? Find(string name)
    {
        if (!PxeAnswers.TftpFiles.Contains(name))
            return null;
        return Current().TryGetValue(name, out var bytes) ? bytes : null;
    }

    private IReadOnlyDictionary<string, byte[]> Current()
    {
        if (Volatile.Read(ref _checked) is not { } recent)
            return Check();
        if (_clock.GetElapsedTime(recent.At) >= Recheck && Interlocked.Exchange(ref _checking, 1) == 0)
        {
            _ = Task.Run(() =>
            {
                try
                {
                    Check();
                }
                finally
                {
                    Volatile.Write(ref _checking, 0);
                }
            });
        }
        return recent.Files;
    }

    private IReadOnlyDictionary<string, byte[]> Check()
    {
        var at = _clock.GetTimestamp();
        var files = Load();
        Volatile.Write(ref _checked, new Checked(at, files));
        return files;
    }

    private IReadOnlyDictionary<string, byte[]> Load()
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
