using Bootstrap.Builder.Configuration;
using Bootstrap.Tests.Support;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Bootstrap.Tests.Architecture;

/// <summary>The shape docs/architecture.md promises, checked on the compiled assemblies.</summary>
public class ArchitectureTests
{
    private static readonly System.Reflection.Assembly Core = typeof(BootstrapConfig).Assembly;
    private static readonly System.Reflection.Assembly Api = typeof(Program).Assembly;

    [Fact]
    public void The_core_references_no_asp_net_assembly()
    {
        var aspNet = Core.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Empty(aspNet);
    }

    /// <summary>
    /// A status is a constant in the compiled code (no token to find), so this reads the core's source.
    /// The one client of an HTTP protocol in the core, Redfish, reads the statuses a BMC answers; it chooses none of the service's.
    /// </summary>
    [Fact]
    public void The_core_speaks_no_http_status()
    {
        var status = new System.Text.RegularExpressions.Regex(@"StatusCodes\.|HttpStatusCode|\bStatus[1-5][0-9][0-9]");
        var redfishClient = Path.Combine("Bootstrap.Builder", "Bmc", "Redfish") + Path.DirectorySeparatorChar;
        var sources = Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "Bootstrap.Builder"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains(redfishClient)).ToList();
        var speaking = sources.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(l => status.IsMatch(l.line)).Select(l => $"{Path.GetRelativePath(RepoRoot.Path, l.f)}:{l.i + 1}: {l.line.Trim()}");
        Assert.NotEmpty(sources);
        Assert.Empty(speaking);
    }

    /// <summary>The time of day comes from a TimeProvider, so a test can move it (docs/architecture.md).</summary>
    [Fact]
    public void No_code_reads_the_system_clock_itself()
    {
        var clock = new System.Text.RegularExpressions.Regex(@"\b(DateTimeOffset|DateTime)\.(UtcNow|Now)\b");
        var reads = new[] { "Bootstrap.Builder", "Bootstrap.Api" }
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, project), "*.*", SearchOption.AllDirectories))
            .Where(f => (f.EndsWith(".cs") || f.EndsWith(".razor")) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(l => clock.IsMatch(l.line)).Select(l => $"{Path.GetRelativePath(RepoRoot.Path, l.f)}:{l.i + 1}: {l.line.Trim()}");
        Assert.Empty(reads);
    }

    [Fact]
    public void The_graph_sees_what_a_method_body_names()
    {
        // ImagePipeline.BuildAsync names ArtifactCache only inside its body (through a captured field's method call).
        var edges = NamespaceGraph.Of(Core).Edges;
        Assert.Contains("Bootstrap.Builder.Images.Caching", edges["Bootstrap.Builder.Images"].Keys);
        Assert.Contains("Bootstrap.Builder.Storage.Database", edges["Bootstrap.Builder.Machines"].Keys);
    }

    [Fact]
    public void No_namespace_of_the_core_depends_on_itself_through_others() => AssertNoCycle(Core);

    [Fact]
    public void No_namespace_of_the_api_depends_on_itself_through_others() => AssertNoCycle(Api);

    private static void AssertNoCycle(System.Reflection.Assembly assembly)
    {
        var cycles = NamespaceGraph.Of(assembly).Cycles();
        Assert.True(cycles.Count == 0, "namespace cycles:\n" + string.Join("\n\n", cycles));
    }

    /// <summary>A handler's result types are what the OpenAPI document says it answers; a bare IResult says nothing.</summary>
    [Fact]
    public void No_handler_returns_a_bare_result()
    {
        using var site = new TestSite();
        var bare = site.Factory.Services.GetRequiredService<Microsoft.AspNetCore.Routing.EndpointDataSource>().Endpoints
            .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Select(e => (Route: e.RoutePattern.RawText, Method: e.Metadata.GetMetadata<System.Reflection.MethodInfo>()))
            .Where(e => e.Method != null && Unwrapped(e.Method.ReturnType) == typeof(IResult))
            .Select(e => $"{e.Route}: {e.Method!.DeclaringType?.Name}.{e.Method.Name}")
            .Order().ToList();
        Assert.True(bare.Count == 0, "handlers returning IResult:\n" + string.Join("\n", bare));
    }

    private static Type Unwrapped(Type type) =>
        type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>))
            ? type.GetGenericArguments()[0] : type;
}
