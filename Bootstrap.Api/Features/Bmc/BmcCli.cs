using System.CommandLine;
using System.Text.Json;
using Bootstrap.Api.Features.Machines;
using Bootstrap.Builder.Bmc;
using Bootstrap.Builder.Catalogue;
using Bootstrap.Builder.Kernels;
using Bootstrap.Builder.Machines;
using Microsoft.AspNetCore.DataProtection;

namespace Bootstrap.Api.Features.Bmc;

/// <summary>
/// <c>bootstrap bmc set|show|delete|power|boot-device|insert-media|eject-media|provision</c>: the BMC routes on the command
/// line, on the config's database. The password is read from a file or stdin, never from an
/// argument (which every local user could read), and sealed with the site's key ring as the
/// service does.
/// </summary>
public static class BmcCli
{
    private static readonly JsonSerializerOptions Pretty = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Runs <c>bmc ARGS</c> (what the tests and scripts call).</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, TextReader? stdin = null) =>
        Verb.RunAsync([Create(stdin)], ["bmc", .. args], stdout, stderr);

    /// <param name="stdin">Where <c>--password-file -</c> reads (the console's stdin unless a test gives one).</param>
    public static Command Create(TextReader? stdin = null)
    {
        var setAddress = MachineCli.Address();
        var type = new Option<string?>("--type") { Description = $"{string.Join(" or ", BmcOperations.Types)} (default ipmi)" };
        var bmcAddress = Verb.Required("--bmc-address", "the BMC's IP address or host name");
        var port = new Option<int?>("--port") { Description = "the BMC's port (IPMI: 623)" };
        var username = Verb.Required("--username", "the BMC user");
        var passwordFile = Verb.Required("--password-file", "a file whose first line is the BMC password, or - to read it from stdin");
        var verifyTls = new Option<bool?>("--verify-tls") { Description = "redfish: check the BMC's certificate against this host's CAs (default true)" };
        var fingerprint = new Option<string?>("--ca-fingerprint") { Description = "redfish: the SHA-256 of the BMC's own certificate, trusted instead (openssl x509 -noout -fingerprint -sha256)" };
        var set = new Command("set", "How to reach a machine's BMC (the password is sealed and never shown again)")
            { setAddress, type, bmcAddress, port, username, passwordFile, verifyTls, fingerprint };
        set.SetAction(async (parse, _) => await WithBmcs(parse, setAddress, async (mac, bmcs, _) =>
        {
            if (ReadPassword(parse.GetValue(passwordFile)!, stdin) is not { } password)
                return Verb.Refuse(parse, $"--password-file: '{LogText.Escape(parse.GetValue(passwordFile))}' cannot be read or is empty");
            return await Report(parse, await bmcs.SetAsync(mac, parse.GetValue(type), parse.GetValue(bmcAddress), parse.GetValue(port), parse.GetValue(username), password,
                parse.GetValue(verifyTls), parse.GetValue(fingerprint)));
        }));

        var showAddress = MachineCli.Address();
        var show = new Command("show", "A machine's BMC as JSON, without its password") { showAddress };
        show.SetAction(async (parse, _) => await WithBmcs(parse, showAddress, async (mac, bmcs, _) =>
        {
            var found = await bmcs.GetAsync(mac);
            if (found.Value is not { } a)
                return Verb.Refuse(parse, found.Message);
            await parse.InvocationConfiguration.Output.WriteLineAsync(JsonSerializer.Serialize(BmcEndpoints.BmcView.Of(a), Pretty));
            return 0;
        }));

        var deleteAddress = MachineCli.Address();
        var delete = new Command("delete", "Forget a machine's BMC") { deleteAddress };
        delete.SetAction(async (parse, _) => await WithBmcs(parse, deleteAddress, async (mac, bmcs, _) => await Report(parse, await bmcs.DeleteAsync(mac))));

        var powerAddress = MachineCli.Address();
        var action = new Option<string?>("--action") { Description = $"{string.Join(", ", BmcOperations.Actions)}; without it the power is only read" };
        var power = new Command("power", "Read a machine's power through its BMC, or act on it and read it back") { powerAddress, action };
        power.SetAction(async (parse, cancel) => await WithBmcs(parse, powerAddress, async (mac, bmcs, _) =>
            parse.GetValue(action) is { } wanted ? await Report(parse, await bmcs.ActAsync(mac, wanted, cancel)) : await Report(parse, await bmcs.PowerAsync(mac, cancel))));

        var bootAddress = MachineCli.Address();
        var device = Verb.Required("--device", string.Join(", ", BmcOperations.Devices));
        var mode = new Option<string?>("--mode") { Description = $"{string.Join(" or ", BmcOperations.Modes)} (default uefi)" };
        var everyBoot = new Option<bool>("--every-boot") { Description = "keep it for every boot, not only the next one" };
        var bootDevice = new Command("boot-device", "Set a machine's next boot through its BMC (read back)") { bootAddress, device, mode, everyBoot };
        bootDevice.SetAction(async (parse, cancel) => await WithBmcs(parse, bootAddress, async (mac, bmcs, _) =>
            await Report(parse, await bmcs.SetBootDeviceAsync(mac, parse.GetValue(device), parse.GetValue(mode), !parse.GetValue(everyBoot), cancel))));

        var mediaAddress = MachineCli.Address();
        var image = Verb.Required("--image", "the URL the BMC fetches the image from (e.g. http://boot.example:5555/iso-generic)");
        var insert = new Command("insert-media", "redfish: the BMC fetches an image and shows it to the machine as its CD") { mediaAddress, image };
        insert.SetAction(async (parse, cancel) => await WithBmcs(parse, mediaAddress, async (mac, bmcs, _) =>
        {
            var checkedImage = BmcOperations.MediaImage(parse.GetValue(image), "");
            return checkedImage.Problem is { } bad
                ? Verb.Refuse(parse, bad.Message.Replace("image:", "--image:", StringComparison.Ordinal))
                : await Report(parse, await bmcs.InsertMediaAsync(mac, checkedImage.Value!, cancel));
        }));

        var ejectAddress = MachineCli.Address();
        var eject = new Command("eject-media", "redfish: take the image out of the machine's virtual CD") { ejectAddress };
        eject.SetAction(async (parse, cancel) => await WithBmcs(parse, ejectAddress, async (mac, bmcs, _) => await Report(parse, await bmcs.EjectMediaAsync(mac, cancel))));

        var provisionAddresses = new Option<string[]>("--address")
        {
            Description = "a machine's MAC; give --address once per machine",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var job = new AssignmentOptions();
        var provisionMode = new Option<string?>("--mode") { Description = $"{string.Join(" or ", BmcOperations.Modes)} (default uefi)" };
        var provisionImage = new Option<string?>("--image") { Description = "redfish: boot this image (URL) as each machine's virtual CD instead of the network" };
        var provision = new Command("provision",
            "For each machine: assign the job (when --network or --profile is given), set its next boot to the network (or --image as its virtual CD), power it on or cycle it; one line per machine")
            { provisionAddresses, provisionMode, provisionImage };
        job.AddTo(provision, withHostname: false);
        provision.SetAction(async (parse, cancel) => await WithBmcs(parse, null, async (_, bmcs, machines) =>
        {
            var config = Verb.LoadConfig(parse)!;
            var input = job.Read(parse);
            var assign = input == new AssignmentInput() ? null : input;
            using var kernels = KernelStore.For(config, machines.Database);
            var menus = (await new MenuStore(machines.Database).ListAsync()).Select(m => m.Name).ToHashSet();
            var image = parse.GetValue(provisionImage);
            var plan = BmcProvisioning.Check(parse.GetValue(provisionAddresses)!.Select(mac => (ProvisionInput?)new ProvisionInput(mac, assign)).ToList(),
                image == null ? "pxe" : "virtual-media", checkJob => AssignmentRules.Check(checkJob, config.Runmodes, kernels.Exists, machines.FindProfile, menus.Contains), image);
            if (plan.Problem is { } refused)
                return Verb.Refuse(parse, refused.Message.StartsWith("image:", StringComparison.Ordinal) ? "--" + refused.Message
                    : refused.Message.Replace("machines[", "--address[", StringComparison.Ordinal));
            var provisioning = new BmcProvisioning(bmcs, machines, TimeProvider.System, config.BmcConcurrency,
                (mac, what) => machines.BmcActed(mac, what, TimeProvider.System.GetUtcNow()));
            var done = await provisioning.ProvisionAsync(plan.Value!.Orders, parse.GetValue(provisionMode), cancel, plan.Value.VirtualCd);
            if (done.Problem is { } problem)
                return Verb.Refuse(parse, problem.Message);
            foreach (var o in done.Value!)
                await parse.InvocationConfiguration.Output.WriteLineAsync($"{o.Mac}  {(o.Succeeded ? "ok" : "failed")}  {BmcOperations.Name(o.State)}  {o.Message}");
            return done.Value!.All(o => o.Succeeded) ? 0 : Verb.Refuse(parse, done.Message);
        }));

        return new Command("bmc", "Machines' BMCs: how to reach them, their power and next boot, provisioning many at once")
            { set, show, delete, power, bootDevice, insert, eject, provision };
    }

    /// <summary>The first line of <paramref name="file"/> (stdin for "-"), without its line end; null when it cannot be read or is empty.</summary>
    private static string? ReadPassword(string file, TextReader? stdin)
    {
        try
        {
            var line = file == "-" ? (stdin ?? Console.In).ReadLine() : File.ReadLines(file).FirstOrDefault();
            return string.IsNullOrEmpty(line) ? null : line;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static async Task<int> Report<T>(ParseResult parse, Result<T> result)
    {
        if (!result.Succeeded)
            return Verb.Refuse(parse, result.Message);
        await parse.InvocationConfiguration.Output.WriteLineAsync(result.Message);
        return 0;
    }

    /// <summary>
    /// The machines and BMC operations of the config's database, the site's key ring sealing the
    /// passwords; what a BMC did goes into the machine's boot log as from the service.
    /// </summary>
    private static Task<int> WithBmcs(ParseResult parse, Option<string>? address, Func<string, BmcOperations, MachineDirectory, Task<int>> action) =>
        MachineCli.WithDirectory(parse, async (_, machines) =>
        {
            var mac = "";
            if (address != null)
            {
                if (MacAddress.Normalize(parse.GetValue(address)) is not { } normalized)
                    return Verb.Refuse(parse, MachineCli.BadMac(parse.GetValue(address)));
                mac = normalized;
            }
            var services = new ServiceCollection();
            services.AddSingleton(machines.Database);
            services.AddSiteKeyRing();
            await using var provider = services.BuildServiceProvider();
            var bmcs = new BmcOperations(new BmcStore(machines.Database), new SiteSecretSealer(provider.GetRequiredService<IDataProtectionProvider>()),
                TimeProvider.System, BmcEndpoints.Protocols(), (acted, what) => machines.BmcActed(acted, what, TimeProvider.System.GetUtcNow()));
            return await action(mac, bmcs, machines);
        });
}
