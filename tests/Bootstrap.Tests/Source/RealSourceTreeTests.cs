using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bootstrap.Builder.Images.Formats.Zbin;
using Bootstrap.Builder.Processes;
using Bootstrap.Builder.Images.Templates;
using Bootstrap.Tests.Boot;
using Bootstrap.Tests.Support;
using CliWrap;
using Xunit.Abstractions;

namespace Bootstrap.Tests.Source;

/// <summary>Runs only when IPXE_SOURCE_TREE names an iPXE tree; otherwise reported as skipped, with the reason.</summary>
public sealed class SourceTreeFactAttribute : FactAttribute
{
    public static string? Tree => Environment.GetEnvironmentVariable("IPXE_SOURCE_TREE") is { Length: > 0 } t ? t : null;

    public const string Reason = "no registry serves iPXE's source: set IPXE_SOURCE_TREE to an iPXE tree to run the real source-template builds";

    public SourceTreeFactAttribute()
    {
        if (Tree == null)
            Skip = Reason;
    }
}

/// <summary>The same, for a theory.</summary>
public sealed class SourceTreeTheoryAttribute : TheoryAttribute
{
    public SourceTreeTheoryAttribute()
    {
        if (SourceTreeFactAttribute.Tree == null)
            Skip = SourceTreeFactAttribute.Reason;
    }
}

/// <summary>
/// A source template made by setup/template.sh --source from the real tree, trusting a test CA
/// (setup/test-ca.sh) and with a 4 KiB placeholder, so that a request's arguments can push a script
/// one byte over it; a live service using it, and the Debian kernel as prod's kernel (as <see cref="BootSite"/>).
/// </summary>
public sealed class RealSourceSite : IDisposable
{
    public const int PlaceholderBytes = 4096;

    public TestSite Site { get; }
    public LiveService Service { get; }
    public string SetupReport { get; }
    public string Template => Path.Combine(Site.Root, "source-template");
    public string Tls { get; } = Directory.CreateTempSubdirectory("bootstrap-tls-").FullName;

