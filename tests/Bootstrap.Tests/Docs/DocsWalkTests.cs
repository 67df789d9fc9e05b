using System.Text;
using System.Text.RegularExpressions;
using Bootstrap.Tests.Support;
using CliWrap;
using CliWrap.Buffered;

namespace Bootstrap.Tests.Docs;

/// <summary>
/// The README's and the guides' shell blocks, run as a reader runs them, top to bottom, on a fresh
/// site (a local clone with this machine's iPXE template), so the docs cannot rot. Every block
/// fenced <c>```sh</c> runs, in one walk through the README then the guides in the order of the
/// README's table, each block in bash with <c>set -euo pipefail</c>; variables a block sets are
/// kept for the next ones. A block fenced <c>```sh on-host</c> needs a real boot server (an
/// install, systemd, a device, the network) and is only read. What the walk adds to the text:
/// the service listens on a free port instead of 5555 (every <c>localhost:5555</c> is rewritten),
/// curl fails on an HTTP error (<c>--fail-with-body</c>), <c>bootstrap</c> is this build's
/// command line, the files a guide marks as the reader's own
/// (<c>&lt;!-- your files: a b --&gt;</c>) are stand-ins, and the service is restarted after a
/// block changed config.json, as the text tells the reader to.
/// </summary>
public sealed partial class DocsWalkTests : IDisposable
{
    private readonly string _site = Path.Combine(Path.GetTempPath(), $"bootstrap-docs-walk-{Guid.NewGuid():N}");
    private LiveService? _service;

    public DocsWalkTests()
    {
        Tool.Ok("git", "clone", "--quiet", "--local", RepoRoot.Path, _site);
        RepoTemplate.CopyTo(Path.Combine(_site, "ipxe-template"));
        Directory.CreateDirectory(Path.Combine(_site, "kernels", "net"));
        Directory.CreateDirectory(Path.Combine(_site, "db"));
    }

    public void Dispose()
    {
        _service?.Dispose();
        Directory.Delete(_site, recursive: true);
    }

    /// <summary>The docs in the order a reader walks them: the README, then its table of guides.</summary>
    private static IReadOnlyList<string> Walk()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot.Path, "README.md"));
        return [.. GuideLink().Matches(readme).Select(m => m.Groups[1].Value).Distinct().Prepend("README.md")];
    }

    [GeneratedRegex(@"\]\((docs/[a-z-]+\.md)\) \|", RegexOptions.Multiline)]
    private static partial Regex GuideLink();

    /// <summary>A fenced block: its info string and its text.</summary>
    [GeneratedRegex(@"^```([^\n]*)\n(.*?)^```$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"<!-- your files: ([^>]*?) -->")]
    private static partial Regex YourFiles();

    /// <summary>Names a block assigns at the start of a line (NAME=...), whose values the next blocks see.</summary>
    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)=", RegexOptions.Multiline)]
    private static partial Regex Assignment();

    [Fact]
    public void Every_guide_of_the_table_is_walked()
    {
        var walk = Walk();
        var guides = Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f)).Order();
        Assert.Equal(guides, walk.Skip(1).Order());
    }

    [Fact]
    public async Task Every_shell_block_of_the_docs_runs_as_written()
    {
        var state = Path.Combine(_site, ".walk-state");
        await File.WriteAllTextAsync(state, "");
        _service = new LiveService(Path.Combine(_site, "config.json"));
        var ran = 0;
        foreach (var doc in Walk())
        {
            var text = await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, doc));
            foreach (var name in YourFiles().Matches(text).SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
                await File.WriteAllTextAsync(Path.Combine(_site, name), $"a stand-in for the reader's own {name}\n");
            foreach (Match block in Fence().Matches(text))
            {
                var info = block.Groups[1].Value.Trim();
                if (info != "sh")
                {
                    Assert.True(info != "" && !info.StartsWith("bash", StringComparison.Ordinal) && !info.StartsWith("shell", StringComparison.Ordinal),
                        $"{doc}: a shell block is fenced ```sh (run by this test) or ```sh on-host (not run), not ```{info}:\n{block.Groups[2].Value}");
                    continue;
                }
                await RunBlock(doc, block.Groups[2].Value, state);
                ran++;
            }
        }
        Assert.True(ran > 10, $"only {ran} blocks ran");
    }

    private async Task RunBlock(string doc, string block, string state)
    {
        var config = Path.Combine(_site, "config.json");
        var configBefore = await File.ReadAllBytesAsync(config);
        var keep = Assignment().Matches(block).Select(m => m.Groups[1].Value).Distinct().ToList();
        var script = new StringBuilder()
            .AppendLine("set -euo pipefail")
            .AppendLine($"source {Quote(state)}")
            .AppendLine("curl() { command curl --fail-with-body -sS \"$@\"; }")
            .AppendLine($"bootstrap() {{ for a in \"$@\"; do [ \"$a\" = --config ] && {{ dotnet {Quote(Api)} \"$@\"; return; }}; done; dotnet {Quote(Api)} --config {Quote(config)} \"$@\"; }}")
            .AppendLine(block.Replace("localhost:5555", $"127.0.0.1:{_service!.Port}"))
            .AppendLine(string.Concat(keep.Select(name => $"declare -p {name} >> {Quote(state)}\n")))
            .ToString();
        var result = await Cli.Wrap("bash").WithArguments(["-c", script]).WithWorkingDirectory(_site)
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0,
            $"{doc}: this block exited {result.ExitCode}:\n{block}\n--- stdout\n{result.StandardOutput}\n--- stderr\n{result.StandardError}\n--- service\n{_service.Log[^Math.Min(_service.Log.Length, 3000)..]}");
        var configAfter = await File.ReadAllBytesAsync(config);
        if (!configBefore.SequenceEqual(configAfter))
        {
            _service.Dispose();
            _service = new LiveService(config);
        }
    }

    private static string Api => Path.Combine(AppContext.BaseDirectory, "Bootstrap.Api.dll");

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''") + "'";
}
