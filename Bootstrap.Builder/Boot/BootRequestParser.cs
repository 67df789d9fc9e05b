using System.Buffers;

namespace Bootstrap.Builder.Boot;

/// <summary>
/// Turns the URL segments <c>network[/farmer[/args[/kernel]]]</c> into a <see cref="BootRequest"/>,
/// refusing anything that could change the meaning of the iPXE script it is rendered into.
/// </summary>
/// <remarks>
/// Accepted characters, per segment:
/// <list type="bullet">
/// <item>farmer: 1–20 digits.</item>
/// <item>args: letters, digits, space and <c>= _ . , : - +</c>; <c>___</c> stands for <c>/</c>
/// (a path segment cannot hold a slash); at most <see cref="MaxArgsLength"/> characters after that.
/// Runs of spaces fold into one and the ends are trimmed, as iPXE would do when it splits the line.</item>
/// <item>kernel: a file name of <c>A-Z a-z 0-9 . _ -</c>, without <c>..</c>, at most 128 characters.</item>
/// </list>
/// Everything else (control characters, <c>$ { } | &amp; ; # " ' \</c>, non-ASCII, ...) is refused
/// with a message that names the character.
/// </remarks>
public static class BootRequestParser
{
    public const int MaxFarmerLength = 20;
    public const int MaxArgsLength = 1024;
    public const int MaxKernelNameLength = 128;

    /// <summary>The characters allowed in args besides ASCII letters and digits (with / from ___).</summary>
    public const string ArgsPunctuation = " =_.,:-+/";

    public const string ArgsRule = "letters, digits, space and = _ . , : - + (write / as ___)";

    /// <summary>The same rule for args as a person types them, where '/' is itself.</summary>
    public const string TypedArgsRule = "letters, digits, space and = _ . , : - + /";

    /// <summary>
    /// Kernel arguments the service writes itself: args may not set them, or a request could boot
    /// another network, another farm (side-stepping the farm-id rule), or the machines' status token.
    /// </summary>
    public static readonly IReadOnlyList<string> ReservedKeys = ["runmode", "farmer_id", "version", "panic", "bootstrap_url", "bootstrap_token", "answer_url"];

    /// <summary>The network of requests that name none (the static -provision images): the first configured one.</summary>
    public static string DefaultNetwork(IReadOnlyDictionary<string, string> runmodes) => runmodes.Keys.First();

    public static (BootRequest? Request, RequestProblem? Problem) Parse(
        IReadOnlyDictionary<string, string> runmodes, string network, string? farmer = null, string? args = null, string? kernel = null) =>
        Parse(runmodes, network, farmer, args, kernel, ArgsRule);

    private static (BootRequest? Request, RequestProblem? Problem) Parse(
        IReadOnlyDictionary<string, string> runmodes, string network, string? farmer, string? args, string? kernel, string argsRule)
    {
        if (!runmodes.ContainsKey(network))
            return Fail(RequestProblemKind.UnknownNetwork, "network",
                $"unknown network '{Shown(network)}'; configured networks: {string.Join(", ", runmodes.Keys.Order(StringComparer.Ordinal))}");

        if (farmer != null)
        {
            if (farmer.Length is 0 or > MaxFarmerLength)
                return Fail(RequestProblemKind.Invalid, "farmer", $"a farm id is 1 to {MaxFarmerLength} digits");
            var bad = farmer.AsSpan().IndexOfAnyExceptInRange('0', '9');
            if (bad >= 0)
                return Fail(RequestProblemKind.Invalid, "farmer", $"{Describe(farmer[bad])} is not allowed; a farm id is digits only");
        }

        var cleanArgs = "";
        if (args != null)
        {
            var expanded = ArgsSegment.Decode(args);
            var bad = expanded.AsSpan().IndexOfAnyExcept(ArgsChars);
            if (bad >= 0)
                return Fail(RequestProblemKind.Invalid, "args", $"{Describe(expanded[bad])} is not allowed; allowed are {argsRule}");
            var words = expanded.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            cleanArgs = string.Join(' ', words);
            if (cleanArgs.Length > MaxArgsLength)
                return Fail(RequestProblemKind.Invalid, "args", $"{cleanArgs.Length} characters is more than the {MaxArgsLength} allowed");
            if (words.Select(w => w.Split('=')[0]).FirstOrDefault(k => ReservedKeys.Contains(k, StringComparer.OrdinalIgnoreCase)) is { } reserved)
                return Fail(RequestProblemKind.Invalid, "args", $"'{reserved}' is set by the service and cannot be given in args (reserved: {string.Join(", ", ReservedKeys)})");
        }

        if (kernel != null)
        {
            var problem = KernelNames.Problem(kernel);
            if (problem != null)
                return Fail(RequestProblemKind.Invalid, "kernel", problem);
        }

        return (new BootRequest(network, farmer, cleanArgs, kernel), null);
    }

