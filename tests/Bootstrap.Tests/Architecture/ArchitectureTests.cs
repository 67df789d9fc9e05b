using Bootstrap.Builder.Configuration;
using Bootstrap.Tests.Support;

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

    /// <summary>A status is a constant in the compiled code (no token to find), so this reads the core's source.</summary>
    [Fact]
    public void The_core_speaks_no_http_status()
    {
        var status = new System.Text.RegularExpressions.Regex(@"StatusCodes\.|HttpStatusCode|\bStatus[1-5][0-9][0-9]");
        var sources = Directory.EnumerateFiles(Path.Combine(RepoRoot.Path, "Bootstrap.Builder"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")).ToList();
        var speaking = sources.SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(l => status.IsMatch(l.line)).Select(l => $"{Path.GetRelativePath(RepoRoot.Path, l.f)}:{l.i + 1}: {l.line.Trim()}");
        Assert.NotEmpty(sources);
        Assert.Empty(speaking);
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
}
