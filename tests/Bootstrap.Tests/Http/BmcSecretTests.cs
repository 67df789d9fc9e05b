using System.Net.Http.Json;
using Bootstrap.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bootstrap.Tests.Http;

/// <summary>
/// A BMC password goes in once and never comes out: not in an answer, a log line, a metric, a
/// page, nor on the command line of the ipmitool runs that use it (read from /proc while one runs).
/// </summary>
public sealed class BmcSecretTests : IDisposable
{
    private const string Mac = "52:54:00:bb:03:01", DeadMac = "52:54:00:bb:03:02", DeadPassword = "dead-Pa55word";
    private readonly TestSite _site = new();
    private readonly CapturedLogs _logs = new();
    private readonly WebApplicationFactory<Program> _factory;
    private readonly IpmiSimulator _bmc = IpmiSimulator.Start();

    public BmcSecretTests() => _factory = _site.Factory.WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(_logs)));

    public void Dispose()
    {
        _bmc.Dispose();
        _factory.Dispose();
        _site.Dispose();
    }

    private HttpClient Admin()
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestSite.Token);
        return client;
    }

    [Fact]
    public async Task The_password_is_in_no_answer_log_line_metric_page_or_ipmitool_command_line()
    {
        var admin = Admin();
        var deadPort = UnusedUdpPort();
        var seen = new List<string>();
        async Task Keep(Task<HttpResponseMessage> call) => seen.Add(await (await call).Content.ReadAsStringAsync());
        await Keep(admin.PutAsJsonAsync($"/api/machines/{Mac}", new { network = "prod", farmer = "1" }));
        await Keep(admin.PutAsJsonAsync($"/api/machines/{Mac}/bmc", new { address = "127.0.0.1", port = _bmc.Port, username = IpmiSimulator.User, password = IpmiSimulator.Password }));
        // Nothing listens on the dead BMC's port: its ipmitool keeps retrying long enough to be read from /proc.
        await Keep(admin.PutAsJsonAsync($"/api/machines/{DeadMac}/bmc", new { address = "127.0.0.1", port = deadPort, username = "admin", password = DeadPassword }));
        await Keep(admin.GetAsync($"/api/machines/{Mac}/bmc"));
        await Keep(admin.GetAsync($"/api/machines/{Mac}/power"));
        await Keep(admin.PutAsJsonAsync($"/api/machines/{Mac}/boot-device", new { device = "network" }));
        await Keep(admin.PostAsJsonAsync("/api/machines/provision", new { machines = new[] { new { mac = Mac } } }));

        using var stop = new CancellationTokenSource();
        var dead = admin.GetAsync($"/api/machines/{DeadMac}/power", stop.Token);
        var commandLines = await IpmitoolCommandLinesAsync($"-p {deadPort} ", TimeSpan.FromSeconds(10));
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dead);

        await Keep(admin.GetAsync($"/api/machines/{Mac}/events"));
        await Keep(admin.GetAsync("/metrics"));
        var pages = _factory.CreateClient();
        await PageSignIn.PostAsync(pages, "/machines");
        await Keep(pages.GetAsync("/machines"));

        Assert.Contains(commandLines, line => line.Contains($"-H 127.0.0.1 -p {deadPort} -U admin -E"));
        Assert.Contains("provisioned", string.Join("\n", seen));
        foreach (var secret in new[] { IpmiSimulator.Password, DeadPassword })
        {
            Assert.DoesNotContain(seen, s => s.Contains(secret));
            Assert.DoesNotContain(_logs.All(), s => s.Contains(secret));
            Assert.DoesNotContain(commandLines, s => s.Contains(secret));
        }
    }

    private static int UnusedUdpPort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>The command lines of every ipmitool process seen running until one contained <paramref name="awaited"/> (bounded).</summary>
    private static async Task<List<string>> IpmitoolCommandLinesAsync(string awaited, TimeSpan within)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var lines = new List<string>();
        while (clock.Elapsed < within)
        {
            foreach (var folder in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
            {
                try
                {
                    var line = File.ReadAllText(Path.Combine(folder, "cmdline")).Replace('\0', ' ').Trim();
                    if (line.StartsWith("ipmitool ", StringComparison.Ordinal))
                        lines.Add(line);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // the process ended meanwhile
                }
            }
            if (lines.Any(line => line.Contains(awaited)))
                return lines;
            await Task.Delay(20);
        }
        throw new Xunit.Sdk.XunitException($"no ipmitool process with '{awaited}' was seen within {within.TotalSeconds} s; seen: {string.Join("\n", lines.Distinct())}");
    }
}
