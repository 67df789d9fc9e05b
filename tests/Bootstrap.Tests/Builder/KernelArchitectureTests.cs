using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Kernels;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>Kernels per architecture: what a kernel file declares, where each architecture's links live, and how a script chooses.</summary>
public sealed class KernelArchitectureTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    [Fact]
    public void A_kernel_declares_its_architecture_in_its_first_bytes()
    {
        var bzImage = new byte[4096];
        "HdrS"u8.CopyTo(bzImage.AsSpan(0x202));
        var arm64Image = new byte[4096];
        "ARM\x64"u8.CopyTo(arm64Image.AsSpan(0x38));

        Assert.Equal("x86_64", KernelArchitecture.Detect(File.ReadAllBytes(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz")).AsSpan(0, 4096))?.Name);
        Assert.Equal("arm64", KernelArchitecture.Detect(File.ReadAllBytes(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz-arm64")).AsSpan(0, 4096))?.Name);
        Assert.Equal("x86_64", KernelArchitecture.Detect(bzImage)?.Name);
        Assert.Equal("arm64", KernelArchitecture.Detect(arm64Image)?.Name);
        Assert.Null(KernelArchitecture.Detect(KernelHeaders.Pe(0x14c)));   // i386 PE: no kernel of ours
        Assert.Null(KernelArchitecture.Detect("MZ"u8));
        Assert.Null(KernelArchitecture.Detect(new byte[4096]));
        var lfanewPastTheHead = KernelHeaders.X64Pe;
        BitConverter.TryWriteBytes(lfanewPastTheHead.AsSpan(0x3c), 4094);
        Assert.Null(KernelArchitecture.Detect(lfanewPastTheHead));
    }

    [Theory]
    [InlineData("prod.efi", "x86_64", "prod.efi", null)]
    [InlineData("arm64/prod.efi", "arm64", "prod.efi", null)]
    [InlineData("riscv64/prod.efi", null, "riscv64/prod.efi", "link: 'riscv64' is not an architecture's folder; runmode links are NAME.efi (x86_64) or arm64/NAME.efi")]
    [InlineData("arm64/..prod.efi", "arm64", "..prod.efi", "link: a file name must not start with '.' or contain '..'")]
    [InlineData("arm64/../prod.efi", "arm64", "../prod.efi", "link: character '/' (U+002F) is not allowed in a file name (A-Z a-z 0-9 . _ -)")]
    public void A_runmode_link_names_its_architecture_by_its_folder(string link, string? architecture, string fileName, string? problem)
    {
        var split = KernelArchitecture.SplitLink(link);
        Assert.Equal((architecture, fileName, problem), (split.Architecture?.Name, split.FileName, split.Problem));
    }

    [Fact]
    public async Task The_kernels_folder_keeps_each_architectures_links_in_its_own_folder()
    {
        _site.PutKernel("zos-x86.efi", KernelHeaders.X64Pe);
        _site.PutKernel("zos-arm64.efi", KernelHeaders.Arm64Pe);
        using var folder = new KernelFolder(_site.Kernels, _site.NetLinks);
        var runmodes = new Dictionary<string, string> { ["prod"] = "Production", ["test"] = "Testing" };

        var linked = await KernelOperations.PointLinkAsync(folder, runmodes, "arm64/prod.efi", "zos-arm64.efi");
        var mismatched = await KernelOperations.PointLinkAsync(folder, runmodes, "arm64/test.efi", "zos-x86.efi");
        var x86 = await KernelOperations.PointLinkAsync(folder, runmodes, "prod.efi", "zos-x86.efi");
        var wrongWay = await KernelOperations.PointLinkAsync(folder, runmodes, "test.efi", "zos-arm64.efi");
        var unknown = await KernelOperations.PointLinkAsync(folder, runmodes, "arm64/dev.efi", "zos-arm64.efi");

        Assert.Equal("net/arm64/prod.efi -> zos-arm64.efi", linked.Message);
        Assert.Equal("../../zos-arm64.efi", new FileInfo(Path.Combine(_site.NetLinks, "arm64", "prod.efi")).LinkTarget);
        Assert.Equal("target: kernel 'zos-x86.efi' is a x86_64 kernel; link 'arm64/test.efi' is what arm64 machines boot", mismatched.Problem!.Message);
        Assert.True(x86.Succeeded);
        Assert.Equal("target: kernel 'zos-arm64.efi' is a arm64 kernel; link 'test.efi' is what x86_64 machines boot", wrongWay.Problem!.Message);
        Assert.Equal("link: 'arm64/dev.efi' is not the link of a configured network; one of arm64/prod.efi, arm64/test.efi", unknown.Problem!.Message);
        Assert.Equal([("zos-arm64.efi", "arm64", "arm64/prod"), ("zos-x86.efi", "x86_64", "prod")],
            folder.List().OrderBy(k => k.Name).Select(k => (k.Name, k.Architecture, string.Join(",", k.Runmodes))));
        Assert.True(folder.Exists("net/arm64/prod.efi"));
        Assert.False(folder.Exists("net/arm64/test.efi"));
        Assert.False(folder.Exists("net/riscv64/prod.efi"));
        Assert.Equal(Path.Combine(_site.Kernels, "zos-arm64.efi"), folder.Resolve("net/arm64/prod.efi"));
        Assert.Equal("kernel 'zos-arm64.efi' is booted by runmode arm64/prod: point it at another kernel first",
            (await Assert.ThrowsAsync<InvalidOperationException>(() => folder.DeleteAsync("zos-arm64.efi"))).Message);
    }

    [Fact]
    public void An_arm64_link_made_behind_the_stores_back_is_seen_by_the_next_question()
    {
        _site.PutKernel("zos-arm64.efi", KernelHeaders.Arm64Pe);
        using var folder = new KernelFolder(_site.Kernels, _site.NetLinks);
        Assert.False(folder.Exists("net/arm64/prod.efi"));

        _site.AddLink("arm64/prod.efi", "zos-arm64.efi");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!folder.Exists("net/arm64/prod.efi"))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the new arm64 link was not seen within 5 s");
            Thread.Sleep(10);
        }
    }

    private static readonly BootRequest Prod = new("prod", "1234", "", null);

    private BootScripts Scripts() => new(ConfigLoader.Load(_site.ConfigFile));

    [Fact]
    public void A_script_sets_each_architectures_kernel_for_the_ipxe_builds_that_boot_it()
    {
        var lines = Support.Scripts.Lines(Scripts().Boot(Prod, "http://boot.test", [KernelArchitecture.X86_64, KernelArchitecture.Arm64]));

        Assert.Equal(
            [
                "# The kernel for this machine's architecture: iPXE names its own build in ${buildarch}.",
                "clear kernel_url",
                "iseq ${buildarch} i386 && set kernel_url http://boot.test/kernel/net/prod.efi ||",
                "iseq ${buildarch} x86_64 && set kernel_url http://boot.test/kernel/net/prod.efi ||",
                "iseq ${buildarch} arm64 && set kernel_url http://boot.test/kernel/net/arm64/prod.efi ||",
                "isset ${kernel_url} || goto no_kernel_for_arch",
            ],
            lines[1..7]);
        Assert.Equal(Support.Scripts.AsSeenBy(string.Join('\n', lines), "arm64"), Support.Scripts.AsSeenBy(Scripts().Boot(Prod, "http://boot.test").TrimEnd('\n'), "arm64"));
    }

    [Fact]
    public void A_machine_of_an_architecture_the_runmode_has_no_kernel_for_is_told_so_and_reboots()
    {
        var script = Scripts().Boot(Prod, "http://boot.test", [KernelArchitecture.X86_64]);
        var lines = Support.Scripts.Lines(script);
        var label = Array.IndexOf(lines, ":no_kernel_for_arch");

        Assert.DoesNotContain(lines, l => l.Contains("arm64/prod.efi"));
        Assert.Equal(
            [
                ":no_kernel_for_arch",
                "echo Network Production (prod) has no kernel here for this machine: its iPXE is a ${buildarch} build,",
                "echo and prod boots x86_64 machines only. An operator links a kernel for this",
                "echo architecture: bootstrap kernels link --runmode prod --architecture ARCH --kernel NAME",
                "goto reboot",
            ],
            lines[label..(label + 5)]);
        Assert.Contains(":reboot", lines);
    }

    [Fact]
    public void A_kernel_named_in_the_request_is_booted_whatever_the_architecture()
    {
        var lines = Support.Scripts.Lines(Scripts().Boot(Prod with { Kernel = "zos-custom.efi" }, "http://boot.test", [KernelArchitecture.X86_64]));

        Assert.Equal(["clear kernel_url", "set kernel_url http://boot.test/kernel/zos-custom.efi", "isset ${kernel_url} || goto no_kernel_for_arch"], lines[2..5]);
    }
}
