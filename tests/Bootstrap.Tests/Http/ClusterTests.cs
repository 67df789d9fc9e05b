using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using System.Net.Http.Json;
using System.Text.Json;
using Bootstrap.Tests.Support;
using Bootstrap.Builder.Processes;
using CliWrap;

namespace Bootstrap.Tests.Http;

/// <summary>
/// setup/cluster.sh on a test site: a single-instance site (SQLite, kernels folder) with a machine,
/// an image and a user is moved into PostgreSQL (<c>migrate</c>), then three instances and haproxy
/// run on it, each on a free port, all in a temporary folder; stopped by the same script.
/// </summary>
public sealed class ClusterSite : IDisposable
{
    public TestSite Site { get; } = new();
    public string Folder { get; } = Directory.CreateTempSubdirectory("bootstrap-cluster-").FullName;
    public int FrontPort { get; } = Tool.FreePort();
    public int FirstPort { get; }
    public string Token { get; }
    public string UpReport { get; }
    public string MigrateReport { get; }
    public byte[] SiteKernel { get; }
    public byte[] SiteImageFile { get; } = Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 7 % 251)).ToArray();

    public ClusterSite()
    {
        FirstPort = FreeRange(3);
        // PostgreSQL runs as Debian's postgres user when the tests run as root: it must reach its folder.
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Folder, (UnixFileMode)0b111_101_101);
        try
        {
            (SiteKernel, MigrateReport, UpReport) = Start();
        }
        catch
        {
            Dispose();   // a start that failed half-way stops what it started (xunit disposes no fixture it could not make)
            throw;
        }
        Token = File.ReadAllText(Path.Combine(Folder, "api-token")).Trim();
    }

    private (byte[] Kernel, string Migrated, string Up) Start()
    {
        Site.AddProdKernel();
        var kernel = Site.KernelBytes("zos.efi")!;
        // What the single-instance site holds besides: rows in its SQLite file, an image file in its folder.
        var admin = Site.AdminClient();
        MachineApi.AssignAsync(admin, "52:54:00:16:05:01", new { network = "prod", farmer = "1605" }).GetAwaiter().GetResult();
        admin.PutAsJsonAsync("/api/images/moved", new { type = "iso", iso = "moved.iso" }).GetAwaiter().GetResult().EnsureSuccessStatusCode();
        admin.PutAsync("/api/images/moved/moved.iso", new ByteArrayContent(SiteImageFile)).GetAwaiter().GetResult().EnsureSuccessStatusCode();
        admin.PostAsync("/api/images/moved/promote", null).GetAwaiter().GetResult().EnsureSuccessStatusCode();
        admin.PutAsJsonAsync("/api/users/alice", new { password = "correct horse" }).GetAwaiter().GetResult().EnsureSuccessStatusCode();
        Site.Restart();   // the in-memory service stops; its files stay
        var migrated = Script("migrate", Site.ConfigFile);
        return (kernel, migrated, Script("up", "3"));
    }

    private Dictionary<string, string?> Environment => new()
    {
        ["CLUSTER_DIR"] = Folder,
        ["CLUSTER_CONFIG"] = Site.ConfigFile,
        ["CLUSTER_PORT"] = FrontPort.ToString(),
        ["CLUSTER_FIRST_PORT"] = FirstPort.ToString(),
        ["CLUSTER_DLL"] = Path.Combine(AppContext.BaseDirectory, "Bootstrap.Api.dll"),
        // The load test saturates both cores: QEMU guests of other tests running meanwhile come first.
        ["CLUSTER_NICE"] = "10",
    };

    public string Script(params string[] args)
    {
        var result = Cli.Wrap("bash").WithArguments([Path.Combine(RepoRoot.Path, "setup", "cluster.sh"), .. args])
            .WithEnvironmentVariables(Environment).RunAsync(TimeSpan.FromMinutes(5), validateExitCode: false).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0 || args[0] == "status", $"cluster.sh {string.Join(' ', args)} exited {result.ExitCode}:\n{result.StandardOutput}\n{result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>The first of <paramref name="count"/> consecutive free ports.</summary>
    private static int FreeRange(int count)
    {
        for (var start = 20000 + System.Environment.ProcessId % 20000; ; start += count)
            if (Enumerable.Range(start, count).All(IsFree))
                return start;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public HttpClient Client(int port, bool admin = false)
    {
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Host = "bootstrap.test";   // scripts name the host asked for: the same through every door
        if (admin)
            client.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return client;
    }

    public void Dispose()
    {
        Script("down");
        Directory.Delete(Folder, recursive: true);
        Site.Dispose();
    }
}

/// <summary>Three instances on one database behind haproxy (setup/cluster.sh): any instance answers what another was told.</summary>
public sealed class ClusterTests(ClusterSite cluster) : IClassFixture<ClusterSite>
{
    private int Instance(int i) => cluster.FirstPort + i;

    [Fact]
    public void Status_lists_postgres_three_healthy_instances_and_haproxy()
    {
        var lines = cluster.Script("status").Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.StartsWith("postgres   running  127.0.0.1:", lines[0]);
        for (var i = 0; i < 3; i++)
            Assert.Matches($@"^instance-{i + 1} running  127\.0\.0\.1:{Instance(i)} pid \d+ healthz 200$", lines[1 + i]);
        Assert.Matches($@"^haproxy    running  127\.0\.0\.1:{cluster.FrontPort} pid \d+$", lines[4]);
    }

    [Fact]
    public async Task A_page_session_made_on_a_holds_on_b_and_c_and_a_sign_out_on_c_ends_it_on_a()
    {
        var jar = new System.Net.CookieContainer();   // one browser: cookies of 127.0.0.1 go to every port
        HttpClient Browser(int port) => new(new HttpClientHandler { CookieContainer = jar, AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        async Task<HttpStatusCode> CatalogueWith(string cookie, int port)
        {
            using var copier = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            using var request = new HttpRequestMessage(HttpMethod.Get, "/catalogue");
            request.Headers.Add("Cookie", cookie);
            return (await copier.SendAsync(request)).StatusCode;
        }

        var signIn = await PageSignIn.PostAsync(Browser(Instance(0)), "/catalogue", cluster.Token);
        var copied = jar.GetCookieHeader(new Uri("http://127.0.0.1/"));
        var onEach = await Task.WhenAll(new[] { Instance(0), Instance(1), Instance(2), cluster.FrontPort }.Select(port => CatalogueWith(copied, port)));
        var form = PageSignIn.FormToken(await Browser(Instance(2)).GetStringAsync("/catalogue"));
        var signOut = await Browser(Instance(2)).PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__af"] = form }));

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], onEach);
        Assert.Equal((HttpStatusCode.Redirect, "/machines"), (signOut.StatusCode, signOut.Headers.Location?.OriginalString));
        Assert.Equal([HttpStatusCode.Redirect, HttpStatusCode.Redirect, HttpStatusCode.Redirect], await Task.WhenAll(new[] { Instance(2), Instance(1), Instance(0) }.Select(port => CatalogueWith(copied, port))));
    }

    [Fact]
    public async Task A_machine_assigned_through_b_boots_from_c_and_through_haproxy()
    {
        await MachineApi.AssignAsync(cluster.Client(Instance(1), admin: true), "52:54:00:00:16:31", new { network = "prod", farmer = "1631" });

        var fromC = await AnswerWithin(Instance(2), "/provision/52-54-00-00-16-31", "farmer_id=1631 ", Propagation);   // C hears of it by NOTIFY
        var throughHaproxy = await cluster.Client(cluster.FrontPort).GetStringAsync("/provision/52-54-00-00-16-31");

        Assert.Contains("runmode=prod panic=7200 farmer_id=1631 bootstrap_url=", fromC);
        Assert.Equal(fromC, throughHaproxy);
    }

    [Fact]
    public async Task With_postgres_stopped_for_10_s_scripts_and_served_files_still_flow_writes_answer_503_and_all_resumes_after()
    {
        var pids = Enumerable.Range(1, 3).Select(i => File.ReadAllText(Path.Combine(cluster.Folder, $"instance-{i}", "pid")).Trim()).ToList();
        var before = await HoldingsAsync(Instance(0));
        foreach (var i in new[] { 0, 1, 2 })   // each instance has served the catalogue file once, so its copy is on its disk
            Assert.Equal(cluster.SiteImageFile, await cluster.Client(Instance(i)).GetByteArrayAsync("/images/moved/moved.iso"));
        var postgres = Path.Combine(RepoRoot.Path, "setup", "postgres.sh");
        Tool.Ok("bash", postgres, "down", Path.Combine(cluster.Folder, "postgres"));
        var outage = Stopwatch.StartNew();
        try
        {
            // Asked again and again for the issue's 10 s outage: every answer the same, no instance gone.
            for (var i = 0; outage.Elapsed < TimeSpan.FromSeconds(10); i = (i + 1) % 3, await Task.Delay(200))
            {
                using var script = await cluster.Client(Instance(i)).GetAsync("/ipxe/prod/1632");
                using var image = await cluster.Client(Instance(i)).GetAsync("/images/moved/moved.iso");
                using var health = await cluster.Client(Instance(i)).GetAsync("/healthz");
                using var write = await cluster.Client(Instance(i), admin: true).PutAsync("/api/machines/52:54:00:00:16:32",
                    JsonContent.Create(new { network = "prod", farmer = "1632" }));
                Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable),
                    (script.StatusCode, image.StatusCode, health.StatusCode, write.StatusCode));
                Assert.Equal(cluster.SiteImageFile, await image.Content.ReadAsByteArrayAsync());
                Assert.Equal("5", write.Headers.GetValues("Retry-After").Single());
                Assert.Equal("the provisioning database is unavailable (PostgreSQL did not answer); retry shortly\n", await write.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            Tool.Ok("bash", postgres, "up", Path.Combine(cluster.Folder, "postgres"));
        }

        await MachineApi.AssignAsync(cluster.Client(Instance(0), admin: true), "52:54:00:00:16:32", new { network = "prod", farmer = "1632" });
        // C's listening connection comes back within its 1 s retry, then C reloads what it may have missed.
        Assert.Contains("farmer_id=1632 ", await AnswerWithin(Instance(2), "/provision/52-54-00-00-16-32", "farmer_id=1632 ", TimeSpan.FromSeconds(3)));
        Assert.Equal(pids, Enumerable.Range(1, 3).Select(i => File.ReadAllText(Path.Combine(cluster.Folder, $"instance-{i}", "pid")).Trim()));
        Assert.Contains("healthz 200", cluster.Script("status"));
        foreach (var i in new[] { 0, 1, 2 })   // nothing lost: every row and file held before, on every instance (the new machine aside)
            Assert.Equal(before, await HoldingsAsync(Instance(i), except: "52:54:00:00:16:32"));
    }

    /// <summary>
    /// What the cluster holds, as one instance answers it: every machine's MAC, every kernel (name,
    /// size, date, runmodes) with the sha256 of the bytes it serves, every catalogue image with its files' hashes.
    /// </summary>
    private async Task<string> HoldingsAsync(int port, string? except = null)
    {
        var admin = cluster.Client(port, admin: true);
        var macs = JsonDocument.Parse(await admin.GetStringAsync("/api/machines")).RootElement.EnumerateArray()
            .Select(m => m.GetProperty("mac").GetString()).Where(m => m != except).Order(StringComparer.Ordinal);
        var kernelList = await admin.GetStringAsync("/images");
        var kernels = JsonDocument.Parse(kernelList).RootElement.EnumerateArray()
            .Select(k => k.GetProperty("name").GetString()!).Order(StringComparer.Ordinal).ToList();
        var hashes = new List<string>();
        foreach (var kernel in kernels)
            hashes.Add(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await admin.GetByteArrayAsync($"/kernel/{kernel}"))));
        return $"machines {string.Join(",", macs)}\nkernels {kernelList}\nbytes {string.Join(",", hashes)}\nimages {await admin.GetStringAsync("/api/images")}";
    }

    /// <summary>What <paramref name="path"/> answers once it contains <paramref name="wanted"/>, asking until <paramref name="within"/> has passed.</summary>
    /// <summary>
    /// How long a change may take to reach another instance here. bench/cluster.sh measures the
    /// latency itself under load (100 switches: p50 26 ms, p99 234 ms, max 234 ms on 2 cores); these
    /// instances run at nice 10 beside QEMU guests of other tests that take both cores, so a test
    /// can promise that the change arrives, not how fast: a CI run once saw more than 1 s.
    /// </summary>
    private static readonly TimeSpan Propagation = TimeSpan.FromSeconds(5);

    private async Task<string> AnswerWithin(int port, string path, string wanted, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var answer = "";
        while (!answer.Contains(wanted) && clock.Elapsed < within)
            answer = await (await cluster.Client(port).GetAsync(path)).Content.ReadAsStringAsync();
        return answer;
    }

    /// <summary>wrk's totals: requests, and those that failed (non-2xx answers and socket errors).</summary>
    private static (long Requests, long Failed, string Report) Wrk(int port, int seconds)
    {
        var report = Tool.Ok("nice", "-n", "19", "wrk", "-t2", "-c16", $"-d{seconds}s", "-H", "Host: bootstrap.test", $"http://127.0.0.1:{port}/ipxe/prod/1633");
        var requests = long.Parse(Regex.Match(report, @"(\d+) requests in").Groups[1].Value);
        var non2xx = Regex.Match(report, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } n ? long.Parse(n.Groups[1].Value) : 0;
        var errors = Regex.Match(report, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)") is { Success: true } e
            ? Enumerable.Range(1, 4).Sum(i => long.Parse(e.Groups[i].Value)) : 0;
        return (requests, non2xx + errors, report);
    }

    [Fact]
    public async Task Killing_an_instance_under_load_fails_under_one_percent_none_two_seconds_later_and_it_serves_again_after_up()
    {
        var victim = Path.Combine(cluster.Folder, "instance-1", "pid");
        var load = Task.Run(() => Wrk(cluster.FrontPort, seconds: 6));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Process.GetProcessById(int.Parse(File.ReadAllText(victim).Trim())).Kill();   // SIGKILL
        var during = await load;
        var after = Wrk(cluster.FrontPort, seconds: 3);   // begins 4 s after the kill

        var before = await HoldingsAsync(Instance(1));
        cluster.Script("up", "3");
        using var revived = await cluster.Client(Instance(0)).GetAsync("/ipxe/prod/1633");
        var revivedHolds = await HoldingsAsync(Instance(0));

        Assert.True(during.Requests > 1000, during.Report);
        Assert.True(during.Failed * 100 < during.Requests, $"{during.Failed} of {during.Requests} failed:\n{during.Report}");
        Assert.True(after.Failed == 0, after.Report);
        Assert.Equal(HttpStatusCode.OK, revived.StatusCode);
        Assert.Equal(before, revivedHolds);   // nothing lost: the restarted instance holds what the others do
        Assert.Matches(@"instance-1 running  .* healthz 200", cluster.Script("status"));
    }

    [Fact]
    public async Task A_site_moved_by_migrate_is_served_whole_by_every_instance()
    {
        Assert.Contains("machines: 1 rows", cluster.MigrateReport);
        Assert.Contains("kernels: 1 files, 1 runmode links", cluster.MigrateReport);
        Assert.Contains("images: 1 files", cluster.MigrateReport);
        Assert.Contains($"checked: every table's row count and every file's sha256 match", cluster.MigrateReport);
        for (var i = 0; i < 3; i++)
        {
            var client = cluster.Client(Instance(i));
            Assert.Equal(cluster.SiteKernel, await client.GetByteArrayAsync("/kernel/net/prod.efi"));
            Assert.Contains("runmode=prod panic=7200 farmer_id=1605 ", await client.GetStringAsync("/provision/52-54-00-16-05-01"));
            Assert.Equal(cluster.SiteImageFile, await client.GetByteArrayAsync("/images/moved/moved.iso"));
            Assert.Contains("\"name\":\"alice\"", await cluster.Client(Instance(i), admin: true).GetStringAsync("/api/users"));
        }
    }

    /// <summary>
    /// The kernel goes into PostgreSQL through A; once C has heard of it, eight requests at once
    /// make C copy it from the database once (C has never served it). Every instance gives the same bytes and ETag.
    /// </summary>
    [Fact]
    public async Task A_kernel_uploaded_through_a_is_fetched_once_by_a_cold_c_and_switched_to_through_c_is_what_a_serves_next()
    {
        var kernel = new byte[1_000_000];
        new Random(1634).NextBytes(kernel);
        var file = new ByteArrayContent(kernel);
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        var fetchesBefore = await FetchesAsync(Instance(2));

        using var upload = await cluster.Client(Instance(0), admin: true).PostAsync("/api/kernel", new MultipartFormDataContent { { file, "kernel", "cluster-1634.efi" } });
        // B and C hear of the upload by NOTIFY, a little later than A answers it (a fresh-clone run
        // once asked C first); their kernel lists name it without copying the file.
        foreach (var other in new[] { Instance(1), Instance(2) })
            await AnswerWithin(other, "/images", "\"name\":\"cluster-1634.efi\"", Propagation);
        var atOnce = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => cluster.Client(Instance(2)).GetAsync("/kernel/cluster-1634.efi")));
        var fetchesAfter = await FetchesAsync(Instance(2));
        var etags = new List<string>();
        foreach (var i in new[] { 0, 1, 2 })
        {
            using var response = await cluster.Client(Instance(i)).GetAsync("/kernel/cluster-1634.efi");
            Assert.Equal(kernel, await response.Content.ReadAsByteArrayAsync());
            etags.Add(response.Headers.ETag!.Tag);
        }
        using var switched = await cluster.Client(Instance(2), admin: true).PostAsync("/api/symlink/test.efi/cluster-1634.efi", null);
        var clock = Stopwatch.StartNew();
        string? etagFromA = null;
        while (etagFromA != etags[0] && clock.Elapsed < Propagation)   // HEAD: the loop takes little CPU from the instances it waits for
            etagFromA = (await cluster.Client(Instance(0)).SendAsync(new HttpRequestMessage(HttpMethod.Head, "/kernel/net/test.efi"))).Headers.ETag?.Tag;
        var fromA = await cluster.Client(Instance(0)).GetByteArrayAsync("/kernel/net/test.efi");

        Assert.Equal((HttpStatusCode.Created, true), (upload.StatusCode, switched.IsSuccessStatusCode));
        foreach (var response in atOnce)
            Assert.Equal(kernel, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(fetchesBefore + 1, fetchesAfter);
        Assert.Equal($"\"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(kernel))[..32]}\"", etags.Distinct().Single());
        Assert.Equal(kernel, fromA);
    }

    /// <summary>bootstrap_shared_file_fetches_total of one instance.</summary>
    private async Task<long> FetchesAsync(int port)
    {
        var metrics = await cluster.Client(port).GetStringAsync("/metrics");
        var line = Regex.Match(metrics, @"^bootstrap_shared_file_fetches_total(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline);
        Assert.True(line.Success, metrics);
        return long.Parse(line.Groups[1].Value);
    }

    [Fact]
    public async Task Every_instance_says_it_runs_on_the_shared_postgres()
    {
        for (var i = 0; i < 3; i++)
        {
            var checks = JsonDocument.Parse(await cluster.Client(Instance(i), admin: true).GetStringAsync("/healthz")).RootElement.GetProperty("checks");
            Assert.Equal("ok", checks.GetProperty("database").GetString());
            Assert.StartsWith("postgres 127.0.0.1:", checks.GetProperty("storage").GetString());
            Assert.StartsWith("shared in postgres 127.0.0.1:", checks.GetProperty("kernel-store").GetString());
        }
    }
}

