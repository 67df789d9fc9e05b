using System.Text.Json.Serialization;
using Bootstrap.Builder.Boot;

namespace Bootstrap.Builder.Accounts;

/// <summary>A person who signs in at a machine's <c>/menu</c>; only a hash of the password is kept.</summary>
public sealed record User(string Name, [property: JsonIgnore] string PasswordHash, IReadOnlyList<string> Organizations, DateTimeOffset Updated);

/// <summary>A team sharing the service: it offers its groups to its users.</summary>
public sealed record Organization(string Id, string Name, IReadOnlyList<string> Groups, DateTimeOffset Updated);

/// <summary>Users who boot the same menu.</summary>
public sealed record Group(string Id, string Name, string Menu, IReadOnlyList<string> Users, DateTimeOffset Updated);

public sealed record UserInput(
    [property: JsonPropertyName("password")] string? Password = null,
    [property: JsonPropertyName("organizations")] IReadOnlyList<string>? Organizations = null);

public sealed record OrganizationInput(
    [property: JsonPropertyName("name")] string? Name = null,
    [property: JsonPropertyName("groups")] IReadOnlyList<string>? Groups = null);

public sealed record GroupInput(
    [property: JsonPropertyName("name")] string? Name = null,
    [property: JsonPropertyName("menu")] string? Menu = null,
    [property: JsonPropertyName("users")] IReadOnlyList<string>? Users = null);

/// <summary>
/// Every user, organisation and group at one moment, and what a signed-in user may choose from.
/// A user is offered the organisations they belong to that have at least one group listing them,
/// and in an organisation the groups that list them.
/// </summary>
public sealed record AccountBook(
    IReadOnlyDictionary<string, User> Users,
    IReadOnlyDictionary<string, Organization> Organizations,
    IReadOnlyDictionary<string, Group> Groups)
{
    public IReadOnlyList<Organization> OrganizationsOf(string user) =>
        Users.TryGetValue(user, out var u)
            ? u.Organizations.Select(Organizations.GetValueOrDefault).OfType<Organization>().Where(o => GroupsOf(user, o).Count > 0).ToList()
            : [];

    public IReadOnlyList<Group> GroupsOf(string user, Organization organization) =>
        organization.Groups.Select(Groups.GetValueOrDefault).OfType<Group>().Where(g => g.Users.Contains(user)).ToList();
}

/// <summary>
/// The rules accounts obey. Ids, user names and names end up in a login menu, so they keep to the
/// name and display-text shapes. References point down the tree and must exist (a user's
/// organisations, an organisation's groups, a group's menu); a group may list users not created
/// yet, so the tree can be built top-down in one pass: menu, group, organisation, user.
/// </summary>
public static class AccountRules
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 128;
    public const int MaxMembers = 1000;

    /// <summary>Checks a user; an existing user (<paramref name="exists"/>) given no password keeps the stored one.</summary>
    public static string? CheckUser(string name, UserInput input, bool exists, AccountBook book)
    {
        if (!TextShapes.Name().IsMatch(name))
            return $"name: {TextShapes.NameRule}";
        if (input.Password == null && !exists)
            return "password: required for a new user";
        if (input.Password != null && PasswordProblem(input.Password) is { } problem)
            return $"password: {problem}";
        return ReferenceProblem("organizations", input.Organizations ?? [], 256, id => book.Organizations.ContainsKey(id), "organization");
    }

    public static string? PasswordProblem(string password) =>
        password.Length is < MinPasswordLength or > MaxPasswordLength ? $"{MinPasswordLength} to {MaxPasswordLength} characters"
        : password.Any(c => c < 0x20 || c > 0x7e) ? "printable ASCII characters only (iPXE's login reads a keyboard)"
        : null;

    public static string? CheckOrganization(string id, OrganizationInput input, AccountBook book)
    {
        if (!TextShapes.Name().IsMatch(id))
            return $"id: {TextShapes.NameRule}";
        if (input.Name is { } name && !TextShapes.DisplayText().IsMatch(name))
            return $"name: {TextShapes.DisplayTextRule}";
        return ReferenceProblem("groups", input.Groups ?? [], 64, id => book.Groups.ContainsKey(id), "group");
    }

    public static string? CheckGroup(string id, GroupInput input, Func<string, bool> menuExists)
    {
        if (!TextShapes.Name().IsMatch(id))
            return $"id: {TextShapes.NameRule}";
        if (input.Name is { } name && !TextShapes.DisplayText().IsMatch(name))
            return $"name: {TextShapes.DisplayTextRule}";
        if (input.Menu is not { } menu)
            return "menu: required (the menu this group's users boot)";
        if (!menuExists(menu))
            return $"menu: no menu named '{BootRequestParser.Shown(menu)}'";
        return ReferenceProblem("users", input.Users ?? [], MaxMembers, _ => true, "user");
    }

    private static string? ReferenceProblem(string field, IReadOnlyList<string> ids, int max, Func<string, bool> exists, string kind)
    {
        if (ids.Count > max)
            return $"{field}: at most {max}";
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] == null || !TextShapes.Name().IsMatch(ids[i]))
                return $"{field}[{i}]: {TextShapes.NameRule}";
            if (!exists(ids[i]))
                return $"{field}[{i}]: no {kind} '{ids[i]}'";
            if (ids.Take(i).Contains(ids[i]))
                return $"{field}[{i}]: '{ids[i]}' is listed twice";
        }
        return null;
    }
}
