using Bootstrap.Api.Features.Accounts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Api.Observability;
using Bootstrap.Builder.Images.Caching;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Storage.Files;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Observability;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Images;
using Bootstrap.Builder.Images.Templates;

namespace Bootstrap.Api;

/// <summary>Wires the Builder's pieces into the service container.</summary>
public static class Services
{
    public static IServiceCollection AddBootstrap(this IServiceCollection services, BootstrapConfig config)
    {
        services.AddSingleton(config);
        services.TryAddSingleton(TimeProvider.System);   // tests put a fake clock here first
        services.AddSingleton(new BootScripts(config));
        var database = BootstrapDatabase.From(config);
        services.AddSingleton(_ => database);   // a factory, so the container disposes it (PostgreSQL's pool)
        var sharedFiles = SharedFiles.For(config, database);
        // Made by the container, so disposed with it; after the migrations (its tables are read at once).
        services.AddSingleton(sp => KernelStore.For(config, sp.GetRequiredService<BootstrapDatabase>(), sharedFiles, Warnings(sp, "Bootstrap.Kernels")));
        if (sharedFiles != null)
            services.AddSingleton(_ => sharedFiles);   // a factory, so the container disposes it (its LISTEN)
        services.AddSingleton(new MachineStore(database));
        services.AddSingleton(new Bootstrap.Builder.Bmc.BmcStore(database));
        services.AddSingleton<Bootstrap.Builder.Bmc.ISecretSealer, Features.Bmc.SiteSecretSealer>();
        services.AddSingleton(sp => new Bootstrap.Builder.Bmc.BmcOperations(sp.GetRequiredService<Bootstrap.Builder.Bmc.BmcStore>(),
            sp.GetRequiredService<Bootstrap.Builder.Bmc.ISecretSealer>(), sp.GetRequiredService<TimeProvider>(),
            Features.Bmc.BmcEndpoints.Protocols(),
            (mac, what) => sp.GetRequiredService<MachineDirectory>().BmcActed(mac, what, sp.GetRequiredService<TimeProvider>().GetUtcNow())));
        services.AddSingleton(sp => new Bootstrap.Builder.Bmc.BmcProvisioning(sp.GetRequiredService<Bootstrap.Builder.Bmc.BmcOperations>(),
            sp.GetRequiredService<MachineDirectory>(), sp.GetRequiredService<TimeProvider>(), config.BmcConcurrency,
            (mac, what) => sp.GetRequiredService<MachineDirectory>().BmcActed(mac, what, sp.GetRequiredService<TimeProvider>().GetUtcNow())));
        services.AddSingleton(sp => new TokenHolders(database, Warnings(sp, "Bootstrap.Machines")));
        services.AddSingleton(new Bootstrap.Builder.Catalogue.ImageCatalogue(database, config.ImagePath, sharedFiles));
        services.AddSingleton(new Bootstrap.Builder.Catalogue.MenuStore(database));
        services.AddSingleton(new Bootstrap.Builder.Accounts.AccountStore(database));
        services.AddSingleton<MenuLogin>();
        // Made at start (StartBootstrap), after the migrations: it loads every machine once.
        services.AddSingleton(sp =>
        {
            // The logger is taken now: the last flush runs while the container is being disposed.
            var warn = Warnings(sp, "Bootstrap.Machines");
            _ = sp.GetRequiredService<BootstrapDatabase>();   // made first, so disposed after the directory's last flush
            return new MachineDirectory(sp.GetRequiredService<MachineStore>(), config.MaxPendingMachines, warn, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<BootstrapMetrics>().BootPhase);
        });
        services.AddSingleton(_ => new TemplateStore(config.IpxeTemplate));   // a factory, so the container disposes it (and its helpers)
        services.AddSingleton(sp => new ArtifactCache(
            config.CacheMemoryBytes,
            config.CacheDiskBytes > 0
                ? new DiskTier(config.CachePath, config.CacheDiskBytes, Warnings(sp, "Bootstrap.Cache"), sp.GetRequiredService<TimeProvider>())
                : null,
            config.MaxConcurrentBuilds > 0 ? config.MaxConcurrentBuilds : Environment.ProcessorCount,
            config.BuildQueueLimit));
        if (config.SiteKey is { } siteKey)
            services.AddSingleton(siteKey);   // ImagePipeline signs with it; without it, its default (null) signs nothing
        services.AddSingleton<ImagePipeline>();
        services.AddSingleton<BootstrapMetrics>();
        services.AddSingleton<PrometheusExporter>();
        services.AddSingleton<ClientBudgets>();
        services.AddSingleton(sp =>
        {
            var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap.Connections");
            var metrics = sp.GetRequiredService<BootstrapMetrics>();
            return new StalledReaders(config.MinResponseBytesPerSecond, (client, bytes) =>
            {
                metrics.ConnectionsDropped.Add(1, new KeyValuePair<string, object?>("reason", "stalled"));
                log.LogWarning("dropped a connection from {Client}: it read {Bytes} bytes in {Seconds} s with an answer waiting", client, bytes, StalledReaders.Interval.TotalSeconds);
            });
        });
        services.AddSingleton<Features.Images.ImageEndpoints.ImageDependencies>();
        services.AddSingleton(sp => new Bootstrap.Builder.Pxe.PxeListeners(config, sp.GetRequiredService<MachineDirectory>(),
            new Bootstrap.Builder.Pxe.TemplateTftpFiles(sp.GetRequiredService<TemplateStore>(), config.SiteKey), Warnings(sp, "Bootstrap.Pxe"),
            sp.GetRequiredService<BootstrapMetrics>().BootPhase, sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<Features.Pxe.PxeHost>();
        services.AddSingleton(sp => new Bootstrap.Builder.Bmc.PowerRefresh(sp.GetRequiredService<Bootstrap.Builder.Bmc.BmcOperations>(),
            sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(config.BmcPowerRefreshSeconds), config.BmcConcurrency));
        services.AddHostedService<Features.Bmc.PowerRefreshHost>();
        return services;
    }

    /// <summary>A Builder piece's warnings, logged as warnings of <paramref name="category"/> (the logger is taken now).</summary>
    private static Action<string> Warnings(IServiceProvider services, string category)
    {
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger(category);
        return warning => log.LogWarning("{Warning}", warning);
    }

    /// <summary>Start-up work: the database is migrated before the first request.</summary>
    public static void StartBootstrap(this IServiceProvider services)
    {
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap");
        var config = services.GetRequiredService<BootstrapConfig>();
        services.GetRequiredService<BootstrapDatabase>().Clock = services.GetRequiredService<TimeProvider>();
        foreach (var script in services.GetRequiredService<MachineStore>().Migrate())
            log.LogInformation("database {Db}: migration {Script} applied", services.GetRequiredService<BootstrapDatabase>().Name, script);
        // In the start-up turn: the first instance of a new site makes the session key, the others find it.
        services.GetRequiredService<BootstrapDatabase>().InTurn(() => AdminSession.EnsureSiteKey(services));
        log.LogInformation("machines: {Count} known", services.GetRequiredService<MachineDirectory>().Count);
        log.LogInformation("kernels: {Kernels}", services.GetRequiredService<KernelStore>().Describe);
        services.GetRequiredService<PrometheusExporter>();
        services.GetRequiredService<BootstrapMetrics>().Observe(services.GetRequiredService<ArtifactCache>());
        Features.Pxe.PxeMetrics.Observe(services.GetRequiredService<BootstrapMetrics>(), services.GetRequiredService<Bootstrap.Builder.Pxe.PxeListeners>());
        if (services.GetService<SharedFiles>() is { } sharedFiles)
        {
            services.GetRequiredService<BootstrapMetrics>().Observe(sharedFiles);
            var files = services.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap.Files");
            // After the migrations: it reads the blobs table.
            _ = sharedFiles.Listen(Warnings(services, "Bootstrap.Files"), news => files.LogInformation("{News}", news));
        }
        log.LogInformation("config {File}: networks {Networks}, database {Db}",
            config.SourceFile, string.Join(",", config.Runmodes.Keys), services.GetRequiredService<BootstrapDatabase>().Name);
        log.LogInformation("Secure Boot signing: {Signing}", Bootstrap.Builder.Images.SecureBootStatus.Signing(config.SiteKey));
        try
        {
            var template = services.GetRequiredService<TemplateStore>().Get();
            log.LogInformation("iPXE template: {Kind}, iPXE {Version}, in {Folder}", template.Kind, template.IpxeVersion, config.IpxeTemplate);
            log.LogInformation("Secure Boot images: {Images}", Bootstrap.Builder.Images.SecureBootStatus.Images(template));
        }
        catch (TemplateUnavailableException e)
        {
            log.LogWarning("images are unavailable until the template is fixed: {Problem}", e.Message);
        }
    }
}
