using Bootstrap.Builder.Images.Formats.Zbin;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// The lzma-resume helper (built by setup/test.sh into .cache) against liblzma compressing the whole
/// input at once: the same bytes for any tail, at once or many together, and null, never wrong
/// bytes, when it cannot answer. The data is a slice of the runtime's own CoreLib: real code.
/// </summary>
public class ResumableLzmaTests
{
    private static readonly string Helper = Path.Combine(RepoRoot.Path, ".cache", "lzma-resume");
    private const int PrefixLength = 400_000;
    private static readonly byte[] Code = File.ReadAllBytes(typeof(object).Assembly.Location).AsSpan(200_000, 480_000).ToArray();

    private static ResumableLzma StartReady(int workers = 2)
    {
        Assert.True(File.Exists(Helper), $"{Helper} is missing: setup/test.sh builds it");
        var lzma = ResumableLzma.Start(Helper, Code[..PrefixLength], workers);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!lzma.Ready && lzma.Failure == null && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Assert.True(lzma.Ready, lzma.Failure ?? "lzma-resume was not ready in 20 s");
        return lzma;
    }

    /// <summary>The shared prefix, then a script-like tail, then the rest of the code.</summary>
    private static byte[] InputWith(string script, int restLength = 60_000)
    {
        byte[] input = [.. Code[..PrefixLength], .. "#!ipxe\n"u8.ToArray(), .. System.Text.Encoding.ASCII.GetBytes(script),
                        .. Code.AsSpan(PrefixLength, restLength).ToArray()];
        return input;
    }

    [Fact]
    public void Every_tail_gives_the_bytes_of_compressing_the_whole_input()
    {
        using var lzma = StartReady();
        foreach (var input in new[] { InputWith("chain http://10.0.2.100/kernel/net/prod.efi farmer_id=1\n"),
                                     InputWith("echo " + new string('x', 5000) + "\n"), InputWith("", restLength: 0),
                                     Code[..PrefixLength] })
            Assert.Equal(Lzma1.Encode(input), lzma.TryEncode(input));
    }

    [Fact]
    public void Eight_requests_at_once_on_two_workers_each_get_their_own_exact_bytes()
    {
        using var lzma = StartReady(workers: 2);
        var inputs = Enumerable.Range(0, 8).Select(i => InputWith($"echo request {i}\n")).ToArray();

        var streams = inputs.AsParallel().WithDegreeOfParallelism(8).Select(input => lzma.TryEncode(input)).ToArray();

        for (var i = 0; i < inputs.Length; i++)
            Assert.Equal(Lzma1.Encode(inputs[i]), streams[i]);
    }

    [Fact]
    public void An_input_that_does_not_begin_with_the_prefix_is_left_to_the_caller()
    {
        using var lzma = StartReady();
        var input = InputWith("echo hello\n");
        input[PrefixLength / 2] ^= 1;

        Assert.Null(lzma.TryEncode(input));
        Assert.Null(lzma.TryEncode(Code[..(PrefixLength - 1)]));
    }

    [Fact]
    public void A_stopped_helper_answers_null_and_leaves_no_process()
    {
        var lzma = StartReady();
        var input = InputWith("echo hello\n");
        Assert.NotNull(lzma.TryEncode(input));

        lzma.Dispose();

        Assert.Null(lzma.TryEncode(input));
        Assert.Empty(HelperProcesses());
    }

    private static List<int> HelperProcesses() =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(p => p!.All(char.IsAsciiDigit))
            .Where(p => File.Exists($"/proc/{p}/cmdline") && ProcFile.Read($"/proc/{p}/cmdline").StartsWith(Helper)
                        && !ProcFile.Read($"/proc/{p}/status").Contains("State:\tZ"))
            .Select(p => int.Parse(p!)).ToList();
}
