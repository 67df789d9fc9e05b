using System.Net;
using System.Net.Http.Headers;
using Bootstrap.Builder.Machines;
using Bootstrap.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bootstrap.Tests.Http;

/// <summary>What an attacker tried and must not get: spliced kernels, forged log lines, a 500 from a reserved name.</summary>
public sealed class HardeningTests : IDisposable
{
    private readonly TestSite _site = new();
    private readonly CapturedLogs _logs = new();
    private readonly WebApplicationFactory<Program> _factory;

    public HardeningTests() =>
        _factory = _site.Factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(_logs)));

    public void Dispose()
    {
        _factory.Dispose();
        _site.Dispose();
    }

    private HttpClient Client(bool admin = false)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Host = "bootstrap.test";
        if (admin)
            client.DefaultRequestHeaders.Authorization = new("Bearer", TestSite.Token);
        return client;
    }

    /// <summary>Kernel "old" dated 2026-01-01, kernel "new" dated 2026-06-01; prod points at "new".</summary>
    private (byte[] Old, byte[] New) TwoKernels()
    {
        var old = _site.AddKernel("old.efi", size: 5000, seed: 1);
        var @new = _site.AddKernel("new.efi", size: 5000, seed: 2);
        if (TestSite.OnPostgres)
            Thread.Sleep(1100);   // HTTP dates have whole seconds: "new" must be dated after "old"
        else
        {
            File.SetLastWriteTimeUtc(Path.Combine(_site.Kernels, "old.efi"), new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            File.SetLastWriteTimeUtc(Path.Combine(_site.Kernels, "new.efi"), new DateTime(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc));
        }
        _site.AddLink("prod.efi", "new.efi");
        return (old, @new);
    }

    [Fact]
    public async Task After_a_switch_back_if_modified_since_gets_the_whole_current_kernel()
    {
        var (old, _) = TwoKernels();
        var client = Client(admin: true);
        var seen = await client.GetAsync("/kernel/net/prod.efi");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/symlink/prod.efi/old.efi", null)).StatusCode);

        var request = new HttpRequestMessage(HttpMethod.Get, "/kernel/net/prod.efi");
        request.Headers.IfModifiedSince = seen.Content.Headers.LastModified;
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(old, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task After_a_switch_back_a_date_if_range_never_splices_two_kernels()
    {
        var (old, _) = TwoKernels();
        var client = Client(admin: true);
        var seen = await client.GetAsync("/kernel/net/prod.efi");
        await client.PostAsync("/api/symlink/prod.efi/old.efi", null);

        var request = new HttpRequestMessage(HttpMethod.Get, "/kernel/net/prod.efi");
        request.Headers.IfRange = new RangeConditionHeaderValue(seen.Content.Headers.LastModified!.Value);
        request.Headers.Range = new RangeHeaderValue(100, null);
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(old, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_etag_if_range_still_gives_ranges_of_the_same_kernel()
    {
        var (_, @new) = TwoKernels();
        var client = Client();
        var seen = await client.GetAsync("/kernel/net/prod.efi");

        var request = new HttpRequestMessage(HttpMethod.Get, "/kernel/net/prod.efi");
        request.Headers.IfRange = new RangeConditionHeaderValue(seen.Headers.ETag!);
        request.Headers.Range = new RangeHeaderValue(100, null);
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(@new[100..], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_line_break_in_the_path_cannot_forge_a_log_line()
    {
        _site.AddProdKernel();

        await Client().GetAsync("/ipxe/prod/1%0Ainfo:%20Bootstrap.Admin[0]%20kernel%20evil.efi%20stored");

        var line = Assert.Single(_logs.Lines("Bootstrap.Requests"));
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        Assert.StartsWith("ipxe GET /ipxe/prod/1\\ninfo: Bootstrap.Admin[0] kernel evil.efi stored 400 network=prod farm=1\\ninfo: Bootstrap.Admin[0] kernel evil.efi stored ", line);
    }

    [Fact]
    [Trait("engine", "sqlite")]
    public async Task An_upload_named_like_the_links_folder_is_400_and_logged_as_400()
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "kernel", "net" } };

        var response = await Client(admin: true).PostAsync("/api/kernel", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("kernel: 'net' is reserved: it is a folder of the kernels store (the runmode links live in 'net')\n",
            await response.Content.ReadAsStringAsync());
        Assert.Matches("^api POST /api/kernel 400 ", Assert.Single(_logs.Lines("Bootstrap.Requests")));
        Assert.True(Directory.Exists(_site.NetLinks));
    }
}

/// <summary>Args cannot set the kernel arguments the service writes itself.</summary>
public sealed class ReservedKernelKeyTests : IDisposable
{
    private readonly TestSite _site = new();

    public ReservedKernelKeyTests() => _site.AddProdKernel();

    public void Dispose() => _site.Dispose();

    [Theory]
    [InlineData("runmode=dev", "runmode")]
    [InlineData("console=ttyS0%20farmer_id=666", "farmer_id")]
    [InlineData("panic=0", "panic")]
    [InlineData("version=v2", "version")]
    [InlineData("bootstrap_url=http:___evil", "bootstrap_url")]
    [InlineData("BOOTSTRAP_TOKEN=x", "BOOTSTRAP_TOKEN")]
    [InlineData("quiet%20Runmode", "Runmode")]
    [InlineData("answer_url=http:___evil", "answer_url")]
    public async Task A_reserved_key_in_args_is_400_naming_it(string args, string key)
    {
        foreach (var route in new[] { "ipxe", "iso" })
        {
            var response = await _site.Client().GetAsync($"/{route}/prod/1234/{args}");

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal($"args: '{key}' is set by the service and cannot be given in args (reserved: runmode, farmer_id, version, panic, bootstrap_url, bootstrap_token, answer_url)\n",
                await response.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [InlineData("runmodes=1")]
    [InlineData("my_panic=1")]
    [InlineData("console=ttyS0%20versions")]
    public async Task Keys_that_only_look_alike_are_fine(string args)
    {
        Assert.Equal(HttpStatusCode.OK, (await _site.Client().GetAsync($"/ipxe/prod/1234/{args}")).StatusCode);
    }
}

/// <summary>Unknown machines cannot fill the pending table or rewrite where a real one came from.</summary>
public sealed class PendingBoundTests
{
    [Fact]
    public async Task A_flood_of_unknown_macs_from_one_client_gets_429_past_its_budget()
    {
        using var site = new TestSite(c => c["unknown-machines-per-minute"] = 20);
        site.AddProdKernel();
        var client = site.Client();

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 300; i++)
            answers.Add((await client.GetAsync($"/provision/52:54:00:00:{i / 256:x2}:{i % 256:x2}")).StatusCode);

        Assert.Equal(20, answers.Count(a => a == HttpStatusCode.NotFound));
        Assert.Equal(280, answers.Count(a => a == HttpStatusCode.TooManyRequests));
        Assert.Equal(20, (await MachineApi.GetAsync(site.AdminClient(), "/api/machines?state=discovered")).GetArrayLength());
    }

    [Fact]
    public async Task The_directory_keeps_the_discovered_machines_seen_most_recently()
    {
        using var site = new TestSite(c => c["max-pending-machines"] = 5);
        var store = new MachineStore(site.Database);
        store.Migrate();
        await using var machines = new MachineDirectory(store, maxDiscovered: 5);
        var start = new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);

        for (var i = 1; i <= 8; i++)
            await machines.AskedAsync($"52:54:00:00:00:{i:x2}", new Facts(), "192.0.2.1", start.AddMinutes(i));
        await machines.FlushAsync();   // new machines from polls are written, and the bound applied, at each flush

        Assert.Equal(["52:54:00:00:00:08", "52:54:00:00:00:07", "52:54:00:00:00:06", "52:54:00:00:00:05", "52:54:00:00:00:04"],
            machines.List(MachineState.Discovered).Select(m => m.Mac));
        Assert.Equal(5, (await store.AllAsync()).Count);
    }

    [Fact]
    public async Task A_stranger_asking_for_a_discovered_mac_does_not_erase_where_it_first_came_from()
    {
        using var site = new TestSite();
        var store = new MachineStore(site.Database);
        store.Migrate();
        var now = DateTimeOffset.UtcNow;
        await using (var machines = new MachineDirectory(store, maxDiscovered: 100))
        {
            await machines.AskedAsync("52:54:00:00:00:09", new Facts(), "192.0.2.7", now);
            await machines.AskedAsync("52:54:00:00:00:09", new Facts(), "203.0.113.66", now.AddSeconds(1));
        }

        var machine = Assert.Single(await store.AllAsync());
        Assert.Equal(("192.0.2.7", "203.0.113.66", 2L), (machine.FirstAddress, machine.LastAddress, machine.Asks));
    }
}
