using System.Diagnostics;
using System.Text.RegularExpressions;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// The README's first command on a fresh clone: with an empty kernels folder, setup/run.sh installs
/// Debian's kernel as the demo kernel and links every runmode to it, so /ipxe/prod/1234 answers at
/// once; an operator's kernel is never touched, and --no-demo-kernel skips it. (The clone gets the
/// template and the Debian kernel this machine fetched already: what is tested is the script, not
/// the mirror.)
/// </summary>
public sealed partial class FirstRunTests : IDisposable
{
    private readonly string _clone = Path.Combine(Path.GetTempPath(), $"bootstrap-first-run-{Guid.NewGuid():N}");

    public FirstRunTests()
    {
        Tool.Ok("git", "clone", "--quiet", "--local", RepoRoot.Path, _clone);
        RepoTemplate.CopyTo(Path.Combine(_clone, "ipxe-template"));
        Directory.CreateDirectory(Path.Combine(_clone, ".cache"));
        File.Copy(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz"), Path.Combine(_clone, ".cache", "vmlinuz"));
    }

    public void Dispose() => Directory.Delete(_clone, recursive: true);

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    /// <summary>Runs setup/run.sh until the service listens; returns what it printed and its address, and stops it.</summary>
    private async Task<(string Output, string Script, string Home)> RunOnce(params string[] args)
    {
        var start = new ProcessStartInfo("bash", ["setup/run.sh", "--urls", "http://127.0.0.1:0", .. args])
        {
            WorkingDirectory = _clone,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["Logging__Console__FormatterName"] = "simple" },
        };
        using var run = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(object _, DataReceivedEventArgs e)
        {
            if (e.Data == null)
                return;
            lock (output)
                output.AppendLine(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m)
                listening.TrySetResult(m.Groups[1].Value);
        }
        run.OutputDataReceived += Collect;
        run.ErrorDataReceived += Collect;
        run.BeginOutputReadLine();
        run.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromMinutes(4));
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var script = await (await client.GetAsync("/ipxe/prod/1234")).Content.ReadAsStringAsync();
            var home = await client.GetStringAsync("/");
            lock (output)
                return (output.ToString(), script, home);
        }
        catch (TimeoutException)
        {
            lock (output)
                throw new Xunit.Sdk.XunitException($"setup/run.sh did not start the service:\n{output}");
        }
        finally
        {
            run.Kill(entireProcessTree: true);
            await run.WaitForExitAsync();
        }
    }

    private string Kernels => Path.Combine(_clone, "kernels");

    [Fact]
    public async Task An_empty_kernels_folder_gets_the_demo_kernel_and_an_operators_kernel_is_never_touched()
    {
        var version = Tool.Ok("bash", "-c", $". '{RepoRoot.Path}/setup/lib.sh' && debian_kernel '{_clone}'").Trim();
        var demo = $"demo-debian-{version}.efi";

        var (output, script, home) = await RunOnce();

        Assert.Contains($"setup: kernels/ had no kernel: installed Debian's kernel {version} as the demo kernel kernels/{demo} " +
                        "and pointed prod test dev qa at it.", output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoRoot.Path, ".cache", "vmlinuz")), File.ReadAllBytes(Path.Combine(Kernels, demo)));
        Assert.All(new[] { "prod", "test", "dev", "qa" }, r => Assert.Equal($"../{demo}", new FileInfo(Path.Combine(Kernels, "net", $"{r}.efi")).LinkTarget));
        Assert.Contains("imgfetch --name kernel ", script);
        Assert.Contains($"<li>prod boots <code>{demo}</code> — only the demo kernel setup/run.sh installed", home);

        // The operator uploads a kernel and points prod at it: the next start changes nothing.
        File.WriteAllBytes(Path.Combine(Kernels, "zos.efi"), [1, 2, 3]);
        File.Delete(Path.Combine(Kernels, "net", "prod.efi"));
        File.CreateSymbolicLink(Path.Combine(Kernels, "net", "prod.efi"), "../zos.efi");
        var (again, _, homeAgain) = await RunOnce();
        Assert.DoesNotContain("demo kernel", again);
        Assert.Equal("../zos.efi", new FileInfo(Path.Combine(Kernels, "net", "prod.efi")).LinkTarget);
        Assert.Contains("<li>prod boots <code>zos.efi</code></li>", homeAgain);

        // Asked not to, it leaves an empty folder empty.
        foreach (var entry in Directory.GetFileSystemEntries(Kernels).Concat(Directory.GetFileSystemEntries(Path.Combine(Kernels, "net"))))
            if (!Directory.Exists(entry) || new FileInfo(entry).LinkTarget != null)
                File.Delete(entry);
        var (skipped, _, _) = await RunOnce("--no-demo-kernel");
        Assert.DoesNotContain("demo kernel", skipped);
        Assert.Empty(Directory.GetFiles(Kernels));
    }
}
