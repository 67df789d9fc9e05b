namespace Bootstrap.Tests.Support;

/// <summary>Tests that measure the whole process (its heap), so nothing else may run beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}
