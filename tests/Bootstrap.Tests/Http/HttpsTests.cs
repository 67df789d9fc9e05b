using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Bootstrap.Builder.Configuration;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// The service's own HTTPS listener (https-port, tls-certificate, tls-key) with a certificate from
/// setup/test-ca.sh: it serves over TLS a client verifies against that CA, and every script points
/// kernels at https://host:https-port, whichever listener the request came to.
/// </summary>
public sealed class HttpsTests : IDisposable
{
    private readonly TestSite _site;
    private readonly string _tls;
    private readonly int _httpsPort = Tool.FreePort();

    public HttpsTests()
    {
        _tls = Directory.CreateTempSubdirectory("bootstrap-tls-").FullName;
        Tool.Ok(Path.Combine(RepoRoot.Path, "setup", "test-ca.sh"), "127.0.0.1", "--out", _tls);
        _site = new TestSite(c =>
        {
            c["https-port"] = _httpsPort;
            c["tls-certificate"] = Path.Combine(_tls, "server.pem");
            c["tls-key"] = Path.Combine(_tls, "server.key");
        });
        _site.AddProdKernel();
    }

    public void Dispose()
    {
        _site.Dispose();
        Directory.Delete(_tls, recursive: true);
    }

    /// <summary>A client that trusts only the test CA (as iPXE built with --trust ca.pem does).</summary>
    private HttpClient TrustingClient()
    {
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(_tls, "ca.pem")));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate != null && chain.Build(certificate);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{_httpsPort}") };
    }

    [Fact]
    public async Task Scripts_served_over_either_listener_point_kernels_at_the_https_port()
    {
        using var service = new LiveService(_site.ConfigFile, $"https://127.0.0.1:{_httpsPort}");
        using var https = TrustingClient();

        var overTls = await https.GetStringAsync("/ipxe/prod/1234");
        var overHttp = await service.Client().GetStringAsync("/ipxe/prod/1234");
        var kernel = await https.GetByteArrayAsync("/kernel/net/prod.efi");

        var fetch = $"imgfetch --name kernel https://127.0.0.1:{_httpsPort}/kernel/net/prod.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=1234 && goto boot ||\n";
        Assert.Contains(fetch, Scripts.AsSeenBy(overTls));
        Assert.Contains(fetch, Scripts.AsSeenBy(overHttp));
        Assert.Equal(_site.KernelBytes("zos.efi"), kernel);
        // GRUB has no TLS: its grub.cfg takes the service's own http-port (5555 by default) on the same host.
        Assert.Contains("linux (http,127.0.0.1:5555)/kernel/net/prod.efi ", await https.GetStringAsync("/grub/prod/1234"));
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_ca_gets_no_answer()
    {
        using var service = new LiveService(_site.ConfigFile, $"https://127.0.0.1:{_httpsPort}");
        using var stranger = new HttpClient { BaseAddress = new Uri($"https://127.0.0.1:{_httpsPort}") };

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => stranger.GetStringAsync("/ipxe/prod/1234"));

        Assert.IsType<System.Security.Authentication.AuthenticationException>(refused.InnerException);
    }

    [Fact]
    public void Https_without_its_key_stops_the_service_naming_the_key()
    {
        var config = File.ReadAllText(_site.ConfigFile).Replace($"\"{Path.Combine(_tls, "server.key")}\"", "\"\"");
        File.WriteAllText(_site.ConfigFile, config);

        var problem = Assert.Throws<ConfigException>(() => ConfigLoader.Load(_site.ConfigFile));

        Assert.Equal("config key 'tls-key': https-port needs tls-certificate and tls-key (PEM files; setup/test-ca.sh makes a test pair)", problem.Message);
    }
}
