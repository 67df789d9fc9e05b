using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Provisioning;
using Bootstrap.Builder.Scripts;

namespace Bootstrap.Api;

/// <summary>Wires the Builder's pieces into the service container.</summary>
public static class Services
{
    public static IServiceCollection AddBootstrap(this IServiceCollection services, BootstrapConfig config)
    {
        services.AddSingleton(config);
        services.AddSingleton(new BootScripts(config));
        services.AddSingleton(new KernelStore(config.KernelPath, config.KernelNetPath));
        services.AddSingleton(new ProvisionStore(config.BootstrapDb));
        return services;
    }

    /// <summary>Start-up work: the database schema is applied before the first request.</summary>
    public static void StartBootstrap(this IServiceProvider services)
    {
        var log = services.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap");
        var config = services.GetRequiredService<BootstrapConfig>();
        services.GetRequiredService<ProvisionStore>().ApplySchema();
        log.LogInformation("config {File}: networks {Networks}, kernels {Kernels}, database {Db}",
            config.SourceFile, string.Join(",", config.Runmodes.Keys), config.KernelPath, config.BootstrapDb);
    }
}
