using Bootstrap.Builder.Images.Caching;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// Images in memory are counted exactly: bytes stay while the cache or an answer holds them and
/// leave when the last lets go. Alone, because it reads the process-wide count of held bytes.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class HeldImageTests
{
    private static string Key(int n) => n.ToString("x64");

    private static byte[] Pattern(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * 7 + seed)).ToArray();

    private static Func<CancellationToken, Task<PackedImage>> Build(byte[] bytes) => _ => Task.FromResult(PackedImage.Of(bytes));

    [Fact]
    public async Task An_image_evicted_while_an_answer_reads_it_stays_whole_until_the_answer_is_done()
    {
        var before = HeldImage.AllBytes;
        var cache = new ArtifactCache(memoryBudget: 100, disk: null, 1, 1);
        var first = Pattern(100, 1);
        var reading = (await cache.GetOrBuildAsync(Key(1), Build(first), default)).OpenRead();

        (await cache.GetOrBuildAsync(Key(2), Build(Pattern(100, 2)), default)).Dispose();   // takes key 1's place

        Assert.Equal((1L, 100L), (cache.Evictions, cache.MemoryBytes));
        Assert.Equal(200, HeldImage.AllBytes - before);   // key 2 in the cache, key 1 in the answer
        var read = new MemoryStream();
        await reading.CopyToAsync(read);
        Assert.Equal(first, read.ToArray());
        await reading.DisposeAsync();
        Assert.Equal(100, HeldImage.AllBytes - before);
    }

    [Fact]
    public async Task Sixteen_waiters_of_one_build_and_a_cancelled_one_leave_only_what_the_cache_keeps()
    {
        var before = HeldImage.AllBytes;
        var cache = new ArtifactCache(memoryBudget: 1 << 20, disk: null, 1, 1);
        var release = new TaskCompletionSource();
        var bytes = Pattern(1000, 3);
        Func<CancellationToken, Task<PackedImage>> slow = async _ =>
        {
            await release.Task;
            return PackedImage.Of(bytes);
        };
        using var cancel = new CancellationTokenSource();
        var gaveUp = cache.GetOrBuildAsync(Key(3), slow, cancel.Token);
        var waiters = Enumerable.Range(0, 16).Select(_ => cache.GetOrBuildAsync(Key(3), slow, default)).ToList();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp);

        release.SetResult();
        var artifacts = await Task.WhenAll(waiters);
        Assert.All(artifacts, a => Assert.Equal(bytes, a.ToArray()));
        Assert.Equal(1000, HeldImage.AllBytes - before);   // one copy, shared
        foreach (var artifact in artifacts)
            artifact.Dispose();
        Assert.Equal((1000L, 1000L), (HeldImage.AllBytes - before, cache.MemoryBytes));
    }

    [Fact]
    public async Task An_image_larger_than_the_memory_budget_is_held_only_by_its_answer()
    {
        var before = HeldImage.AllBytes;
        var cache = new ArtifactCache(memoryBudget: 10, disk: null, 1, 1);

        var artifact = await cache.GetOrBuildAsync(Key(4), Build(Pattern(100, 4)), default);
        Assert.Equal((100L, 0L), (HeldImage.AllBytes - before, cache.MemoryBytes));
        artifact.Dispose();

        Assert.Equal(0, HeldImage.AllBytes - before);
    }

    [Fact]
    public void A_packed_image_that_writes_other_than_its_length_is_refused()
    {
        var wrong = new PackedImage(10, output => output.Write(new byte[9]));

        var error = Assert.Throws<InvalidOperationException>(() => HeldImage.Write(wrong));

        Assert.Equal("the image wrote 9 bytes of the 10 it planned", error.Message);
    }
}
