using System.Diagnostics;
using Bootstrap.Builder.Processes;
using CliWrap;
using System.Text.RegularExpressions;
using Bootstrap.Tests.Boot;
using Bootstrap.Tests.Support;
using Xunit.Abstractions;

namespace Bootstrap.Tests.Source;

/// <summary>Runs only when IPXE_SOURCE_TREE names an iPXE tree; otherwise reported as skipped, with the reason.</summary>
public sealed class SourceTreeFactAttribute : FactAttribute
{
    public static string? Tree => Environment.GetEnvironmentVariable("IPXE_SOURCE_TREE") is { Length: > 0 } t ? t : null;

    public SourceTreeFactAttribute()
    {
        if (Tree == null)
            Skip = "no registry serves iPXE's source: set IPXE_SOURCE_TREE to an iPXE tree to run the real make EMBED= builds";
    }
}

/// <summary>
/// A source template made by setup/template.sh --source from the real tree, a live service using
/// it, and the Debian kernel as prod's kernel (as <see cref="BootSite"/>).
/// </summary>
public sealed class RealSourceSite : IDisposable
{
    public TestSite Site { get; }
    public LiveService Service { get; }
    public string SetupReport { get; }

    public RealSourceSite()
    {
        Site = new TestSite(c =>
        {
            c["base-host"] = $"http://{Qemu.ServiceAddress}";
            c["ipxe-template"] = "source-template";
            c["max-concurrent-builds"] = 2;
        });
        var clock = Stopwatch.StartNew();
        var setup = Cli.Wrap("bash").WithArguments([Path.Combine(RepoRoot.Path, "setup", "template.sh"), "--source", SourceTreeFactAttribute.Tree!, "--workers", "2"])
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["IPXE_TEMPLATE_DIR"] = Path.Combine(Site.Root, "source-template") })
            .RunAsync(TimeSpan.FromMinutes(20), validateExitCode: false).GetAwaiter().GetResult();
        SetupReport = setup.StandardOutput + $"(setup took {clock.Elapsed.TotalSeconds:F0} s)";
        if (setup.ExitCode != 0)
            throw new InvalidOperationException("setup/template.sh --source failed:\n" + SetupReport + setup.Tail());
        File.Copy(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz"), Path.Combine(Site.Kernels, "vmlinuz-debian.efi"));
        Site.AddLink("prod.efi", "vmlinuz-debian.efi");
        Service = new LiveService(Site.ConfigFile);
    }

    public void Dispose()
    {
        Service.Dispose();
        Site.Dispose();
    }
}

public sealed partial class RealSourceTreeTests(RealSourceSite real, ITestOutputHelper output) : IClassFixture<RealSourceSite>
{

    private const string Line = "nomodeset version=v3 runmode=prod panic=7200 farmer_id=4242 console=ttyS0";

    private async Task<string> Download(string path)
    {
        using var client = real.Service.Client();
        var clock = Stopwatch.StartNew();
        var bytes = await client.GetByteArrayAsync(path);
        output.WriteLine($"{path}: {bytes.Length} bytes in {clock.Elapsed.TotalSeconds:F1} s (cold build); {real.SetupReport}");
        return Tool.TempFile(bytes, Path.GetExtension(path.Split('/')[1]) is { Length: > 0 } e ? e : ".bin");
    }

    [SourceTreeFact]
    public async Task Krn_with_the_script_compiled_in_boots_the_kernel()
    {
        var lkrn = await Download("/krn/prod/4242/console=ttyS0");

        var line = await Qemu.BootUntilAsync(Firmware.Bios, new Qemu.Media(lkrn, AsCdrom: false, AsKernel: true), real.Service.Port, Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4));

        Assert.Equal("Kernel command line: " + Line, line);
    }

    [SourceTreeFact]
    public async Task Make_built_uefi_file_boots_the_kernel()
    {
        var efi = await Download("/uefi/prod/4242/console=ttyS0");
        var esp = Directory.CreateTempSubdirectory("bootstrap-esp-").FullName;
        Directory.CreateDirectory(Path.Combine(esp, "EFI", "BOOT"));
        File.Move(efi, Path.Combine(esp, "EFI", "BOOT", "BOOTX64.EFI"));

        var line = await Qemu.BootUntilAsync(Firmware.Uefi, new Qemu.Media($"fat:rw:{esp}", AsCdrom: false), real.Service.Port, Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4));

        Assert.EndsWith(Line, line);
    }

    [SourceTreeFact]
    public async Task Iso_with_embedded_script_binaries_boots_the_kernel()
    {
        var iso = await Download("/iso/prod/4242/console=ttyS0");

        var line = await Qemu.BootUntilAsync(Firmware.Bios, new Qemu.Media(iso, AsCdrom: true), real.Service.Port, Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4));

        Assert.Equal("Kernel command line: " + Line, line);
    }

    [SourceTreeFact]
    public async Task Four_different_scripts_at_once_all_build()
    {
        using var client = real.Service.Client();
        var clock = Stopwatch.StartNew();

        var builds = await Task.WhenAll(Enumerable.Range(1, 4).Select(async i =>
        {
            var bytes = await client.GetByteArrayAsync($"/krn/prod/{9000 + i}");
            return (Bytes: bytes, Seconds: clock.Elapsed.TotalSeconds);
        }));

        output.WriteLine($"4 parallel /krn builds, 2 worker trees: done at {string.Join(", ", builds.Select(b => $"{b.Seconds:F1} s"))}");
        Assert.Equal(4, builds.Select(b => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(b.Bytes))).Distinct().Count());
    }
}