    /// <summary>
    /// <see cref="Parse"/> for args as a person types them (a form field, a CLI option): '/' is
    /// written as itself, and what the URL scheme cannot carry (<see cref="ArgsSegment.Problem"/>)
    /// is refused here rather than silently changed on the way.
    /// </summary>
    public static (BootRequest? Request, RequestProblem? Problem) ParseTyped(
        IReadOnlyDictionary<string, string> runmodes, string network, string? farmer, string typedArgs, string? kernel = null)
    {
        var bad = typedArgs.AsSpan().IndexOfAnyExcept(ArgsChars);
        if (bad < 0 && ArgsSegment.Problem(typedArgs) is { } unexpressible)
        {
            var (_, earlier) = Parse(runmodes, network, farmer, null, null, TypedArgsRule);   // network and farmer are reported first
            return earlier != null ? (null, earlier) : Fail(RequestProblemKind.Invalid, "args", unexpressible);
        }
        return Parse(runmodes, network, farmer, bad < 0 ? ArgsSegment.Encode(typedArgs) : typedArgs, kernel, TypedArgsRule);
    }

    private static readonly SearchValues<char> ArgsChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + ArgsPunctuation);

    private static readonly SearchValues<char> FileNameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    /// <summary>Index of the first character outside <c>[A-Za-z0-9._-]</c>, or -1.</summary>
    internal static int FirstNonFileNameChar(string name) => name.AsSpan().IndexOfAnyExcept(FileNameChars);

    /// <summary>Names a character so a person can find it: the glyph when printable, always its code point.</summary>
    public static string Describe(char c) =>
        c is >= ' ' and < '\x7f'
            ? $"character '{c}' (U+{(int)c:X4})"
            : $"character U+{(int)c:X4}" + (c switch
            {
                '\n' => " (line feed)",
                '\r' => " (carriage return)",
                '\t' => " (tab)",
                '\0' => " (NUL)",
                _ => "",
            });

    /// <summary>A refused value echoed back in an error, cut short and stripped of control characters.</summary>
    public static string Shown(string value)
    {
        var printable = new string(value.Take(64).Select(c => c is >= ' ' and < '\x7f' ? c : '?').ToArray());
        return value.Length > 64 ? printable + "..." : printable;
    }

    private static (BootRequest?, RequestProblem?) Fail(RequestProblemKind kind, string field, string detail) =>
        (null, new RequestProblem(kind, field, detail));
}

/// <summary>The rule for kernel and runmode-link file names: <c>[A-Za-z0-9._-]</c>, no <c>..</c>.</summary>
public static class KernelNames
{
    /// <summary>Returns why <paramref name="name"/> is refused, prefixed with <paramref name="what"/> it names, or null when it is valid.</summary>
    public static string? Check(string name, string what) => Problem(name) is { } problem ? $"{what}: {problem}" : null;

    /// <summary>Returns why <paramref name="name"/> is refused, or null when it is a valid file name.</summary>
    public static string? Problem(string name)
    {
        if (name.Length is 0 or > BootRequestParser.MaxKernelNameLength)
            return $"a file name is 1 to {BootRequestParser.MaxKernelNameLength} characters";
        var bad = BootRequestParser.FirstNonFileNameChar(name);
        if (bad >= 0)
            return $"{BootRequestParser.Describe(name[bad])} is not allowed in a file name (A-Z a-z 0-9 . _ -)";
        if (name.Contains("..") || name.StartsWith('.'))
            return "a file name must not start with '.' or contain '..'";
        return null;
    }
}
