using Bootstrap.Builder.Boot;

namespace Bootstrap.Tests.Builder;

/// <summary>The <c>___</c> scheme is one rule both ways: every accepted args string survives the trip, every segment decodes to one.</summary>
public sealed class ArgsSegmentTests
{
    private static readonly Dictionary<string, string> Networks = new() { ["prod"] = "Production" };

    /// <summary>Every string of up to <paramref name="length"/> characters over <paramref name="alphabet"/>.</summary>
    private static IEnumerable<string> AllStrings(string alphabet, int length)
    {
        IEnumerable<string> level = [""];
        for (var n = 0; n <= length; n++)
        {
            foreach (var s in level)
                yield return s;
            level = level.SelectMany(s => alphabet.Select(c => s + c)).ToList();
        }
    }

    private static string Folded(string args) => string.Join(' ', args.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void Every_typed_string_either_round_trips_through_the_url_or_is_refused_by_name()
    {
        var (accepted, refused) = (0, 0);
        foreach (var typed in AllStrings("_/a ", 7))
        {
            var (request, problem) = BootRequestParser.ParseTyped(Networks, "prod", "1", typed);
            if (ArgsSegment.Problem(typed) == null)
            {
                Assert.True(problem == null, $"'{typed}': {problem?.Message}");
                Assert.Equal(Folded(typed), request!.Args);
                var segments = request.Segments.Split('/');   // network/farmer[/args]
                var segment = segments.Length > 2 ? segments[2].Replace("%20", " ") : "";
                var (reparsed, _) = BootRequestParser.Parse(Networks, "prod", "1", segment);
                Assert.Equal(request, reparsed);
                accepted++;
            }
            else
            {
                Assert.Null(request);
                Assert.Equal("args", problem!.Field);
                Assert.Throws<ArgumentException>(() => ArgsSegment.Encode(typed));
                refused++;
            }
        }
        Assert.Equal((13_983, 7_862), (accepted, refused));   // all 21,845 strings of up to 7 of "_/a "
    }

    [Fact]
    public void Every_segment_decodes_to_args_that_encode_back_to_it()
    {
        foreach (var segment in AllStrings("_a", 9))
        {
            var args = ArgsSegment.Decode(segment);
            Assert.Null(ArgsSegment.Problem(args));
            Assert.Equal(segment, ArgsSegment.Encode(args));
        }
    }

    [Theory]
    [InlineData("x/_y", "x____y")]
    [InlineData("a//b", "a______b")]
    [InlineData("/__", "_____")]
    [InlineData("root=/dev/sda1 ro", "root=___dev___sda1 ro")]
    [InlineData("a__b", "a__b")]
    public void Encoding_writes_each_slash_as_three_underscores(string args, string segment)
    {
        Assert.Equal(segment, ArgsSegment.Encode(args));
        Assert.Equal(args, ArgsSegment.Decode(segment));
    }

    [Theory]
    [InlineData("x_/y", "'_' right before '/' cannot be written in a URL, where '/' travels as ___ (put another character between them)")]
    [InlineData("a___b", "three underscores in a row cannot be written in a URL, where ___ stands for '/'")]
    public void What_the_url_cannot_carry_is_refused_with_the_reason(string typed, string reason)
    {
        var (request, problem) = BootRequestParser.ParseTyped(Networks, "prod", "1", typed);

        Assert.Null(request);
        Assert.Equal($"args: {reason}", problem!.Message);
    }
}
