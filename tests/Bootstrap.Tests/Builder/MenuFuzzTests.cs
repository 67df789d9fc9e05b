using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// Random titles, separators, labels, arguments, URLs and names, many of them hostile, through the
/// rules an admin's input meets and into the scripts a machine runs. Each value is refused, or the
/// script is the reference script with the value where the sentinel was, and the value holds only
/// characters iPXE takes as plain text, none of it read as an option.
/// </summary>
public sealed class MenuFuzzTests
{
    private const int CasesPerField = 20_000;
    private const string Sentinel = "SENTINEL";
    private const string Inert = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ()._,:/+-=~";

    private static readonly string[] Pieces =
    [
        "a", "Z", "7", " ", ".", "-", "/", ":", "(", ")", "http://h/", "x=1", "___",
        "$", "{", "}", "${net0/mac}", "${password}", "|", "||", "&&", ";", "#", "\"", "'", "\\", "\n", "\r", "\t",
        "%", "?", "*", "<", ">", "é", "\u0085", "\u2028", "\u007f", "\u0001", "item x", "goto menu",
    ];

    private static readonly IReadOnlyDictionary<string, string> Runmodes = new Dictionary<string, string> { ["prod"] = "Production" };
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    private static string RandomText(Random random) =>
        string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => Pieces[random.Next(Pieces.Length)]));

    private static CatalogueImage? Image(string title, string args)
    {
        var (image, _) = ImageRules.Check("img", new ImageInput(ImageType.KernelInitrd, title, "vmlinuz", ["initrd"], Args: args), Now);
        return image == null ? null : image with { State = ImageState.Golden };
    }

    private static string? MenuScriptWith(string title = "Menu", string separator = "Tools", string imageTitle = "Image", string args = "a=1", string chain = "http://h/x")
    {
        if (Image(imageTitle, args) is not { } image)
            return null;
        var (menu, _) = MenuRules.Check("m", new MenuInput(title, 5, null, [new(Separator: separator), new(Image: "img"), new(Chain: chain), new(Network: "prod", Farmer: "12")]),
            Runmodes, name => name == "img" ? image : null, Now);
        return menu == null ? null : MenuScript.Render(menu, new Dictionary<string, CatalogueImage> { ["img"] = image }, Runmodes, "http://boot");
    }

    public static TheoryData<string> Fields => ["menu title", "separator", "image title", "image args", "chain url", "organization name"];

    [Theory]
    [MemberData(nameof(Fields))]
    public void A_random_value_is_refused_or_lands_only_where_its_field_goes_as_inert_text(string field)
    {
        Func<string, (string? Script, string? Landed)> render = field switch
        {
            "menu title" => v => (MenuScriptWith(title: v), v),
            "separator" => v => (MenuScriptWith(separator: v), v),
            "image title" => v => (MenuScriptWith(imageTitle: v), v),
            "image args" => v => (MenuScriptWith(args: v), Image("Image", v)?.Args.Trim()),   // the script trims the arguments' ends
            "chain url" => v => (MenuScriptWith(chain: "http://h/" + v), v),
            _ => v => AccountRules.CheckOrganization("acme", new OrganizationInput(v, []), new AccountBook(
                    new Dictionary<string, User>(), new Dictionary<string, Organization>(), new Dictionary<string, Group>())) == null
                ? (LoginScripts.Choose("Organizations of alice", [("acme", v)], "http://boot", ""), v) : (null, null),
        };
        var (reference, _) = render(Sentinel);
        Assert.NotNull(reference);
        var random = new Random(field.GetHashCode(StringComparison.Ordinal) ^ 20261123);
        var accepted = 0;
        for (var i = 0; i < CasesPerField; i++)
        {
            var value = RandomText(random);
            var (script, landed) = render(value);
            if (script == null)
                continue;
            accepted++;
            Assert.True(landed!.All(Inert.Contains), $"{field} '{value}' was accepted as '{landed}'");
            // A text that follows a command or its flag is an option to iPXE when it starts with '-' (menu --delete, item --gap --key x).
            if (field is not ("image args" or "chain url"))
                Assert.False(landed!.StartsWith('-'), $"{field} '{value}' was accepted with a leading dash");
            Assert.Equal(landed!.Length == 0 ? reference!.Replace(" " + Sentinel, "") : reference!.Replace(Sentinel, landed), script);
        }
        Assert.InRange(accepted, 1, CasesPerField - 1);   // both sides of the rule were met
    }
}
