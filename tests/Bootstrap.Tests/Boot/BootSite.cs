using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// A live service whose scripts point at <see cref="Qemu.ServiceAddress"/> and whose prod kernel
/// is a real Debian kernel (setup/test.sh puts it in .cache/vmlinuz).
/// </summary>
public sealed class BootSite : IDisposable
{
    public TestSite Site { get; }
    public LiveService Service { get; }

    public BootSite() : this(null)
    {
    }

    /// <summary>The version of Debian's ARM64 kernel (setup/test.sh puts it in .cache/vmlinuz-arm64), as it names itself at boot.</summary>
    public static string Arm64KernelVersion => File.ReadAllText(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz-arm64.version")).Trim();

    /// <param name="configure">Changes to the site's config.json (e.g. a shorter discovery poll).</param>
    /// <param name="arm64">Also link prod's ARM64 kernel: Debian's, from .cache/vmlinuz-arm64.</param>
    internal BootSite(Action<Dictionary<string, object>>? configure, bool arm64 = false)
    {
        var kernel = Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_KERNEL") is { Length: > 0 } k ? k : Path.Combine(RepoRoot.Path, ".cache", "vmlinuz");
        if (!File.Exists(kernel))
            throw new InvalidOperationException($"the boot tests need a real kernel at {kernel}: run setup/test.sh");
        Site = new TestSite(c =>
        {
            c["base-host"] = $"http://{Qemu.ServiceAddress}";
            c["ipxe-template"] = RepoTemplate.Folder;
            configure?.Invoke(c);
        });
        File.Copy(kernel, Path.Combine(Site.Kernels, "vmlinuz-debian.efi"));
        Site.AddLink("prod.efi", "vmlinuz-debian.efi");
        if (arm64)
        {
            File.Copy(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz-arm64"), Path.Combine(Site.Kernels, "vmlinuz-debian-arm64.efi"));
            Site.AddLink("arm64/prod.efi", "vmlinuz-debian-arm64.efi");
        }
        Service = new LiveService(Site.ConfigFile);
    }

    /// <summary>Downloads <paramref name="path"/> from the service into a temp file.</summary>
    public async Task<string> DownloadAsync(string path)
    {
        using var client = Service.Client();
        var bytes = await client.GetByteArrayAsync(path);
        return Tool.TempFile(bytes, Path.GetExtension(path.Split('/')[1]) is var e && e.Length > 0 ? e : ".img");
    }

    public void Dispose()
    {
        Service.Dispose();
        Site.Dispose();
    }
}
