using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Kernels;

namespace Bootstrap.Api.Features.Images;

/// <summary>What the generator form sent (query string); all fields optional until submitted.</summary>
public sealed record GeneratorInput(string? Network, string? Farmer, string? Args, string? Format, string? Kernel)
{
    public bool Submitted => Farmer != null || Format != null;
}

/// <summary>
/// What the generator page shows, worked out before it is drawn (its status depends on it): the
/// choices, each field's error, and the image's path once the input is valid.
/// </summary>
public sealed record GeneratorView(
    GeneratorInput Input, bool Expert, string BaseUrl, string Network, Format Format, IReadOnlyDictionary<string, string> Errors, string? Path,
    IReadOnlyList<KernelInfo> Kernels, IReadOnlyDictionary<string, string> Booted, bool TemplateEmbedsScripts)
{
    public bool Off(Format f) => f.NeedsSource && !TemplateEmbedsScripts;
    public string FileName => Format.FileName(Network);
    public string Url => Path == null ? "" : BaseUrl + Path;
    public string Chain => Path == null ? "" : $"chain {BaseUrl}/ipxe{Path[Path.IndexOf('/', 1)..]}";
}

public partial class GeneratorPage
{
    /// <summary>Names of kernels that setup/run.sh installs on a first run (Debian's), not an operator's.</summary>
    public const string DemoKernelPrefix = "demo-";

    public static HtmlPage Render(BootstrapConfig config, IReadOnlyList<KernelInfo> kernels, GeneratorInput input, string baseUrl, bool expert,
        bool templateEmbedsScripts, IReadOnlyList<KernelInfo> linked)
    {
        bool Off(Format f) => f.NeedsSource && !templateEmbedsScripts;
        var network = input.Network ?? BootRequestParser.DefaultNetwork(config.Runmodes);
        var format = Formats.All.FirstOrDefault(f => f.Route == input.Format && !Off(f)) ?? Formats.All[0];
        var errors = new Dictionary<string, string>();
        string? path = null;
        if (input.Submitted)
        {
            if (string.IsNullOrEmpty(input.Farmer))
                errors["farmer"] = "Enter your farm id (digits only).";
            var (request, problem) = BootRequestParser.ParseTyped(config.Runmodes, network, input.Farmer ?? "", input.Args ?? "",
                string.IsNullOrEmpty(input.Kernel) ? null : input.Kernel);
            if (problem != null && !errors.ContainsKey("farmer"))
                errors[problem.Field] = Sentence(problem.Detail);
            if (input.Format != null && Formats.All.FirstOrDefault(f => f.Route == input.Format) is { } chosen && Off(chosen))
                errors["format"] = Formats.NeedsSourceNote;
            if (errors.Count == 0)
                path = PathFor(format.Route, request!);
        }
        var booted = linked.SelectMany(k => k.Runmodes.Select(r => (Runmode: r, Kernel: k.Name))).ToDictionary(p => p.Runmode, p => p.Kernel);
        var view = new GeneratorView(input, expert, baseUrl, network, format, errors, path, kernels, booted, templateEmbedsScripts);
        return HtmlPage.Of<GeneratorPage>(errors.Count > 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK,
            new() { [nameof(Config)] = config, [nameof(View)] = view });
    }

    /// <summary>The image path for a validated request: <c>/format/network/farm[/args][/kernel]</c>.</summary>
    public static string PathFor(string route, BootRequest request) => $"/{route}/{request.Segments}";

    private static string Sentence(string detail) => char.ToUpperInvariant(detail[0]) + detail[1..] + ".";
}
