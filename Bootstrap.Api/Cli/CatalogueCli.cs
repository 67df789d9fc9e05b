using System.CommandLine;
using System.Text.Json;
using Bootstrap.Api.Endpoints;
using Bootstrap.Api.Http;
using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Storage.Database;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Kernels;
using Microsoft.Extensions.Logging.Abstractions;

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

    /// <summary>Runs one action and reports it: its message on stdout (0), or its refusal on stderr (1).</summary>
    public static async Task<int> Run(ParseResult parse, Func<CliStores, Task<Outcome>> action)
    {
        if (BootstrapCli.LoadConfig(parse) is not { } config)
            return BootstrapCli.Refused;
        using var stores = new CliStores(config);
        var outcome = await action(stores);
        if (!outcome.Succeeded)
            return BootstrapCli.Refuse(parse, outcome.Message);
        await parse.InvocationConfiguration.Output.WriteLineAsync(outcome.Message);
        return 0;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public void Dispose()
    {
        Kernels.Dispose();
        Database.Dispose();
    }
}

/// <summary>
/// <c>kernels</c>, <c>images</c> and <c>menus</c>: what the kernels and catalogue pages and the
/// API do, on the command line, through the same actions.
/// </summary>
public static class CatalogueCli
{
    private static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    public static Command Kernels()
    {
        var list = new Command("list", "Kernels, newest first, with the runmodes that boot each");
        list.SetAction((parse, _) => CliStores.Run(parse, stores => Task.FromResult(new Outcome(StatusCodes.Status200OK,
            string.Join("\n", stores.Kernels.List().Select(k => $"{k.Name}  {k.Size} bytes  {k.Updated:yyyy-MM-dd HH:mm}  runmodes={string.Join(",", k.Runmodes)}"))))));

        var file = new Option<FileInfo>("--file") { Description = "the kernel file to copy in", Required = true };
        var asName = new Option<string?>("--name") { Description = "the kernel's name (default: the file's name)" };
        var upload = new Command("upload", "Store a kernel (written beside, then renamed into place)") { file, asName };
        upload.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            var source = parse.GetValue(file)!;
            if (!source.Exists)
                return Outcome.Refused(StatusCodes.Status400BadRequest, $"--file: {source.FullName} does not exist");
            await using var content = source.OpenRead();
            return await AdminEndpoints.StoreKernelAsync(stores.Kernels, NullLoggerFactory.Instance, parse.GetValue(asName) ?? source.Name, content, CancellationToken.None);
        }));

        var runmode = Required("--runmode", "the network whose link to switch (prod, test, ...)");
        var kernel = Required("--kernel", "the kernel it boots from now on");
        var link = new Command("link", "Point a runmode at a kernel, atomically") { runmode, kernel };
        link.SetAction((parse, _) => CliStores.Run(parse, stores =>
            !stores.Config.Runmodes.ContainsKey(parse.GetValue(runmode)!)
                ? Task.FromResult(Outcome.Refused(StatusCodes.Status404NotFound, $"--runmode: no network '{parse.GetValue(runmode)}' in config.json"))
                : AdminEndpoints.PointLinkAsync(stores.Kernels, NullLoggerFactory.Instance, parse.GetValue(runmode) + ".efi", parse.GetValue(kernel)!)));

        var deleteName = Required("--name", "the kernel to delete");
        var delete = new Command("delete", "Delete a kernel no runmode, machine or profile boots") { deleteName };
        delete.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            await using var machines = new MachineDirectory(new MachineStore(stores.Database), stores.Config.MaxPendingMachines, _ => { });
            return await AdminEndpoints.DeleteKernelAsync(stores.Kernels, machines, NullLoggerFactory.Instance, parse.GetValue(deleteName)!);
        }));

        return new Command("kernels", "The kernels folder: list, upload, point a runmode (link), delete") { list, upload, link, delete };
    }

    public static Command Images()
    {
        var list = new Command("list", "Images with their state and files");
        list.SetAction((parse, _) => CliStores.Run(parse, async stores => new Outcome(StatusCodes.Status200OK,
            string.Join("\n", (await stores.Images.ListAsync()).Select(i =>
                $"{i.Name}  {i.Type}  {i.State}  files={string.Join(",", i.Files.Select(f => $"{f.Name}:{f.Size}"))}  title={i.Title}")))));

        var name = Required("--name", "the image's name (a-z, 0-9, '_', '-')");
        var type = Required("--type", string.Join(" | ", ImageType.All));
        var title = new Option<string?>("--title") { Description = "what a menu shows" };
        var kernel = new Option<string?>("--kernel") { Description = "the kernel's file name" };
        var initrds = new Option<string[]>("--initrd") { Description = "an initrd's file name (repeat for several, in order)", AllowMultipleArgumentsPerToken = false };
        var iso = new Option<string?>("--iso") { Description = "the ISO's file name" };
        var rootfs = new Option<string?>("--rootfs") { Description = "the root file system's file name (livenet)" };
        var args = new Option<string?>("--args") { Description = "kernel arguments" };
        var put = new Command("put", "Create or replace a staging image's description") { name, type, title, kernel, initrds, iso, rootfs, args };
        put.SetAction((parse, _) => CliStores.Run(parse, stores => CatalogueActions.DescribeAsync(stores.Images, parse.GetValue(name)!,
            new ImageInput(parse.GetValue(type), parse.GetValue(title), parse.GetValue(kernel), parse.GetValue(initrds) ?? [],
                parse.GetValue(iso), parse.GetValue(rootfs), parse.GetValue(args)))));

        var uploadName = Required("--name", "the image");
        var file = new Option<FileInfo>("--file") { Description = "the file to store (streamed and hashed)", Required = true };
        var asName = new Option<string?>("--as") { Description = "its name in the image (default: the file's name)" };
        var upload = new Command("upload", "Store one file of a staging image") { uploadName, file, asName };
        upload.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            var source = parse.GetValue(file)!;
            if (!source.Exists)
                return Outcome.Refused(StatusCodes.Status400BadRequest, $"--file: {source.FullName} does not exist");
            await using var content = source.OpenRead();
            return await CatalogueActions.StoreFileAsync(stores.Images, stores.Config, parse.GetValue(uploadName)!, parse.GetValue(asName) ?? source.Name,
                source.Length, content, CancellationToken.None);
        }));

        var promoteName = Required("--name", "the image");
        var promote = new Command("promote", "Freeze a staging image whose files are all uploaded (golden)") { promoteName };
        promote.SetAction((parse, _) => CliStores.Run(parse, stores => CatalogueActions.PromoteAsync(stores.Images, parse.GetValue(promoteName)!)));

        var deleteName = Required("--name", "the image");
        var delete = new Command("delete", "Delete an image and its files") { deleteName };
        delete.SetAction((parse, _) => CliStores.Run(parse, stores => CatalogueActions.DeleteImageAsync(stores.Images, parse.GetValue(deleteName)!)));

        return new Command("images", "The image catalogue: list, put (describe), upload, promote, delete") { list, put, upload, promote, delete };
    }

    public static Command Menus()
    {
        var list = new Command("list", "Menus and their entries");
        list.SetAction((parse, _) => CliStores.Run(parse, async stores => new Outcome(StatusCodes.Status200OK,
            string.Join("\n", (await stores.Menus.ListAsync()).Select(m => $"{m.Name}  \"{m.Title}\"  timeout={m.Timeout}  entries: {MenuText.Format(m.Entries).Replace("\n", "; ")}")))));

        var name = Required("--name", "the menu's name");
        var file = new Option<FileInfo>("--file") { Description = "the menu as the API's JSON: {\"title\", \"timeout\", \"default\", \"entries\": [...]}", Required = true };
        var put = new Command("put", "Create or replace a menu") { name, file };
        put.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            var source = parse.GetValue(file)!;
            if (!source.Exists || source.Length > 64 * 1024)
                return Outcome.Refused(StatusCodes.Status400BadRequest, $"--file: {source.FullName} does not exist or is over 64 KiB");
            MenuInput? input;
            try
            {
                input = JsonSerializer.Deserialize<MenuInput>(await File.ReadAllTextAsync(source.FullName));
            }
            catch (JsonException e)
            {
                return Outcome.Refused(StatusCodes.Status400BadRequest, $"--file: not a menu's JSON ({e.Message})");
            }
            return input == null ? Outcome.Refused(StatusCodes.Status400BadRequest, "--file: expected one JSON object")
                : await CatalogueActions.SaveMenuAsync(stores.Menus, stores.Images, stores.Config, parse.GetValue(name)!, input);
        }));

        var previewName = Required("--name", "the menu");
        var baseUrl = new Option<string?>("--base-url") { Description = "the service's address in the script (default: base-host, else http://localhost:<http-port>)" };
        var preview = new Command("preview", "The iPXE script GET /menu/<name> answers") { previewName, baseUrl };
        preview.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            var address = parse.GetValue(baseUrl) ?? (stores.Config.BaseHost.Length > 0 ? stores.Config.BaseHost.TrimEnd('/') : $"http://localhost:{stores.Config.HttpPort}");
            var script = await CatalogueActions.MenuScriptAsync(stores.Menus, stores.Images, stores.Config, parse.GetValue(previewName)!, address);
            return script with { Message = script.Message.TrimEnd('\n') };
        }));

        var deleteName = Required("--name", "the menu");
        var delete = new Command("delete", "Delete a menu no group offers") { deleteName };
        delete.SetAction((parse, _) => CliStores.Run(parse, stores => CatalogueActions.DeleteMenuAsync(stores.Menus, stores.Accounts, parse.GetValue(deleteName)!)));

        return new Command("menus", "Boot menus: list, put (from the API's JSON), preview the script, delete") { list, put, preview, delete };
    }
}