/// <summary>
/// setup/cluster.sh as root with the repository where Debian's postgres user cannot go (a clone in
/// /root, mode 700): PostgreSQL's data goes where that user can reach it, and status, down and a
/// second up find it there.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ClusterTestsInAClosedFolder
{
    [Fact]
    public async Task PostgreSQL_keeps_its_data_under_var_lib_and_every_command_finds_it()
    {
        var closed = Directory.CreateTempSubdirectory("bootstrap-closed-").FullName;
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var cluster = Path.Combine(closed, "repo", ".cluster");
        var environment = new Dictionary<string, string?>
        {
            ["CLUSTER_DIR"] = cluster, ["CLUSTER_PORT"] = Tool.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CLUSTER_FIRST_PORT"] = Tool.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CLUSTER_DLL"] = Path.Combine(AppContext.BaseDirectory, "Bootstrap.Api.dll"), ["CLUSTER_NICE"] = "10",
        };
        async Task<BufferedCommandResult> Script(params string[] args) =>
            await Cli.Wrap("bash").WithArguments([Path.Combine(RepoRoot.Path, "setup", "cluster.sh"), .. args]).WithEnvironmentVariables(environment)
                .RunAsync(TimeSpan.FromMinutes(5), validateExitCode: false);
        string? data = null;
        try
        {
            var up = await Script("up", "1");
            data = File.ReadAllText(Path.Combine(cluster, "postgres.dir")).Trim();
            var down = await Script("down");
            var again = await Script("up", "1");
            var stopped = await Script("down");

            Assert.True(up.ExitCode == 0, up.StandardOutput + up.StandardError);
            Assert.Matches(@"^/var/lib/bootstrap-cluster/[0-9a-f]{12}/postgres$", data);
            Assert.Matches($@"^postgres   running  127\.0\.0\.1:\d+ \({Regex.Escape(data)}\)$", up.StandardOutput.Split('\n')[0]);
            Assert.Equal($"cluster: stopped (data kept in {cluster} and {data})\n", down.StandardOutput);
            Assert.True(again.ExitCode == 0, again.StandardOutput + again.StandardError);
            Assert.Equal(0, stopped.ExitCode);
        }
        finally
        {
            await Script("down");
            if (data != null)
                Directory.Delete(Path.GetDirectoryName(data)!, recursive: true);
            Directory.Delete(closed, recursive: true);
        }
    }
}
