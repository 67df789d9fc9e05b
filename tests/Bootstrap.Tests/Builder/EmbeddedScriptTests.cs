using System.Text;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Images.Templates;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>The script a source template writes over its placeholder: padded to its exact size, or refused when longer.</summary>
public class EmbeddedScriptTests
{
    private static string Text(byte[]? bytes) => Encoding.ASCII.GetString(bytes!);

    [Fact]
    public void A_script_is_padded_with_a_comment_line_to_the_placeholder_size()
    {
        Assert.Equal("#!ipxe\necho hi\n#   \n", Text(EmbeddedScript.Padded("#!ipxe\necho hi\n", 20)));
        Assert.Equal("#!ipxe\necho hi\n#\n", Text(EmbeddedScript.Padded("#!ipxe\necho hi\n", 17)));
        Assert.Equal("#!ipxe\necho hi\n\n", Text(EmbeddedScript.Padded("#!ipxe\necho hi\n", 16)));
        Assert.Equal("#!ipxe\necho hi\n", Text(EmbeddedScript.Padded("#!ipxe\necho hi\n", 15)));
        Assert.Equal("#!ipxe\necho hi\n#  \n", Text(EmbeddedScript.Padded("#!ipxe\necho hi", 19)));   // the line end is added
    }

    [Fact]
    public void A_script_longer_than_the_placeholder_is_left_to_make()
    {
        Assert.Null(EmbeddedScript.Padded("#!ipxe\necho hi\n", 14));
        Assert.Null(EmbeddedScript.Padded("#!ipxe\necho hi", 14));   // with its added line end it is 15
    }

    [Fact]
    public void The_longest_script_the_service_embeds_fits_the_placeholder_with_room_to_spare()
    {
        using var site = new TestSite();
        var scripts = new BootScripts(ConfigLoader.Load(site.ConfigFile));
        var longest = new BootRequest("prod", new string('9', BootRequestParser.MaxFarmerLength), new string('a', BootRequestParser.MaxArgsLength),
            new string('k', BootRequestParser.MaxKernelNameLength - 4) + ".efi");
        var baseUrl = "https://" + string.Join('.', Enumerable.Repeat(new string('h', 63), 4))[..253] + ":65535";

        var sizes = new[] { scripts.Boot(longest, baseUrl), scripts.Debug(longest, baseUrl), scripts.Provision(baseUrl) }
            .Select(s => Encoding.UTF8.GetByteCount(s)).ToList();

        // Boot 6,330 bytes, debug 6,746 (the arguments and the kernel URL appear more than once): over 1 KiB to spare.
        Assert.All(sizes, size => Assert.InRange(size, 1, EmbeddedScript.PlaceholderLength - 1024));
        Assert.Contains($"placeholder_size={EmbeddedScript.PlaceholderLength} ", File.ReadAllText(Path.Combine(RepoRoot.Path, "setup", "source-template.sh")));
    }
}
