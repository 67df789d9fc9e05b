using System.CommandLine;
using System.Text.Json;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Kernels;

namespace Bootstrap.Api.Features.Machines;

/// <summary><c>Bootstrap.Api profiles list|show|put|delete</c>: named, reusable assignments with an optional answer-file template.</summary>
public static class ProfileCli
{
    public static Command Create()
    {
        var list = new Command("list", "One line per profile");
        list.SetAction(async (parse, _) => await MachineCli.WithDirectory(parse, async (_, machines) =>
        {
            foreach (var p in machines.Profiles)
                await MachineCli.Out(parse).WriteLineAsync(
                    $"{p.Name}  network={p.Network} farmer={p.Farmer ?? "-"} args={p.Args} kernel={p.Kernel ?? "-"} then={p.Then} " +
                    $"answer_template={(p.AnswerTemplate == null ? "none" : $"{p.AnswerTemplate.Length} characters")}");
            return 0;
        }));

        var showName = Name();
        var show = new Command("show", "A profile as JSON") { showName };
        show.SetAction(async (parse, _) => await MachineCli.WithDirectory(parse, async (_, machines) =>
        {
            if (machines.FindProfile(parse.GetValue(showName)!) is not { } profile)
                return Verb.Refuse(parse, $"no profile named '{Builder.Boot.BootRequestParser.Shown(parse.GetValue(showName)!)}'");
            await MachineCli.Out(parse).WriteLineAsync(JsonSerializer.Serialize(profile, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
            return 0;
        }));

        var putName = Name();
        var template = new Option<FileInfo?>("--answer-template") { Description = "a Liquid file rendered per machine at /answer/<mac>/<token>" };
        var fields = new AssignmentOptions();
        var put = new Command("put", "Create or replace a profile") { putName, template };
        fields.AddTo(put, withHostname: false);
        put.SetAction(async (parse, _) => await MachineCli.WithDirectory(parse, async (config, machines) =>
        {
            string? text = null;
            if (parse.GetValue(template) is { } file)
            {
                if (!file.Exists)
                    return Verb.Refuse(parse, $"--answer-template: {file.FullName} does not exist");
                if (file.Length > AssignmentRules.MaxAnswerTemplateLength)
                    return Verb.Refuse(parse, $"--answer-template: at most {AssignmentRules.MaxAnswerTemplateLength} bytes");
                text = await File.ReadAllTextAsync(file.FullName);
            }
            using var kernels = KernelStore.For(config, machines.Database);
            var (profile, problem) = AssignmentRules.CheckProfile(parse.GetValue(putName)!, fields.Read(parse, text), config.Runmodes, kernels.Exists, TimeProvider.System.GetUtcNow());
            if (problem != null)
                return Verb.Refuse(parse, problem.Message);
            await machines.SaveProfileAsync(profile!);
            await MachineCli.Out(parse).WriteLineAsync($"saved profile {profile!.Name}");
            return 0;
        }));

        var deleteName = Name();
        var delete = new Command("delete", "Delete a profile (machines assigned with it keep their fields)") { deleteName };
        delete.SetAction(async (parse, _) => await MachineCli.WithDirectory(parse, async (_, machines) =>
        {
            var name = parse.GetValue(deleteName)!;
            if (!await machines.DeleteProfileAsync(name))
                return Verb.Refuse(parse, $"no profile named '{Builder.Boot.BootRequestParser.Shown(name)}'");
            await MachineCli.Out(parse).WriteLineAsync($"deleted profile {name}");
            return 0;
        }));

        return new Command("profiles", "Named assignments (network, farmer, args, kernel, then) with an optional answer-file template")
            { list, show, put, delete };
    }

    private static Option<string> Name() => new("--name") { Description = "the profile's name (a-z, 0-9, '_', '-')", Required = true };
}
