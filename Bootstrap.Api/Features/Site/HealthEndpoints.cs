using Bootstrap.Builder.Images;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Images.Templates;

namespace Bootstrap.Api.Features.Site;

/// <summary>What <c>/healthz</c> answers: the status for anyone, the checks (they name files and folders) for the admin only.</summary>
public sealed record HealthAnswer(
    string Status,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyDictionary<string, string>? Checks);

/// <summary><c>/healthz</c>: 200 when the config, the kernels folder and the database are usable, else 503.</summary>
public static class HealthEndpoints
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", async Task<Results<Ok<HealthAnswer>, JsonHttpResult<HealthAnswer>>> (HttpContext http, BootstrapConfig config, MachineStore store, KernelStore kernels, TemplateStore templates) =>
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
                ["pxe"] = http.RequestServices.GetRequiredService<Bootstrap.Builder.Pxe.PxeListeners>().Status,
            };
            if ((template as SourceTemplate)?.LkrnPacking is { } packing)
                checks["lkrn-packing"] = packing;
            var healthy = checks["kernels"] == "ok" && checks["database"] == "ok";
            var status = healthy ? "ok" : "unhealthy";
            // The checks name files and folders: for the admin only; balancers need the status alone.
            var answer = new HealthAnswer(status, AdminToken.IsPresentedBy(http, config) ? checks : null);
            return healthy ? TypedResults.Ok(answer) : TypedResults.Json(answer, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithSummary("Whether config, kernels folder and database are usable (the checks themselves with the admin token)")
          .Produces<HealthAnswer>(StatusCodes.Status503ServiceUnavailable, "application/json");
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
