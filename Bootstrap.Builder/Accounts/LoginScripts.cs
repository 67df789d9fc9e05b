using System.Text;

namespace Bootstrap.Builder.Accounts;

/// <summary>Where a signed-in user's request leads: a list to choose from, a group's menu, or a message.</summary>
public abstract record LoginStep
{
    public sealed record ChooseOrganization(IReadOnlyList<Organization> Organizations) : LoginStep;
    public sealed record ChooseGroup(Organization Organization, IReadOnlyList<Group> Groups) : LoginStep;
    public sealed record BootMenu(Group Group) : LoginStep;
    public sealed record Nothing(string Message) : LoginStep;
    public sealed record NotFound(string Message) : LoginStep;

    /// <summary>
    /// The next step for <paramref name="user"/> having chosen <paramref name="organization"/> and
    /// <paramref name="group"/> so far (null: not yet). A level with one choice is taken for them.
    /// </summary>
    public static LoginStep For(AccountBook book, string user, string? organization, string? group)
    {
        Organization org;
        if (organization == null)
        {
            var offered = book.OrganizationsOf(user);
            if (offered.Count == 0)
                return new Nothing($"{user} is in no group that offers a menu yet: ask an admin.");
            if (offered.Count > 1)
                return new ChooseOrganization(offered);
            org = offered[0];
        }
        else if (book.OrganizationsOf(user).FirstOrDefault(o => o.Id == organization) is { } chosen)
            org = chosen;
        else
            return new NotFound($"{user} has no organization '{organization}' with a menu");
        var groups = book.GroupsOf(user, org);
        if (group == null)
            return groups.Count == 1 ? new BootMenu(groups[0]) : new ChooseGroup(org, groups);
        return groups.FirstOrDefault(g => g.Id == group) is { } picked
            ? new BootMenu(picked)
            : new NotFound($"{user} is in no group '{group}' of organization '{org.Id}'");
    }
}

/// <summary>
/// The iPXE scripts of the <c>/menu</c> login (seed 003's flow): <c>login</c> asks for a user name
/// and password, and every later request carries them as the URL's user information. iPXE sends
/// them as HTTP Basic authentication when the service answers 401 (RFC 7617), so they never
/// appear in a path or a log line. Ids and names were checked by <see cref="AccountRules"/>, so
/// none holds a character iPXE interprets.
/// </summary>
public static class LoginScripts
{
    /// <summary>The path every signed-in request starts with.</summary>
    public const string SignedInPath = "/login/menu";

    /// <summary>An item label no id can take (ids start with a letter or digit).</summary>
    private const string SignOutItem = ".signout";

    public static string Login(string baseUrl) =>
        $$"""
        #!ipxe
        # Sign in to the boot menus of {{baseUrl}}
        :login
        login || goto cancelled
        chain {{SignedIn(baseUrl)}} || goto refused
        exit
        :refused
        echo Signing in failed: a wrong user name or password, or too many attempts. Try again.
        clear password
        sleep 3
        goto login
        :cancelled
        echo Signing in was cancelled: leaving the menu.
        exit

        """;

    /// <summary>A list of organisations or groups; the chosen id is appended to <paramref name="nextPath"/>.</summary>
    public static string Choose(string title, IEnumerable<(string Id, string Name)> choices, string baseUrl, string nextPath)
    {
        var s = new StringBuilder();
        s.Append("#!ipxe\n:choose\n");
        s.Append($"menu {title}\n");
        foreach (var (id, name) in choices)
            s.Append($"item {id} {name}\n");
        s.Append("item --gap\n");
        s.Append($"item {SignOutItem} Sign out\n");
        s.Append("choose target || exit\n");
        s.Append($"iseq ${{target}} {SignOutItem} && goto signout ||\n");
        s.Append($"chain {SignedIn(baseUrl)}{nextPath}/${{target}} || goto failed\n");
        s.Append("exit\n");
        s.Append(":failed\necho That choice did not load: back to the list in 5 seconds.\nsleep 5\ngoto choose\n");
        s.Append($":signout\nclear username\nclear password\nchain {baseUrl}/menu\n");
        return s.ToString();
    }

    /// <summary>A message shown for a while before the login comes back.</summary>
    public static string Message(string message, string baseUrl) =>
        $"#!ipxe\necho {message}\nsleep 10\nclear username\nclear password\nchain {baseUrl}/menu\n";

    /// <summary>The service's address with the signed-in user's credentials as user information.</summary>
    private static string SignedIn(string baseUrl)
    {
        var scheme = baseUrl.IndexOf("://", StringComparison.Ordinal) + 3;
        return $"{baseUrl[..scheme]}${{username:uristring}}:${{password:uristring}}@{baseUrl[scheme..]}{SignedInPath}";
    }
}
