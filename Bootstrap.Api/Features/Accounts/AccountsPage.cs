using Bootstrap.Api.Pages;
using Bootstrap.Builder.Accounts;
using static Bootstrap.Api.Pages.Html;

namespace Bootstrap.Api.Features.Accounts;

/// <summary>
/// <c>/accounts</c> for the signed-in admin: who may sign in at <c>/menu</c> (users), the teams
/// (organisations) and which menu each group of a team boots. Lists are typed space-separated.
/// </summary>
public static class AccountsPage
{
    public static HtmlPage Render(AccountBook book, IReadOnlyList<string> menus, string antiforgeryField, string? error = null, int status = StatusCodes.Status200OK) =>
        Page("Accounts", "/accounts", $$"""
            <h1>Users, organisations and groups</h1>
            <p class="lead">A machine that chains <code>/menu</code> asks for a user name and password, then offers that user's
            organisations, then groups, then the group's menu (a level with one choice is skipped).</p>
            {{SignInOrOut("/accounts", antiforgeryField, "")}}
            {{ErrorLine(error)}}
            <h2>Groups</h2>
            {{Table(["Id", "Name", "Menu", "Users"], book.Groups.Values.Select(g => (g.Id, new[] { g.Name, g.Menu, string.Join(" ", g.Users) })), "groups", antiforgeryField)}}
            <form method="post" action="/accounts/groups" id="group-form">
            {{antiforgeryField}}
            {{TextField("group-id", "id", "Id", "ops")}}
            {{TextField("group-name", "name", "Name", "Operations")}}
            <div class="field"><label for="group-menu">Menu</label>
            <select id="group-menu" name="menu">{{string.Concat(menus.Select(m => $"<option>{E(m)}</option>"))}}</select></div>
            {{TextField("group-users", "users", "Users (space-separated)", "alice bob")}}
            <button type="submit">Save the group</button>
            </form>
            <h2>Organisations</h2>
            {{Table(["Id", "Name", "Groups"], book.Organizations.Values.Select(o => (o.Id, new[] { o.Name, string.Join(" ", o.Groups) })), "organizations", antiforgeryField)}}
            <form method="post" action="/accounts/organizations" id="organization-form">
            {{antiforgeryField}}
            {{TextField("organization-id", "id", "Id", "acme")}}
            {{TextField("organization-name", "name", "Name", "Acme Corp")}}
            {{TextField("organization-groups", "groups", "Groups (space-separated)", "ops")}}
            <button type="submit">Save the organisation</button>
            </form>
            <h2>Users</h2>
            {{Table(["Name", "Organisations"], book.Users.Values.Select(u => (u.Name, new[] { string.Join(" ", u.Organizations) })), "users", antiforgeryField)}}
            <form method="post" action="/accounts/users" id="user-form">
            {{antiforgeryField}}
            {{TextField("user-name", "name", "Name", "alice")}}
            <div class="field"><label for="user-password">Password <span class="optional">(empty keeps the current one)</span></label>
            <input id="user-password" name="password" type="password" autocomplete="new-password"></div>
            {{TextField("user-organizations", "organizations", "Organisations (space-separated)", "acme")}}
            <button type="submit">Save the user</button>
            </form>
            """, status);

    private static string Table(string[] headers, IEnumerable<(string Key, string[] Cells)> rows, string kind, string antiforgeryField)
    {
        var list = rows.ToList();
        if (list.Count == 0)
            return $"<p>No {kind} yet.</p>";
        return $$"""
            <div class="table-wrap"><table id="{{kind}}-table">
            <thead><tr>{{string.Concat(headers.Select(h => $"<th scope=\"col\">{E(h)}</th>"))}}<th scope="col">Delete</th></tr></thead>
            <tbody>{{string.Concat(list.Select(r => $"""
                <tr><td>{E(r.Key)}</td>{string.Concat(r.Cells.Select(c => $"<td>{E(c)}</td>"))}<td><form class="inline" method="post" action="/accounts/{kind}/{E(r.Key)}/delete">{antiforgeryField}<button type="submit" class="secondary" aria-label="Delete {E(r.Key)}">Delete</button></form></td></tr>
                """))}}</tbody>
            </table></div>
            """;
    }
}
