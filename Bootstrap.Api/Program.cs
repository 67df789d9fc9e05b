using Bootstrap.Api;
using Bootstrap.Api.Features.Accounts;
using Bootstrap.Api.Features.Bmc;
using Bootstrap.Api.Features.Boot;
using Bootstrap.Api.Features.Catalogue;
using Bootstrap.Api.Features.Images;
using Bootstrap.Api.Features.Kernels;
using Bootstrap.Api.Features.Machines;
using Bootstrap.Api.Features.Site;
using Bootstrap.Api.Observability;

if (BootstrapCli.Handles(args))
    return await BootstrapCli.RunAsync(args, Console.Out, Console.Error);

var builder = WebApplication.CreateBuilder(args);
// Defaults under every other source (command line, environment): ASP.NET's own two lines per
// request repeat what our request log says, at three times the cost. Data Protection warns that
// the session keys are stored unencrypted: they are kept in the site's database on purpose, which
// already holds the site's secrets (docs/production.md).
builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource
{
    InitialData = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
    },
});
BootstrapConfig config;
try
{
    config = ConfigLoader.Load(ConfigLoader.Locate(builder.Configuration["config"]));
}
catch (ConfigException e)
{
    await Console.Error.WriteLineAsync($"bootstrap: cannot start: {e.Message}");
    return 1;
}

// --urls (or ASPNETCORE_URLS) wins; otherwise every interface on the configured port (and the HTTPS one).
if (string.IsNullOrEmpty(builder.Configuration["urls"]))
    builder.WebHost.UseUrls(config.HttpsPort > 0
        ? [$"http://0.0.0.0:{config.HttpPort}", $"https://0.0.0.0:{config.HttpsPort}"]
        : [$"http://0.0.0.0:{config.HttpPort}"]);
BatchedRequestLog.AddTo(builder.Logging);
builder.Services.AddBootstrap(config);
builder.Services.AddTrustedProxies(config);
builder.Services.AddAdminSession();
builder.Services.AddRazorComponents();   // pages are Razor components rendered from the endpoints (RazorComponentResult)
builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
{
    document.Info = new() { Title = "Bootstrap", Version = "v1", Description = "Network boot scripts, images and kernels for bare-metal farms" };
    return Task.CompletedTask;
}));
// A rack powered on at once opens its connections together: past Kestrel's default backlog of 512
// the kernel drops their SYNs and each waits a second to retry.
builder.WebHost.UseSockets(sockets => sockets.Backlog = 4096);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    // Boot scripts and images need short URLs; anything far longer is not a farmer's request.
    kestrel.Limits.MaxRequestLineSize = 8 * 1024;
    kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
    kestrel.Limits.MaxRequestHeaderCount = 64;
    kestrel.Limits.MaxRequestBodySize = 64 * 1024;   // the kernel upload raises its own limit to max-upload-bytes
    ConnectionLimits.Apply(kestrel, config);
    if (config.TlsServerCertificate is { } certificate)
        kestrel.ConfigureHttpsDefaults(https =>
        {
            https.ServerCertificate = certificate;
            https.ServerCertificateChain = config.TlsCertificateChain;
        });
});
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(config.ShutdownTimeoutSeconds));

var app = builder.Build();
app.Services.StartBootstrap();
app.UseTrustedProxies(config);
app.UseRequestLog();
app.UseSecurityHeaders();
app.UseUnavailableAnswers();
// One line a feature family: Features/<Feature>/ holds its endpoints, its page and its CLI verbs.
app.MapScripts();
app.MapImages();
app.MapGenerator();
app.MapKernels();
app.MapKernelAdmin();
app.MapKernelPages();
app.MapProvisioning();
app.MapMachines();
app.MapMachinePages();
app.MapBmcPages();
app.MapBmc();
app.MapDiscovery();
app.MapCatalogue();
app.MapCataloguePages();
app.MapAccounts();
app.MapAccountPages();
app.MapSignIn();
app.MapHealth();
app.MapMetrics();
app.MapOpenApi();
app.Run();
return 0;

/// <summary>Entry point, public so the HTTP tests can host it (WebApplicationFactory).</summary>
public partial class Program;
