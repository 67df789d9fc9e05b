using System.Net;
using System.Text;
using Bootstrap.Builder.Boot;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// Random farmer and args segments, many of them hostile, sent through the real HTTP pipeline to
/// the iPXE script and to the same boot as a grub.cfg. Every answer must be the predicted status;
/// every 200 must be the reference script line for line, with only the farm id and arguments
/// changed, and no <c>$</c> that the request brought.
/// </summary>
public sealed class ScriptFuzzTests : IDisposable
{
    private const int Segments = 100_000;
    private const string SentinelFarmer = "98765432109876543210";
    private const string SentinelArgs = "SENTINELARGS";

    // Allowed characters, weighted up, plus every kind the rules refuse.
    private static readonly string[] Pieces =
    [
        "a", "Z", "7", "=", "_", ".", ",", ":", "-", "+", " ", "___", "console=ttyS0", "x=1",
        "$", "{", "}", "${net0/mac}", "|", "||", "&", "&&", ";", "#", "\"", "'", "\\", "\n", "\r", "\t",
        "%", "/", "?", "*", "<", ">", "é", "€", "\u0085", "\u2028", "😀", "\u007f", "\u0001",
    ];

    private readonly TestSite _site = new();

    public ScriptFuzzTests()
    {
        _site.AddProdKernel();
    }

    public void Dispose() => _site.Dispose();

    /// <param name="route">The iPXE script, or the same boot as the grub.cfg of the Secure Boot images.</param>
    [Theory]
    [InlineData("ipxe")]
    [InlineData("grub")]
    public async Task Hundred_thousand_random_segments_never_change_the_script_commands(string route)
    {
        var client = _site.Client();
        var reference = await client.GetStringAsync($"/{route}/prod/{SentinelFarmer}/{SentinelArgs}");
        var referenceExpansions = Count(reference, "$");
        var random = new Random(20261122);
        // "." and ".." are dot-segments that every URL client removes before sending, not segments.
        var cases = Enumerable.Range(0, Segments).Select(_ => (Farmer: RandomFarmer(random), Args: RandomArgs(random)))
            .Select(c => c.Args is "." or ".." ? c with { Args = c.Args + "x" } : c)
            .Select(c => c.Farmer is "." or ".." ? c with { Farmer = c.Farmer + "x" } : c)
            .ToList();
        var counts = new int[600];

        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, ct) =>
        {
            var path = $"/{route}/prod/{Uri.EscapeDataString(c.Farmer)}/{Uri.EscapeDataString(c.Args)}";
            var response = await client.GetAsync(path, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            Interlocked.Increment(ref counts[(int)response.StatusCode]);

            var expectedArgs = ExpectedArgs(c.Args);
            var valid = IsValidFarmer(c.Farmer) && expectedArgs != null;
            Assert.True(valid == (response.StatusCode == HttpStatusCode.OK), $"{path} answered {(int)response.StatusCode}: {body}");
            if (!valid)
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.StartsWith(IsValidFarmer(c.Farmer) ? "args: " : "farmer: ", body);
                return;
            }
            // GRUB's kernel line has each argument as one single-quoted word.
            var quotedWords = string.Concat(expectedArgs!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => $" '{w}'"));
            var expected = reference
                .Replace($"farmer_id={SentinelFarmer}", $"farmer_id={c.Farmer}")
                .Replace($"Farm: {SentinelFarmer}", $"Farm: {c.Farmer}")
                .Replace($" '{SentinelArgs}'", quotedWords)
                .Replace($" {SentinelArgs}", expectedArgs.Length == 0 ? "" : " " + expectedArgs);
            var (want, got) = (Scripts.Lines(expected), Scripts.Lines(body));
            var differs = Enumerable.Range(0, Math.Min(want.Length, got.Length)).FirstOrDefault(i => want[i] != got[i], -1);
            Assert.True(differs < 0 && want.Length == got.Length,
                $"{path}: line {differs}: expected '{(differs < 0 ? "" : want[differs])}', got '{(differs < 0 ? "" : got[differs])}'");
            Assert.Equal(referenceExpansions, Count(body, "$"));
        });

        // The mix really exercised both outcomes.
        Assert.True(counts[200] > Segments / 10, $"only {counts[200]} valid requests");
        Assert.True(counts[400] > Segments / 10, $"only {counts[400]} refused requests");
    }

    private static string RandomFarmer(Random r) =>
        r.Next(10) switch
        {
            0 => "",
            1 => RandomArgs(r),
            2 => new string('9', 21),
            _ => r.NextInt64(1_000_000_000_000_000_000, long.MaxValue).ToString()[..r.Next(1, 19)],
        } is { Length: > 0 } f ? f : "1";

    private static string RandomArgs(Random r)
    {
        var sb = new StringBuilder();
        var length = r.Next(50) == 0 ? r.Next(1000, 1100) : r.Next(1, 12);
        while (sb.Length < length)
            sb.Append(r.Next(3) == 0 ? Pieces[r.Next(Pieces.Length)] : Pieces[r.Next(14)]);
        return sb.ToString();
    }

    private static bool IsValidFarmer(string f) => f.Length is > 0 and <= 20 && f.All(char.IsAsciiDigit);

    /// <summary>The oracle, written apart from the service's parser: what args should become, or null if refused.</summary>
    private static string? ExpectedArgs(string args)
    {
        var slashed = args.Replace("___", "/");
        if (!slashed.All(ch => ch is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or ' ' or '=' or '_' or '.' or ',' or ':' or '-' or '+' or '/'))
            return null;
        // A path segment cannot carry '/' itself: only ___ makes one.
        if (args.Contains('/'))
            return null;
        var folded = string.Join(' ', slashed.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return folded.Length > BootRequestParser.MaxArgsLength ? null : folded;
    }

    private static int Count(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + 1, StringComparison.Ordinal))
            n++;
        return n;
    }
}
