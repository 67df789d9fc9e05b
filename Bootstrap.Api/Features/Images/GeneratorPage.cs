using Bootstrap.Api.Pages;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Boot;
using static Bootstrap.Api.Pages.Html;

namespace Bootstrap.Api.Features.Images;

/// <summary>What the generator form sent (query string); all fields optional until submitted.</summary>
public sealed record GeneratorInput(string? Network, string? Farmer, string? Args, string? Format, string? Kernel)
{
    public bool Submitted => Farmer != null || Format != null;
}

/// <summary>
/// The image generator (<c>/</c>, <c>/generate</c>, and with a kernel choice <c>/expert</c>). The
/// server validates with the same rules as the image routes and renders the result, so the page
/// works without JavaScript; app.js repeats the rules in the browser to answer as one types.
/// </summary>
public static class GeneratorPage
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

        var page = $$"""
            <h1>{{(expert ? "Boot image, expert" : "Boot image for your farm")}}</h1>
            <p class="lead">Pick your network, type your farm id, choose how the machine will boot. The machine then
            downloads its OS from this service and joins your farm.</p>
            <p class="help" id="secure-boot">Secure Boot on? Machines that trust only Microsoft's keys boot the images "for Secure Boot";
            {{E(config.SiteKey == null ? "the other EFI files are not signed here (no site key)" : $"the other EFI files and the kernels are signed with the site key {config.SiteKey.Subject} (SHA-256 {config.SiteKey.Fingerprint[..16]}…, enrol /secure-boot/site.der)")}}.</p>
            <form id="generator" method="get" action="{{(expert ? "/expert" : "/generate")}}" novalidate
                  data-base="{{E(baseUrl)}}" data-args-chars="{{E(BootRequestParser.ArgsPunctuation)}}" data-args-unexpressible="{{E(ArgsSegment.UnexpressiblePattern)}}"
                  data-max-args="{{BootRequestParser.MaxArgsLength}}" data-reserved="{{E(string.Join(' ', BootRequestParser.ReservedKeys))}}" data-max-farmer="{{BootRequestParser.MaxFarmerLength}}">
            <div class="field">
              <label for="network">Network</label>
              <select id="network" name="network">
              {{string.Concat(config.Runmodes.Select(r => $"""<option value="{E(r.Key)}"{(r.Key == network ? " selected" : "")}>{E(r.Value)} ({E(r.Key)})</option>"""))}}
              </select>
              {{Error("network", errors)}}
              {{BootsWhat(config, linked)}}
            </div>
            <div class="field">
              <label for="farmer">Farm id</label>
              <input id="farmer" name="farmer" inputmode="numeric" autocomplete="off" required maxlength="{{BootRequestParser.MaxFarmerLength}}"
                     value="{{E(input.Farmer)}}" aria-describedby="farmer-help farmer-error"{{Invalid("farmer", errors)}}>
              <p id="farmer-help" class="help">Digits only.</p>
              {{Error("farmer", errors)}}
            </div>
            <div class="field">
              <label for="args">Extra kernel arguments <span class="optional">(optional)</span></label>
              <input id="args" name="args" autocomplete="off" spellcheck="false" maxlength="{{BootRequestParser.MaxArgsLength}}"
                     value="{{E(input.Args)}}" placeholder="console=ttyS0" aria-describedby="args-help args-error"{{Invalid("args", errors)}}>
              <p id="args-help" class="help">Letters, digits, space and <code>= _ . , : - + /</code>; not <code>___</code> nor <code>_</code> right before <code>/</code> (the URL writes <code>/</code> as <code>___</code>).</p>
              {{Error("args", errors)}}
            </div>
            {{(expert ? KernelChoice(kernels, input.Kernel, errors) : "")}}
            <fieldset>
              <legend>Format</legend>
              {{string.Concat(Formats.All.Select(f => FormatChoice(f, f == format, Off(f))))}}
              {{Error("format", errors)}}
            </fieldset>
            <button type="submit">Show the download</button>
            </form>
            {{Result(path, format, network, baseUrl, input)}}
            """;
        return Page(expert ? "Expert" : "Boot image", expert ? "/expert" : "/generate", page,
            errors.Count > 0 ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK);
    }

    /// <summary>The image path for a validated request: <c>/format/network/farm[/args][/kernel]</c>.</summary>
    public static string PathFor(string route, BootRequest request) => $"/{route}/{request.Segments}";

    private static string Result(string? path, Format format, string network, string baseUrl, GeneratorInput input)
    {
        var url = path == null ? "" : baseUrl + path;
        var chain = path == null ? "" : $"chain {baseUrl}{"/ipxe" + path[(path.IndexOf('/', 1))..]}";
        var fileName = format.FileName(network);
        return $$"""
            <section id="result" aria-live="polite"{{(path == null ? " hidden" : "")}}>
            <h2>Your download</h2>
            <a id="download" class="button" href="{{E(path ?? "#")}}" download="{{E(fileName)}}">Download <span id="file-name">{{E(fileName)}}</span></a>
            <div class="copyable"><label for="url">Address</label><input id="url" readonly value="{{E(url)}}"><button type="button" class="copy" data-copy="url" hidden>Copy</button></div>
            <div class="copyable"><label for="curl">With curl</label><input id="curl" readonly value="{{E(path == null ? "" : $"curl -o {fileName} '{url}'")}}"><button type="button" class="copy" data-copy="curl" hidden>Copy</button></div>
            <div class="copyable"><label for="chain">From an iPXE prompt</label><input id="chain" readonly value="{{E(chain)}}"><button type="button" class="copy" data-copy="chain" hidden>Copy</button></div>
            </section>
            """;
    }

    private static string FormatChoice(Format f, bool selected, bool off) =>
        $"""
        <label class="choice{(off ? " off" : "")}">
        <input type="radio" name="format" value="{f.Route}" data-file="{E(f.FileName("{network}"))}"{(selected ? " checked" : "")}{(off ? " disabled" : "")}>
        <span><strong>{E(f.Label)}</strong> {E(f.WhenToUse)}{(off ? $" <em>Not available here: {E(Formats.NeedsSourceNote)}</em>" : "")}</span>
        </label>
        """;

    private static string KernelChoice(IReadOnlyList<KernelInfo> kernels, string? chosen, Dictionary<string, string> errors) =>
        $"""
        <div class="field">
          <label for="kernel">Kernel</label>
          <select id="kernel" name="kernel" aria-describedby="kernel-error">
          <option value="">The network's current kernel</option>
          {string.Concat(kernels.Select(k => $"""<option value="{E(k.Name)}"{(k.Name == chosen ? " selected" : "")}>{E(k.Name)} ({k.Updated:yyyy-MM-dd}{(k.Runmodes.Count > 0 ? ", " + E(string.Join(", ", k.Runmodes)) : "")})</option>"""))}
          </select>
          {Error("kernel", errors)}
        </div>
        """;

    private static string Error(string field, Dictionary<string, string> errors) =>
        $"""<p id="{field}-error" class="error" role="alert"{(errors.TryGetValue(field, out var m) ? $">{E(m)}" : " hidden>")}</p>""";

    private static string Invalid(string field, Dictionary<string, string> errors) => errors.ContainsKey(field) ? " aria-invalid=\"true\"" : "";

    private static string Sentence(string detail) => char.ToUpperInvariant(detail[0]) + detail[1..] + ".";

    /// <summary>Which kernel each network boots, and a plain warning when it is only the demo kernel.</summary>
    private static string BootsWhat(BootstrapConfig config, IReadOnlyList<KernelInfo> linked)
    {
        var byRunmode = linked.SelectMany(k => k.Runmodes.Select(r => (Runmode: r, Kernel: k.Name))).ToDictionary(p => p.Runmode, p => p.Kernel);
        var lines = config.Runmodes.Keys.Select(r => byRunmode.TryGetValue(r, out var kernel)
            ? $"<li>{E(r)} boots <code>{E(kernel)}</code>{(kernel.StartsWith(DemoKernelPrefix, StringComparison.Ordinal) ? " — only the demo kernel setup/run.sh installed (Debian's): upload your OS's kernel and switch the link" : "")}</li>"
            : $"<li>{E(r)} has no kernel yet</li>");
        return $"""<ul id="runmode-kernels" class="help">{string.Concat(lines)}</ul>""";
    }
}
