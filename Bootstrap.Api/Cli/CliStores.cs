using System.CommandLine;
using System.Text.Json;
using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Storage.Database;

namespace Bootstrap.Api.Cli;

/// <summary>The stores a catalogue verb works on, opened from the config (the database migrated first, as the service does at start).</summary>
public sealed class CliStores : IDisposable
{
    public CliStores(BootstrapConfig config)
    {
        Config = config;
        Database = BootstrapDatabase.From(config);
        var sharedFiles = Builder.Storage.Files.SharedFiles.For(config, Database);
        Database.Migrate();
        Kernels = KernelStore.For(config, Database, sharedFiles);
        Images = new(Database, config.ImagePath, sharedFiles);
        Menus = new(Database);
        Accounts = new(Database);
    }

    public BootstrapConfig Config { get; }
    public KernelStore Kernels { get; }
    /// <summary>One database for every store (on PostgreSQL, one connection pool).</summary>
    public BootstrapDatabase Database { get; }
    public ImageCatalogue Images { get; }
    public MenuStore Menus { get; }
    public AccountStore Accounts { get; }

    /// <summary>Runs one operation and reports it: its message on stdout (0), or its problem on stderr (1).</summary>
    public static async Task<int> Run<T>(ParseResult parse, Func<CliStores, Task<Result<T>>> action)
    {
        if (Verb.LoadConfig(parse) is not { } config)
            return Verb.Refused;
        using var stores = new CliStores(config);
        var result = await action(stores);
        if (!result.Succeeded)
            return Verb.Refuse(parse, result.Message);
        await parse.InvocationConfiguration.Output.WriteLineAsync(result.Message);
        return 0;
    }

    /// <summary>A listing: lines to print, nothing to refuse.</summary>
    public static Result<Done> Lines(IEnumerable<string> lines) => Result.Done(string.Join("\n", lines));

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public void Dispose()
    {
        Kernels.Dispose();
        Database.Dispose();
    }
}
