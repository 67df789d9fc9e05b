using System.CommandLine;
using System.Text.Json;
using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;

namespace Bootstrap.Api.Features.Catalogue;

/// <summary>
/// <c>images</c> and <c>menus</c>: what the catalogue page and the API do, on the command line,
/// through the same operations.
/// </summary>
public static class CatalogueCli
{
    public static Command Images()
    {
        var list = new Command("list", "Images with their state and files");
        list.SetAction((parse, _) => CliStores.Run(parse, async stores => CliStores.Lines((await stores.Images.ListAsync()).Select(i =>
                $"{i.Name}  {i.Type}  {i.State}  files={string.Join(",", i.Files.Select(f => $"{f.Name}:{f.Size}"))}  title={i.Title}"))));

        var name = Verb.Required("--name", "the image's name (a-z, 0-9, '_', '-')");
        var type = Verb.Required("--type", string.Join(" | ", ImageType.All));
        var title = new Option<string?>("--title") { Description = "what a menu shows" };
        var kernel = new Option<string?>("--kernel") { Description = "the kernel's file name" };
        var initrds = new Option<string[]>("--initrd") { Description = "an initrd's file name (repeat for several, in order)", AllowMultipleArgumentsPerToken = false };
        var iso = new Option<string?>("--iso") { Description = "the ISO's file name" };
        var rootfs = new Option<string?>("--rootfs") { Description = "the root file system's file name (livenet)" };
        var args = new Option<string?>("--args") { Description = "kernel arguments" };
        var architecture = new Option<string?>("--architecture") { Description = "the one architecture it is for (x86_64, arm64; default: any): a menu offers it only to those machines" };
        var put = new Command("put", "Create or replace a staging image's description") { name, type, title, kernel, initrds, iso, rootfs, args, architecture };
        put.SetAction((parse, _) => CliStores.Run(parse, stores => CatalogueOperations.DescribeAsync(stores.Images, parse.GetValue(name)!,
            new ImageInput(parse.GetValue(type), parse.GetValue(title), parse.GetValue(kernel), parse.GetValue(initrds) ?? [],
                parse.GetValue(iso), parse.GetValue(rootfs), parse.GetValue(args), parse.GetValue(architecture)), TimeProvider.System.GetUtcNow())));

        var uploadName = Verb.Required("--name", "the image");
        var file = new Option<FileInfo>("--file") { Description = "the file to store (streamed and hashed)", Required = true };
        var asName = new Option<string?>("--as") { Description = "its name in the image (default: the file's name)" };
        var upload = new Command("upload", "Store one file of a staging image") { uploadName, file, asName };
        upload.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            var source = parse.GetValue(file)!;
            if (!source.Exists)
                return Problem.Invalid($"--file: {source.FullName} does not exist");
            await using var content = source.OpenRead();
            return await CatalogueOperations.StoreFileAsync(stores.Images, stores.Config, parse.GetValue(uploadName)!, parse.GetValue(asName) ?? source.Name,
                source.Length, content, CancellationToken.None);
        }));

        var promoteName = Verb.Required("--name", "the image");
        var promote = new Command("promote", "Freeze a staging image whose files are all uploaded (golden)") { promoteName };
        promote.SetAction((parse, _) => CliStores.Run(parse, stores => CatalogueOperations.PromoteAsync(stores.Images, parse.GetValue(promoteName)!)));

        var deleteName = Verb.Required("--name", "the image");
        var delete = new Command("delete", "Delete an image and its files") { deleteName };
        delete.SetAction((parse, _) => CliStores.Run(parse, stores => CatalogueOperations.DeleteImageAsync(stores.Images, parse.GetValue(deleteName)!)));

        return new Command("images", "The image catalogue: list, put (describe), upload, promote, delete") { list, put, upload, promote, delete };
    }

    public static Command Menus()
    {
        var list = new Command("list", "Menus and their entries");
        list.SetAction((parse, _) => CliStores.Run(parse, async stores => CliStores.Lines((await stores.Menus.ListAsync()).Select(m => $"{m.Name}  \"{m.Title}\"  timeout={m.Timeout}  entries: {MenuText.Format(m.Entries).Replace("\n", "; ")}"))));

        var name = Verb.Required("--name", "the menu's name");
        var file = new Option<FileInfo>("--file") { Description = "the menu as the API's JSON: {\"title\", \"timeout\", \"default\", \"entries\": [...]}", Required = true };
        var put = new Command("put", "Create or replace a menu") { name, file };
        put.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            var source = parse.GetValue(file)!;
            if (!source.Exists || source.Length > 64 * 1024)
                return Problem.Invalid($"--file: {source.FullName} does not exist or is over 64 KiB");
            MenuInput? input;
            try
            {
                input = JsonSerializer.Deserialize<MenuInput>(await File.ReadAllTextAsync(source.FullName));
            }
            catch (JsonException e)
            {
                return Problem.Invalid($"--file: not a menu's JSON ({e.Message})");
            }
            return input == null ? Problem.Invalid("--file: expected one JSON object")
                : await CatalogueOperations.SaveMenuAsync(stores.Menus, stores.Images, stores.Config, parse.GetValue(name)!, input, TimeProvider.System.GetUtcNow());
        }));

        var previewName = Verb.Required("--name", "the menu");
        var baseUrl = new Option<string?>("--base-url") { Description = "the service's address in the script (default: base-host, else http://localhost:<http-port>)" };
        var preview = new Command("preview", "The iPXE script GET /menu/<name> answers") { previewName, baseUrl };
        preview.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            var address = parse.GetValue(baseUrl) ?? (stores.Config.BaseHost.Length > 0 ? stores.Config.BaseHost.TrimEnd('/') : $"http://localhost:{stores.Config.HttpPort}");
            var script = await CatalogueOperations.MenuScriptAsync(stores.Menus, stores.Images, stores.Config, parse.GetValue(previewName)!, address);
            return script with { Message = script.Message.TrimEnd('\n') };
        }));

        var deleteName = Verb.Required("--name", "the menu");
        var delete = new Command("delete", "Delete a menu no group offers") { deleteName };
        delete.SetAction((parse, _) => CliStores.Run(parse, stores => CatalogueOperations.DeleteMenuAsync(stores.Menus, stores.Accounts, parse.GetValue(deleteName)!)));

        return new Command("menus", "Boot menus: list, put (from the API's JSON), preview the script, delete") { list, put, preview, delete };
    }
}
