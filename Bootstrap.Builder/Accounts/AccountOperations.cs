namespace Bootstrap.Builder.Accounts;

/// <summary>The menus a group may offer: the catalogue's menu store, seen from here without a cycle (the catalogue asks accounts which groups offer a menu).</summary>
public interface IMenuNames
{
    Task<IReadOnlyList<string>> MenuNamesAsync();
}

/// <summary>Users, organisations and groups: the operations the API, the accounts page and the CLI share.</summary>
public static class AccountOperations
{
    /// <summary>
    /// Creates or changes a user; no password keeps the stored hash. <paramref name="hash"/> (user,
    /// password) is the front's hasher: ASP.NET Identity's, which the core does not reference.
    /// </summary>
    public static async Task<Result<User>> SaveUserAsync(AccountStore store, string name, UserInput input, Func<string, string, string> hash, DateTimeOffset now)
    {
        var book = await store.LoadAsync();
        var existing = book.Users.GetValueOrDefault(name);
        if (AccountRules.CheckUser(name, input, existing != null, book) is { } problem)
            return Problem.Invalid(problem);
        var user = new User(name, input.Password is { } password ? hash(name, password) : existing!.PasswordHash,
            input.Organizations ?? existing?.Organizations ?? [], now);
        await store.SaveUserAsync(user);
        return Result.Ok(user, $"saved user {name}");
    }

    public static async Task<Result<Organization>> SaveOrganizationAsync(AccountStore store, string id, OrganizationInput input, DateTimeOffset now)
    {
        if (AccountRules.CheckOrganization(id, input, await store.LoadAsync()) is { } problem)
            return Problem.Invalid(problem);
        var organization = new Organization(id, input.Name ?? id, input.Groups ?? [], now);
        await store.SaveOrganizationAsync(organization);
        return Result.Ok(organization, $"saved organization {id}");
    }

    public static async Task<Result<Group>> SaveGroupAsync(AccountStore store, IMenuNames menus, string id, GroupInput input, DateTimeOffset now)
    {
        var known = (await menus.MenuNamesAsync()).ToHashSet();
        if (AccountRules.CheckGroup(id, input, known.Contains) is { } problem)
            return Problem.Invalid(problem);
        var group = new Group(id, input.Name ?? id, input.Menu!, input.Users ?? [], now);
        await store.SaveGroupAsync(group);
        return Result.Ok(group, $"saved group {id}");
    }

    /// <summary>The kinds of account, as the API's paths name them (plural) and the messages (singular).</summary>
    public static readonly IReadOnlyList<string> Kinds = ["user", "organization", "group"];

    /// <summary>Deletes a user, organization or group (<paramref name="kind"/> one of <see cref="Kinds"/>).</summary>
    public static async Task<Result<Done>> DeleteAsync(AccountStore store, string kind, string id)
    {
        bool deleted;
        switch (kind)
        {
            case "user": deleted = await store.DeleteUserAsync(id); break;
            case "organization": deleted = await store.DeleteOrganizationAsync(id); break;
            case "group": deleted = await store.DeleteGroupAsync(id); break;
            default: return Problem.NotFound($"no account kind '{LogText.Escape(kind)}'");
        }
        return deleted ? Result.Done($"deleted {kind} {id}") : Problem.NotFound($"no {kind} named '{LogText.Escape(id)}'");
    }
}
