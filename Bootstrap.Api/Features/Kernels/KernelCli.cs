using System.CommandLine;
using Bootstrap.Builder.Boot;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Machines;

namespace Bootstrap.Api.Features.Kernels;

/// <summary><c>kernels</c>: list, upload, link and delete, the same operations as the API and the kernels page.</summary>
public static class KernelCli
{
    public static Command Create()
    {
        var list = new Command("list", "Kernels, newest first, with the architecture each declares and the runmodes that boot it (arm64/prod: prod's ARM64 link)");
        list.SetAction((parse, _) => CliStores.Run(parse, stores => Task.FromResult(CliStores.Lines(stores.Kernels.List().Select(k => $"{k.Name}  {k.Size} bytes  {k.Updated:yyyy-MM-dd HH:mm}  {k.Architecture ?? "unknown"}  runmodes={string.Join(",", k.Runmodes)}")))));

        var file = new Option<FileInfo>("--file") { Description = "the kernel file to copy in", Required = true };
        var asName = new Option<string?>("--name") { Description = "the kernel's name (default: the file's name)" };
        var replace = new Option<bool>("--replace") { Description = "replace the kernel a network boots (refused otherwise)" };
        var upload = new Command("upload", "Store a kernel (written beside, then renamed into place)") { file, asName, replace };
        upload.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            var source = parse.GetValue(file)!;
            if (!source.Exists)
                return Problem.Invalid($"--file: {source.FullName} does not exist");
            await using var content = source.OpenRead();
            return await KernelOperations.StoreAsync(stores.Kernels, parse.GetValue(asName) ?? source.Name, content, parse.GetValue(replace), CancellationToken.None);
        }));

        var runmode = Verb.Required("--runmode", "the network whose link to switch (prod, test, ...)");
        var kernel = Verb.Required("--kernel", "the kernel it boots from now on");
        var architecture = new Option<string>("--architecture") { Description = $"which machines boot it: {KernelArchitecture.Names}", DefaultValueFactory = _ => KernelArchitecture.X86_64.Name };
        var link = new Command("link", "Point a runmode at a kernel for one architecture, atomically") { runmode, kernel, architecture };
        link.SetAction((parse, _) => CliStores.Run(parse, stores =>
        {
            var (known, problem) = KernelArchitecture.Parse(parse.GetValue(architecture), "--architecture");
            return !stores.Config.Runmodes.ContainsKey(parse.GetValue(runmode)!)
                ? Task.FromResult<Result<Done>>(Problem.NotFound($"--runmode: no network '{parse.GetValue(runmode)}' in config.json"))
                : known == null
                ? Task.FromResult<Result<Done>>(Problem.Invalid(problem!))
                : KernelOperations.PointLinkAsync(stores.Kernels, stores.Config.Runmodes, known.LinkOf(parse.GetValue(runmode)!), parse.GetValue(kernel)!);
        }));

        var deleteName = Verb.Required("--name", "the kernel to delete");
        var delete = new Command("delete", "Delete a kernel no runmode, machine or profile boots") { deleteName };
        delete.SetAction((parse, _) => CliStores.Run(parse, async stores =>
        {
            await using var machines = new MachineDirectory(new MachineStore(stores.Database), stores.Config.MaxPendingMachines, _ => { });
            return await KernelOperations.DeleteAsync(stores.Kernels, machines, parse.GetValue(deleteName)!);
        }));

        return new Command("kernels", "The kernels folder: list, upload, point a runmode (link), delete") { list, upload, link, delete };
    }
}
