using Bootstrap.Api.Observability;

namespace Bootstrap.Api.Features.Site;

/// <summary><c>/metrics</c>: the Prometheus text exposition of the service's instruments.</summary>
public static class MetricsEndpoints
{
    public static void MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (PrometheusExporter exporter) =>
            TypedResults.Text(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithSummary("Prometheus text exposition of the service's metrics")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
    }
}
