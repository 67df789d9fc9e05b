using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Bootstrap.Tests.Support;

/// <summary>
/// A throw-away service folder (config.json, kernels/, kernels/net/, db/) and the service hosted on
/// it in memory. Each test class gets its own, so tests never share files.
/// </summary>
public sealed class TestSite : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("bootstrap-test-").FullName;
    public string Kernels => Path.Combine(Root, "kernels");
    public string NetLinks => Path.Combine(Root, "kernels", "net");
    public string ConfigFile => Path.Combine(Root, "config.json");
    public string Database => Path.Combine(Root, "db", "bootstrap.sqlite3");
    public const string Token = "test-token-0123456789";

    private WebApplicationFactory<Program>? _factory;

    public TestSite(Action<Dictionary<string, object>>? configure = null)
    {
        Directory.CreateDirectory(NetLinks);
        Directory.CreateDirectory(Path.Combine(Root, "db"));
        _config = new Dictionary<string, object>
        {
            ["base-host"] = "",
            ["kernel-path"] = "kernels",
            ["kernel-net-path"] = "kernels/net",
            ["bootstrap-db"] = "db/bootstrap.sqlite3",
            ["api-token"] = Token,
            ["ipxe-template"] = "ipxe-template",
            ["cache-path"] = "cache",
            // Budgets high enough that only the tests about them ever meet them.
            ["admin-requests-per-minute"] = 1_000_000,
            ["cold-builds-per-minute"] = 1_000_000,
            ["unknown-machines-per-minute"] = 1_000_000,
            ["runmodes"] = new Dictionary<string, string> { ["prod"] = "Production", ["test"] = "Testnet", ["dev"] = "Devnet", ["qa"] = "QA" },
        };
        configure?.Invoke(_config);
        WriteConfig();
    }

    private readonly Dictionary<string, object> _config;

    private void WriteConfig() =>
        File.WriteAllText(ConfigFile, JsonSerializer.Serialize(_config, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Stops the hosted service; the next request starts it again on the same folder, with <paramref name="reconfigure"/> applied.</summary>
    public void Restart(Action<Dictionary<string, object>>? reconfigure = null)
    {
        _factory?.Dispose();
        _factory = null;
        reconfigure?.Invoke(_config);
        WriteConfig();
    }

    /// <summary>Writes a kernel file and returns its bytes.</summary>
    public byte[] AddKernel(string name, int size = 4096, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(Kernels, name), bytes);
        return bytes;
    }

    /// <summary>A kernel zos.efi that the prod runmode boots: what most route tests need.</summary>
    public void AddProdKernel()
    {
        AddKernel("zos.efi");
        AddLink("prod.efi", "zos.efi");
    }

    /// <summary>Points kernels/net/LINK at TARGET (relative, as the admin API does).</summary>
    public void AddLink(string link, string target) =>
        File.CreateSymbolicLink(Path.Combine(NetLinks, link), target.StartsWith('/') ? target : Path.Combine("..", target));

    public WebApplicationFactory<Program> Factory => _factory ??= new WebApplicationFactory<Program>()
        .WithWebHostBuilder(b => b.UseSetting("config", ConfigFile)
            .ConfigureServices(s => s.AddSingleton<IStartupFilter, LoopbackPeer>()));

    /// <summary>TestServer leaves the peer address empty; Kestrel on loopback would report 127.0.0.1.</summary>
    private sealed class LoopbackPeer : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((http, nextMiddleware) =>
            {
                http.Connection.RemoteIpAddress ??= IPAddress.Loopback;
                return nextMiddleware(http);
            });
            next(app);
        };
    }

    public HttpClient Client(string host = "bootstrap.test")
    {
        var client = Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Host = host;
        return client;
    }

    public HttpClient AdminClient()
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return client;
    }

    public void Dispose()
    {
        _factory?.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a finishing request; the temp folder is cleaned by the OS.
        }
    }
}
