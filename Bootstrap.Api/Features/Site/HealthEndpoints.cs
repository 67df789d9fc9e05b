using Bootstrap.Builder.Images;
using Bootstrap.Api.Http;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Images.Templates;

namespace Bootstrap.Api.Features.Site;

/// <summary><c>/healthz</c>: 200 when the config, the kernels folder and the database are usable, else 503.</summary>
public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", async (HttpContext http, BootstrapConfig config, MachineStore store, KernelStore kernels, TemplateStore templates) =>
        {
            var (template, templateCheck) = Template(templates);
            var checks = new Dictionary<string, string>
            {
                ["config"] = config.SourceFile,
                ["kernels"] = kernels.IsReadable ? "ok" : $"cannot read {kernels.Describe}",
                ["kernel-store"] = kernels.Describe,
                ["database"] = await store.IsUsableAsync() ? "ok" : $"cannot query {store.Database.Name}",
                ["storage"] = store.Database.Engine == "sqlite" ? $"sqlite {store.Database.Name}" : store.Database.Name,
                // Reported, not counted: without a template only the image routes are down.
                ["template"] = templateCheck,
                ["secure-boot-images"] = SecureBootStatus.Images(template),
                ["secure-boot-signing"] = SecureBootStatus.Signing(config.SiteKey),
            };
            if ((template as SourceTemplate)?.LkrnPacking is { } packing)
                checks["lkrn-packing"] = packing;
            var healthy = checks["kernels"] == "ok" && checks["database"] == "ok";
            var status = healthy ? "ok" : "unhealthy";
            var code = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            // The checks name files and folders: for the admin only; balancers need the status alone.
            return AdminToken.IsPresentedBy(http, config)
                ? (IResult)TypedResults.Json(new { status, checks }, statusCode: code)
                : TypedResults.Json(new { status }, statusCode: code);
        }).WithSummary("Whether config, kernels folder and database are usable (the checks themselves with the admin token)")
          .Produces(StatusCodes.Status200OK, contentType: "application/json")
          .Produces(StatusCodes.Status503ServiceUnavailable, contentType: "application/json");
    }

    /// <summary>The template (null when unusable) and what the check says of it.</summary>
    private static (IIpxeTemplate? Template, string Check) Template(TemplateStore templates)
    {
        try
        {
            var template = templates.Get();
            return (template, $"{template.Kind}, iPXE {template.IpxeVersion}");
        }
        catch (TemplateUnavailableException e)
        {
            return (null, e.Message);
        }
    }
}
