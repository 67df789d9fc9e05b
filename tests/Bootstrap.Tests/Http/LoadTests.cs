using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Bootstrap.Builder.Machines;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// A farm booting at once: many concurrent clients mixing scripts, a cached ISO, kernel ranges and
/// provisioning against the real server, for a bounded time and count. Every answer must have the
/// expected status and every body the expected sha256 (no torn or mixed bodies). No timing asserts.
/// </summary>
public sealed class LoadTests : IDisposable
{
    private const int Clients = 48;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);
    private const int MaxRequests = 200_000;

    private readonly TestSite _site = new(c => c["ipxe-template"] = RepoTemplate.Folder);

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task Mixed_load_gets_only_expected_statuses_and_whole_bodies()
    {
        var kernel = _site.AddKernel("zos.efi", size: 4_000_000);
        _site.AddLink("prod.efi", "zos.efi");
        using var service = new LiveService(_site.ConfigFile);
        using var setup = service.AdminClient();
        await MachineApi.AssignAsync(setup, "52:54:00:00:00:01", new { network = "prod", farmer = "1234", args = "console=ttyS0" });
        var scriptHash = SHA256.HashData(await setup.GetByteArrayAsync("/ipxe/prod/1234"));
        var isoHash = SHA256.HashData(await setup.GetByteArrayAsync("/iso/prod/1234"));
        var quickHash = SHA256.HashData(await setup.GetByteArrayAsync("/provision/52:54:00:00:00:01"));

        var clock = Stopwatch.StartNew();
        var total = 0;
        var failures = new List<string>();
        var counts = new int[5];
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(n => Task.Run(async () =>
        {
            using var client = service.Client();
            var random = new Random(n);
            while (clock.Elapsed < Duration && Interlocked.Increment(ref total) <= MaxRequests)
            {
                var kind = random.Next(5);
                Interlocked.Increment(ref counts[kind]);
                var problem = kind switch
                {
                    0 => await Expect(client, "/ipxe/prod/1234", HttpStatusCode.OK, scriptHash),
                    1 => await Expect(client, "/iso/prod/1234", HttpStatusCode.OK, isoHash),
                    2 => await Range(client, random, kernel),
                    3 => await Expect(client, "/provision/52-54-00-00-00-01", HttpStatusCode.OK, quickHash),
                    _ => await Expect(client, $"/provision/52:54:00:00:01:{random.Next(256):x2}", HttpStatusCode.NotFound, null),
                };
                if (problem != null)
                    lock (failures)
                        failures.Add(problem);
            }
        })));

        Assert.Empty(failures);
        Assert.All(counts, c => Assert.True(c > 20, $"a mix part ran only {c} times"));
    }

    private static async Task<string?> Expect(HttpClient client, string path, HttpStatusCode status, byte[]? sha256)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != status)
            return $"{path}: {(int)response.StatusCode}";
        if (sha256 != null && !SHA256.HashData(body).AsSpan().SequenceEqual(sha256))
            return $"{path}: body of {body.Length} bytes differs";
        return null;
    }

    private static async Task<string?> Range(HttpClient client, Random random, byte[] kernel)
    {
        var from = random.Next(kernel.Length - 1);
        var to = Math.Min(kernel.Length - 1, from + random.Next(1, 512 * 1024));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/kernel/net/prod.efi");
        request.Headers.Range = new RangeHeaderValue(from, to);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != HttpStatusCode.PartialContent)
            return $"range {from}-{to}: {(int)response.StatusCode}";
        return body.AsSpan().SequenceEqual(kernel.AsSpan(from, to - from + 1)) ? null : $"range {from}-{to}: wrong bytes";
    }
}
