using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Bootstrap.Builder.Boot;

namespace Bootstrap.Builder.Machines;

/// <summary>An assignment as the API, the CLI and the page send it (the PUT body of docs/machines.md); every field optional until checked.</summary>
public sealed record AssignmentInput(
    [property: JsonPropertyName("network")] string? Network = null,
    [property: JsonPropertyName("farmer")] string? Farmer = null,
    [property: JsonPropertyName("args")] string? Args = null,
    [property: JsonPropertyName("kernel")] string? Kernel = null,
    [property: JsonPropertyName("profile")] string? Profile = null,
    [property: JsonPropertyName("menu")] string? Menu = null,
    [property: JsonPropertyName("then")] string? Then = null,
    [property: JsonPropertyName("hostname")] string? Hostname = null,
    [property: JsonPropertyName("answer_template")] string? AnswerTemplate = null);

/// <summary>A problem with an assignment or profile: the field it is about, and why (the API answers 400, or 404 for an unknown profile).</summary>
public sealed record AssignmentProblem(string Field, string Detail, bool NotFound = false)
{
    public string Message => $"{Field}: {Detail}";
}

/// <summary>
/// Turns what an operator typed into an <see cref="Assignment"/> or a <see cref="Profile"/> under
/// the rules of the boot routes (<see cref="BootRequestParser"/>): what is stored here is rendered
/// into a machine's boot script later, so it is checked as a URL would be.
/// </summary>
public static partial class AssignmentRules
{
    public const int MaxAnswerTemplateLength = 64 * 1024;

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\z")]
    private static partial Regex HostnameShape();

    /// <summary>Checks <paramref name="input"/>, filling unset fields from its profile.</summary>
    /// <param name="menuExists">Whether a menu of that name exists; null where menus cannot be assigned (a profile).</param>
    public static (Assignment? Assignment, AssignmentProblem? Problem) Check(
        AssignmentInput input, IReadOnlyDictionary<string, string> runmodes, Func<string, bool> kernelExists, Func<string, Profile?> profiles,
        Func<string, bool>? menuExists = null)
    {
        if (input.Menu != null)
        {
            if (menuExists == null)
                return (null, new AssignmentProblem("menu", "a profile cannot hold a menu; assign the menu to the machine"));
            if (input.Network != null || input.Farmer != null || input.Args != null || input.Kernel != null || input.Profile != null)
                return (null, new AssignmentProblem("menu", "a machine boots either a menu or a network (with farmer, args, kernel, profile), not both"));
            if (!menuExists(input.Menu))
                return (null, new AssignmentProblem("menu", $"no menu named '{BootRequestParser.Shown(input.Menu)}'", NotFound: true));
            var thenMenu = input.Then ?? ThenBoot.Repeat;
            if (!ThenBoot.All.Contains(thenMenu))
                return (null, new AssignmentProblem("then", $"'{BootRequestParser.Shown(thenMenu)}' is neither {string.Join(" nor ", ThenBoot.All)}"));
            if (input.Hostname != null && !HostnameShape().IsMatch(input.Hostname))
                return (null, new AssignmentProblem("hostname", "1-63 of a-z, 0-9 and '-', not starting or ending with '-'"));
            return (new Assignment("", null, "", null, null, input.Hostname, thenMenu, input.Menu), null);
        }
        Profile? profile = null;
        if (input.Profile != null)
        {
            profile = profiles(input.Profile);
            if (profile == null)
                return (null, new AssignmentProblem("profile", $"no profile named '{BootRequestParser.Shown(input.Profile)}'", NotFound: true));
        }
        var network = input.Network ?? profile?.Network;
        if (network == null)
            return (null, new AssignmentProblem("network", "give a network (or a profile that has one)"));
        var (request, problem) = BootRequestParser.ParseTyped(runmodes, network, input.Farmer ?? profile?.Farmer,
            input.Args ?? profile?.Args ?? "", input.Kernel ?? profile?.Kernel);
        if (problem != null)
            return (null, new AssignmentProblem(problem.Field, problem.Detail));
        if (request!.Kernel != null && !kernelExists(request.Kernel))
            return (null, new AssignmentProblem("kernel", $"'{request.Kernel}' is not in the kernels folder"));
        var then = input.Then ?? profile?.Then ?? ThenBoot.Repeat;
        if (!ThenBoot.All.Contains(then))
            return (null, new AssignmentProblem("then", $"'{BootRequestParser.Shown(then)}' is neither {string.Join(" nor ", ThenBoot.All)}"));
        if (input.Hostname != null && !HostnameShape().IsMatch(input.Hostname))
            return (null, new AssignmentProblem("hostname", "1-63 of a-z, 0-9 and '-', not starting or ending with '-'"));
        return (new Assignment(request.Network, request.Farmer, request.Args, request.Kernel, profile?.Name, input.Hostname, then), null);
    }

    /// <summary>Checks a profile named <paramref name="name"/> (its answer template must parse as Liquid).</summary>
    public static (Profile? Profile, AssignmentProblem? Problem) CheckProfile(
        string name, AssignmentInput input, IReadOnlyDictionary<string, string> runmodes, Func<string, bool> kernelExists, DateTimeOffset now)
    {
        if (!TextShapes.Name().IsMatch(name))
            return (null, new AssignmentProblem("name", TextShapes.NameRule));
        if (input.Profile != null || input.Hostname != null)
            return (null, new AssignmentProblem(input.Profile != null ? "profile" : "hostname", "belongs to a machine's assignment, not to a profile"));
        var (assignment, problem) = Check(input with { AnswerTemplate = null }, runmodes, kernelExists, _ => null);
        if (problem != null)
            return (null, problem);
        if (input.AnswerTemplate is { } template)
        {
            if (template.Length > MaxAnswerTemplateLength)
                return (null, new AssignmentProblem("answer_template", $"at most {MaxAnswerTemplateLength} characters"));
            if (AnswerFiles.Problem(template) is { } syntax)
                return (null, new AssignmentProblem("answer_template", syntax));
        }
        return (new Profile(name, assignment!.Network, assignment.Farmer, assignment.Args, assignment.Kernel, assignment.Then, input.AnswerTemplate, now), null);
    }
}
