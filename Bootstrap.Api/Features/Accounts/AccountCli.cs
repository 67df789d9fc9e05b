using System.CommandLine;
using Bootstrap.Builder.Accounts;

namespace Bootstrap.Api.Features.Accounts;

/// <summary>
/// <c>users</c>, <c>organizations</c> and <c>groups</c>: the accounts page and API on the command
/// line, through the same actions. A password is read from a file (<c>--password-file
/// /dev/stdin</c> for a pipe), never from the command line, where <c>ps</c> would show it.
/// </summary>
public static class AccountCli
{
    private static Option<string> Required(string name, string description) => new(name) { Description = description, Required = true };

    private static Option<string[]> Many(string name, string description) => new(name) { Description = description + " (repeat for several)" };

    public static Command Users()
    {
        var list = new Command("list", "Users and their organizations (never a password)");
        list.SetAction((parse, _) => CliStores.Run(parse, async stores => CliStores.Lines((await stores.Accounts.LoadAsync()).Users.Values.Select(u => $"{u.Name}  organizations={string.Join(",", u.Organizations)}"))));

        var name = Required("--name", "the user name typed at iPXE's login");
        var passwordFile = new Option<FileInfo?>("--password-file") { Description = "a file whose first line is the password (/dev/stdin for a pipe); required for a new user" };
        var organizations = Many("--organization", "an organization the user belongs to; none given keeps the current ones");
        var put = new Command("put", "Create or change a user") { name, passwordFile, organizations };
        put.SetAction((parse, _) => CliStores.Run<User>(parse, async stores =>
        {
            string? password = null;
            if (parse.GetValue(passwordFile) is { } file)
            {
                if (file.FullName != "/dev/stdin" && !file.Exists)
                    return Problem.Invalid($"--password-file: {file.FullName} does not exist");
                using var reader = new StreamReader(file.FullName);
                password = await reader.ReadLineAsync() ?? "";
            }
            var given = parse.GetValue(organizations);
            return await AccountOperations.SaveUserAsync(stores.Accounts, parse.GetValue(name)!, new UserInput(password, given is { Length: > 0 } ? given : null), Passwords.Hash, TimeProvider.System.GetUtcNow());
        }));

        return new Command("users", "Who may sign in at /menu: list, put, delete") { list, put, Delete("user", "--name") };
    }

    public static Command Organizations()
    {
        var list = new Command("list", "Organizations and their groups");
        list.SetAction((parse, _) => CliStores.Run(parse, async stores => CliStores.Lines((await stores.Accounts.LoadAsync()).Organizations.Values.Select(o => $"{o.Id}  \"{o.Name}\"  groups={string.Join(",", o.Groups)}"))));

        var id = Required("--id", "the organization's id (a-z, 0-9, '_', '-')");
        var name = new Option<string?>("--display-name") { Description = "what the login menu shows (default: the id)" };
        var groups = Many("--group", "a group the organization offers, in menu order");
        var put = new Command("put", "Create or replace an organization") { id, name, groups };
        put.SetAction((parse, _) => CliStores.Run(parse, stores => AccountOperations.SaveOrganizationAsync(stores.Accounts, parse.GetValue(id)!,
            new OrganizationInput(parse.GetValue(name), parse.GetValue(groups) ?? []), TimeProvider.System.GetUtcNow())));

        return new Command("organizations", "Teams sharing the service: list, put, delete") { list, put, Delete("organization", "--id") };
    }

    public static Command Groups()
    {
        var list = new Command("list", "Groups, their menu and users");
        list.SetAction((parse, _) => CliStores.Run(parse, async stores => CliStores.Lines((await stores.Accounts.LoadAsync()).Groups.Values.Select(g => $"{g.Id}  \"{g.Name}\"  menu={g.Menu}  users={string.Join(",", g.Users)}"))));

        var id = Required("--id", "the group's id (a-z, 0-9, '_', '-')");
        var name = new Option<string?>("--display-name") { Description = "what the login menu shows (default: the id)" };
        var menu = Required("--menu", "the menu the group's users boot");
        var users = Many("--user", "a user of the group (may be created later)");
        var put = new Command("put", "Create or replace a group") { id, name, menu, users };
        put.SetAction((parse, _) => CliStores.Run(parse, stores => AccountOperations.SaveGroupAsync(stores.Accounts, stores.Menus, parse.GetValue(id)!,
            new GroupInput(parse.GetValue(name), parse.GetValue(menu), parse.GetValue(users) ?? []), TimeProvider.System.GetUtcNow())));

        return new Command("groups", "Users who boot the same menu: list, put, delete") { list, put, Delete("group", "--id") };
    }

    private static Command Delete(string kind, string key)
    {
        var id = Required(key, $"the {kind} to delete");
        var delete = new Command("delete", $"Delete a {kind} and the memberships naming it") { id };
        delete.SetAction((parse, _) => CliStores.Run(parse, stores => AccountOperations.DeleteAsync(stores.Accounts, kind, parse.GetValue(id)!)));
        return delete;
    }
}
