namespace Bootstrap.Tests.Support;

public static class RepoRoot
{
    /// <summary>The checkout's top folder: the nearest parent of the test binaries holding Bootstrap.sln.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Bootstrap.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException("Bootstrap.sln not found above " + AppContext.BaseDirectory);
    }
}
