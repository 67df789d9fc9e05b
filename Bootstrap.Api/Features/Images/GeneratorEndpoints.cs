using Bootstrap.Builder.Storage;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Images.Templates;
using Microsoft.Net.Http.Headers;

namespace Bootstrap.Api.Features.Images;

/// <summary>The pages for people: generator and expert form, and the pages' CSS/JS.</summary>
public static class GeneratorEndpoints
{
    public static void MapGenerator(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", Generator(expert: false)).ExcludeFromDescription();
        app.MapGet("/generate", Generator(expert: false)).WithSummary("Image generator page (HTML)").Produces<string>(200, "text/html");
        app.MapGet("/expert", Generator(expert: true)).WithSummary("Image generator with a kernel choice (HTML)").Produces<string>(200, "text/html");
        app.MapGet("/static/{name}", Asset).ExcludeFromDescription();
    }

    private static Func<HttpContext, BootstrapConfig, KernelStore, TemplateStore, string?, string?, string?, string?, string?, HtmlPage> Generator(bool expert) =>
        (http, config, kernels, templates, network, farmer, args, format, kernel) =>
        {
            var (baseUrl, _) = http.PageBaseUrl(config);
            bool embedsScripts;
            try
            {
                embedsScripts = templates.Get().EmbedsScripts;
            }
            catch (TemplateUnavailableException)
            {
                embedsScripts = false;   // the image routes say what is wrong; the page still lets people get scripts
            }
            var all = kernels.List();
            return GeneratorPage.Render(config, expert ? all : [], new GeneratorInput(network, farmer, args, format, kernel),
                baseUrl ?? "", expert, embedsScripts, all);
        };

    private static readonly Dictionary<string, (byte[] Bytes, string Type, string ETag)> Assets = LoadAssets();

    private static Dictionary<string, (byte[], string, string)> LoadAssets()
    {
        var assets = new Dictionary<string, (byte[], string, string)>();
        foreach (var name in new[] { "app.css", "app.js" })
        {
            var bytes = EmbeddedResource.Bytes(typeof(GeneratorEndpoints).Assembly, "Bootstrap.Pages." + name);
            var type = name.EndsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8";
            assets[name] = (bytes, type, $"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..16]}\"");
        }
        return assets;
    }

    private static Results<FileContentHttpResult, Text<Status.NotFound>> Asset(string name) =>
        Assets.TryGetValue(name, out var asset)
            ? TypedResults.Bytes(asset.Bytes, asset.Type, entityTag: EntityTagHeaderValue.Parse(asset.ETag))
            : PlainText.NotFound($"no asset '{name}'");
}