    public RealSourceSite()
    {
        Tool.Ok(Path.Combine(RepoRoot.Path, "setup", "test-ca.sh"), Qemu.ServiceAddress, "--out", Tls);
        Tool.Ok(Path.Combine(RepoRoot.Path, "setup", "test-ca.sh"), Qemu.ServiceAddress, "--out", Path.Combine(Tls, "stranger"));
        Site = new TestSite(c =>
        {
            c["base-host"] = $"http://{Qemu.ServiceAddress}";
            c["ipxe-template"] = "source-template";
            c["max-concurrent-builds"] = 2;
        });
        var clock = Stopwatch.StartNew();
        var setup = Cli.Wrap("bash").WithArguments([Path.Combine(RepoRoot.Path, "setup", "template.sh"), "--source", SourceTreeFactAttribute.Tree!,
                "--trust", Path.Combine(Tls, "ca.pem"), "--workers", "2", "--placeholder-bytes", PlaceholderBytes.ToString()])
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["IPXE_TEMPLATE_DIR"] = Template })
            .RunAsync(TimeSpan.FromMinutes(30), validateExitCode: false).GetAwaiter().GetResult();
        SetupReport = setup.StandardOutput + $"(setup took {clock.Elapsed.TotalSeconds:F0} s)";
        if (setup.ExitCode != 0)
            throw new InvalidOperationException("setup/template.sh --source failed:\n" + SetupReport + setup.Tail());
        AddDebianKernel(Site);
        Service = new LiveService(Site.ConfigFile);
    }

    public static void AddDebianKernel(TestSite site)
    {
        File.Copy(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz"), Path.Combine(site.Kernels, "vmlinuz-debian.efi"));
        site.AddLink("prod.efi", "vmlinuz-debian.efi");
        // With a kernel for every architecture, /ipxe answers the script the images carry (they try every architecture's link).
        File.Copy(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz-arm64"), Path.Combine(site.Kernels, "vmlinuz-debian-arm64.efi"));
        site.AddLink("arm64/prod.efi", "vmlinuz-debian-arm64.efi");
    }

    /// <summary>
    /// A service on this template that serves HTTPS with <paramref name="tlsFolder"/>'s server
    /// certificate, and whose scripts fetch kernels from https://10.0.2.100 (the guest's port 443).
    /// </summary>
    public (TestSite Site, LiveService Service, int HttpsPort) HttpsService(string tlsFolder)
    {
        var httpsPort = Tool.FreePort();
        var site = new TestSite(c =>
        {
            c["base-host"] = $"https://{Qemu.ServiceAddress}";
            c["ipxe-template"] = Template;
            c["https-port"] = httpsPort;
            c["tls-certificate"] = Path.Combine(tlsFolder, "server.pem");
            c["tls-key"] = Path.Combine(tlsFolder, "server.key");
        });
        AddDebianKernel(site);
        return (site, new LiveService(site.ConfigFile, $"https://127.0.0.1:{httpsPort}"), httpsPort);
    }

    public void Dispose()
    {
        Service.Dispose();
        Site.Dispose();
        Directory.Delete(Tls, recursive: true);
    }
}

/// <summary>
/// The source template on a real iPXE tree: patched binaries are the bytes make builds, every
/// patched target boots to the kernel command line, a script one byte over the placeholder is built
/// by make and boots, and an iPXE built with --trust fetches its kernel over HTTPS from the service
/// but refuses a certificate from another CA.
/// </summary>
public sealed partial class RealSourceTreeTests(RealSourceSite real, ITestOutputHelper output) : IClassFixture<RealSourceSite>
{
    private static string Line(int farm) => $"nomodeset version=v3 runmode=prod panic=7200 farmer_id={farm} console=ttyS0";

    private async Task<(byte[] Bytes, string Build)> Get(string path, LiveService? service = null)
    {
        using var client = (service ?? real.Service).Client();
        var clock = Stopwatch.StartNew();
        using var response = await client.GetAsync(path);
        response.EnsureSuccessStatusCode();
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var build = response.Headers.GetValues("X-Build").Single();
        output.WriteLine($"{path}: {bytes.Length} bytes, X-Build {build}, {clock.Elapsed.TotalMilliseconds:F0} ms; {real.SetupReport}");
        return (bytes, build);
    }

    private async Task<string> Download(string path, string expectedBuild = "patched")
    {
        var (bytes, build) = await Get(path);
        Assert.Equal(expectedBuild, build);
        return Tool.TempFile(bytes, Path.GetExtension(path.Split('/')[1]) is { Length: > 0 } e ? e : ".bin");
    }

    private JsonElement Manifest => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(real.Template, "manifest.json"))).RootElement;

    /// <summary>make in a worker tree as the service runs it, with the script saved as the service saves it; and make's build id.</summary>
    private async Task<(byte[] Bytes, uint BuildId)> MakeBuilt(string target, byte[] script)
    {
        var folder = Directory.CreateTempSubdirectory("bootstrap-make-").FullName;
        var file = Path.Combine(folder, SourceTemplate.ScriptFileName);
        await File.WriteAllBytesAsync(file, script);
        var src = Path.Combine(real.Template, "source", "tree-1", "src");
        var ca = Path.Combine(real.Tls, "ca.pem");
        await Cli.Wrap("make").WithArguments(SourceTemplate.MakeArguments(src, target, file, ca, ca, Manifest.GetProperty("source-date-epoch").GetInt64()))
            .RunAsync(TimeSpan.FromMinutes(5));
        var symbols = Tool.Ok("sh", "-c", $"nm {Path.Combine(src, target + ".tmp")} | grep ' A _build_id$'");
        var buildId = Convert.ToUInt32(Regex.Match(symbols, @"^([0-9a-f]+) A _build_id$", RegexOptions.Multiline).Groups[1].Value, 16);
        return (await File.ReadAllBytesAsync(Path.Combine(src, target)), buildId);
    }

    [SourceTreeFact]
    public void Our_zbin_packs_the_link_output_into_the_lkrn_make_built()
    {
        var patch = Path.Combine(real.Template, "source", "patch");

        var packed = ZbinPacker.Pack(File.ReadAllBytes(Path.Combine(patch, "ipxe.lkrn.bin")), File.ReadAllBytes(Path.Combine(patch, "ipxe.lkrn.zinfo")));

        Assert.Equal(File.ReadAllBytes(Path.Combine(real.Template, "source", "tree-0", "src", "bin", "ipxe.lkrn")), packed);
    }

    [SourceTreeTheory]
    [InlineData("uefi", "ipxe-amd64.efi", "bin-x86_64-efi/ipxe.efi", 4301)]
    [InlineData("snponly", "snponly.efi", "bin-x86_64-efi/snponly.efi", 4302)]
    [InlineData("krn", "ipxe.lkrn", "bin/ipxe.lkrn", 4303)]
    public async Task A_patched_binary_is_byte_for_byte_what_make_builds_from_the_same_script(string route, string name, string target, int farm)
    {
        if (route == "krn")
            await LkrnPackingIs("lzma-resume");   // the .lkrn proven is the one the helper repacked
        var (patched, build) = await Get($"/{route}/prod/{farm}/console=ttyS0");
        using var client = real.Service.Client();
        var script = await client.GetStringAsync($"/ipxe/prod/{farm}/console=ttyS0");
        var padded = EmbeddedScript.Padded(script, RealSourceSite.PlaceholderBytes)!;

        var (made, buildId) = await MakeBuilt(target, padded);

        Assert.Equal("patched", build);
        Assert.Equal(made.Length, patched.Length);
        if (route != "krn")
        {
            // An EFI file carries the script as it is: the boot script, padded.
            var offset = Manifest.GetProperty("patchable").GetProperty(name).GetProperty("offset").GetInt32();
            Assert.Equal(padded, patched.AsSpan(offset, padded.Length).ToArray());
            // iPXE's EFI build id is a checksum of make's inputs (the script's object among them): a patch
            // keeps the precompile's. It is the only difference: where the bytes differ, make's holds its id.
            var differ = Enumerable.Range(0, made.Length).Where(i => made[i] != patched[i]).ToList();
            if (differ.Count > 0)
            {
                Assert.InRange(differ[^1] - differ[0], 0, 3);
                var field = differ[0] - differ[0] % 4;
                Assert.Equal(buildId, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(made.AsSpan(field)));
                patched.AsSpan(field, 4).CopyTo(made.AsSpan(field));
            }
        }
        Assert.Equal(Convert.ToHexString(SHA256.HashData(made)), Convert.ToHexString(SHA256.HashData(patched)));
    }

    /// <summary>Waits (up to 30 s) until /healthz says the .lkrn is packed as <paramref name="expected"/>.</summary>
    private async Task LkrnPackingIs(string expected)
    {
        using var admin = real.Service.AdminClient();
        var packing = "";
        for (var tries = 0; tries < 300 && packing != expected; tries++, await Task.Delay(100))
            packing = JsonDocument.Parse(await admin.GetStringAsync("/healthz")).RootElement.GetProperty("checks").GetProperty("lkrn-packing").GetString()!;
        Assert.Equal(expected, packing);
    }

    public static TheoryData<string, string, int> PatchedBoots => new()
    {
        { "krn", "bios-kernel", 4401 },
        { "uefi", "uefi-fat", 4402 },
        { "snponly", "uefi-pxe", 4403 },
        { "iso", "bios-cd", 4404 },
        { "iso", "bios-disk", 4405 },
        { "iso", "uefi-cd", 4406 },
        { "iso", "uefi-disk", 4407 },
    };

    [SourceTreeTheory]
    [MemberData(nameof(PatchedBoots))]
    public async Task Every_patched_target_boots_to_the_kernel_command_line(string route, string how, int farm)
    {
        var file = await Download($"/{route}/prod/{farm}/console=ttyS0");
        var firmware = how.StartsWith("uefi") ? Firmware.Uefi : Firmware.Bios;
        var media = how switch
        {
            "bios-kernel" => new Qemu.Media(file, AsCdrom: false, AsKernel: true),
            "uefi-fat" => new Qemu.Media(Qemu.FatDriveWith(file), AsCdrom: false),
            "uefi-pxe" => new Qemu.Media($"fat:rw:{Directory.CreateTempSubdirectory("bootstrap-empty-").FullName}", AsCdrom: false),
            _ => new Qemu.Media(file, AsCdrom: how.EndsWith("-cd")),
        };
        // snponly.efi drives only the card it was loaded from: the firmware's PXE (OVMF's own virtio-net
        // driver and QEMU's TFTP) loads it, as a NIC's boot ROM would.
        var options = how == "uefi-pxe"
            ? new Qemu.Options([new Qemu.Nic("virtio-net-pci")], Tftp: (Path.GetDirectoryName(file)!, Path.GetFileName(file)))
            : new Qemu.Options();

        await using var guest = Qemu.Guest.Start(firmware, media, real.Service.Port, options);
        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4));

        Assert.EndsWith(Line(farm), line);
    }

    /// <summary>A farm id and arguments that make the boot script exactly <paramref name="length"/> bytes long.</summary>
    private async Task<string> BootFor(int length)
    {
        using var client = real.Service.Client();
        async Task<int> Length(string boot) => Encoding.UTF8.GetByteCount(await client.GetStringAsync($"/ipxe/prod/{boot}"));
        // The arguments appear twice in the script and the farm id three times: a five-digit farm flips the parity.
        foreach (var farm in new[] { "4242", "42424" })
        {
            var bare = await Length($"{farm}/console=ttyS0 p=x");
            var perChar = await Length($"{farm}/console=ttyS0 p=xx") - bare;
            if ((length - bare) % perChar == 0)
            {
                var boot = $"{farm}/console=ttyS0 p={new string('x', 1 + (length - bare) / perChar)}";
                Assert.Equal(length, await Length(boot));
                return boot;
            }
        }
        throw new InvalidOperationException($"no farm id and arguments give a {length}-byte script");
    }

    [SourceTreeFact]
    public async Task A_script_one_byte_over_the_placeholder_is_built_by_make_and_boots()
    {
        var fits = await BootFor(RealSourceSite.PlaceholderBytes);
        var over = await BootFor(RealSourceSite.PlaceholderBytes + 1);

        Assert.Equal("patched", (await Get($"/krn/prod/{fits}")).Build);
        var lkrn = await Download($"/krn/prod/{over}", expectedBuild: "make");
        var line = await Qemu.BootUntilAsync(Firmware.Bios, new Qemu.Media(lkrn, AsCdrom: false, AsKernel: true), real.Service.Port,
            Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4));

        var (farm, args) = (over.Split('/')[0], over.Split('/')[1]);
        Assert.Equal($"Kernel command line: nomodeset version=v3 runmode=prod panic=7200 farmer_id={farm} {args}", line);
        using var client = real.Service.Client();
        Assert.Matches(@"bootstrap_builds_total\{[^}]*method=""make""[^}]*\} 1\b", await client.GetStringAsync("/metrics"));
    }

    [SourceTreeFact]
    public async Task Iso_builds_of_four_different_scripts_at_once_are_all_patched_and_different()
    {
        using var client = real.Service.Client();
        var clock = Stopwatch.StartNew();

        var builds = await Task.WhenAll(Enumerable.Range(1, 4).Select(async i =>
        {
            using var response = await client.GetAsync($"/iso/prod/{9000 + i}");
            return (Bytes: await response.Content.ReadAsByteArrayAsync(), Build: response.Headers.GetValues("X-Build").Single(),
                Seconds: clock.Elapsed.TotalSeconds);
        }));

        output.WriteLine($"4 parallel /iso builds: done at {string.Join(", ", builds.Select(b => $"{b.Seconds:F2} s"))}");
        Assert.All(builds, b => Assert.Equal("patched", b.Build));
        Assert.Equal(4, builds.Select(b => Convert.ToHexString(SHA256.HashData(b.Bytes))).Distinct().Count());
    }

    [SourceTreeFact]
    public async Task An_ipxe_built_with_trust_fetches_its_kernel_over_https_from_the_service()
    {
        var (site, service, httpsPort) = real.HttpsService(real.Tls);
        using var _ = site;
        using var __ = service;
        var (efi, build) = await Get("/uefi/prod/4501/console=ttyS0", service);
        Assert.Equal("patched", build);

        await using var guest = Qemu.Guest.Start(Firmware.Uefi, new Qemu.Media(Qemu.FatDriveWith(Tool.TempFile(efi, ".efi")), AsCdrom: false),
            service.Port, new Qemu.Options(HttpsPort: httpsPort));
        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), TimeSpan.FromMinutes(4));

        Assert.EndsWith(Line(4501), line);
        Assert.Contains($"Downloading the kernel (attempt 1 of 3)", guest.Serial);
        Assert.Contains($"https://{Qemu.ServiceAddress}/kernel/net/prod.efi", guest.Serial);
    }

    [SourceTreeFact]
    public async Task An_ipxe_built_with_trust_refuses_a_certificate_from_another_ca()
    {
        var (site, service, httpsPort) = real.HttpsService(Path.Combine(real.Tls, "stranger"));
        using var _ = site;
        using var __ = service;
        var (efi, _) = await Get("/uefi/prod/4502/console=ttyS0", service);

        await using var guest = Qemu.Guest.Start(Firmware.Uefi, new Qemu.Media(Qemu.FatDriveWith(Tool.TempFile(efi, ".efi")), AsCdrom: false),
            service.Port, new Qemu.Options(HttpsPort: httpsPort));
        await guest.WaitForAsync(DownloadGaveUp(), TimeSpan.FromMinutes(4));

        output.WriteLine(guest.Serial);
        Assert.DoesNotContain("Kernel command line", guest.Serial);
        // Both test CAs are named "Bootstrap test CA": iPXE takes ours as the issuer and its RSA check refuses
        // the signature (https://ipxe.org/0227e18f, permission denied in rsa.c), at each attempt.
        Assert.Equal(3, Regex.Matches(guest.Serial, $@"https://{Regex.Escape(Qemu.ServiceAddress)}/kernel/net/prod\.efi\.\.\. Permission denied \(https://ipxe\.org/0227e18f\)").Count);
    }

    [GeneratedRegex(@"The kernel could not be downloaded from \S+ in 3 attempts")]
    private static partial Regex DownloadGaveUp();
}
