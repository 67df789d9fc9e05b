using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;
using static Bootstrap.Api.Pages.PageForms;

namespace Bootstrap.Api.Features.Accounts;

/// <summary>The accounts page (<c>/accounts</c>, signed in) and its forms: users, organisations and groups, saved and deleted.</summary>
public static class AccountPageEndpoints
{
    public static void MapAccountPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/accounts", async Task<PageAnswer> (HttpContext http) => await AdminSession.IsSignedInAsync(http)
            ? await Accounts(http, null, StatusCodes.Status200OK) : TypedResults.Redirect("/signin?return=/accounts")).ExcludeFromDescription();
        app.MapPost("/accounts/users", (HttpContext http, AccountStore store, TimeProvider clock) => Post(http, "/accounts", Accounts, form =>
            AccountOperations.SaveUserAsync(store, form["name"].ToString(), new UserInput(Field(form, "password"), Words(form["organizations"])), Passwords.Hash, clock.GetUtcNow()))).ExcludeFromDescription();
        app.MapPost("/accounts/organizations", (HttpContext http, AccountStore store, TimeProvider clock) => Post(http, "/accounts", Accounts, form =>
            AccountOperations.SaveOrganizationAsync(store, form["id"].ToString(), new OrganizationInput(Field(form, "name"), Words(form["groups"])), clock.GetUtcNow()))).ExcludeFromDescription();
        app.MapPost("/accounts/groups", (HttpContext http, AccountStore store, MenuStore menus, TimeProvider clock) => Post(http, "/accounts", Accounts, form =>
            AccountOperations.SaveGroupAsync(store, menus, form["id"].ToString(), new GroupInput(Field(form, "name"), Field(form, "menu"), Words(form["users"])), clock.GetUtcNow()))).ExcludeFromDescription();
        app.MapPost("/accounts/{kinds}/{id}/delete", (HttpContext http, AccountStore store, string kinds, string id) =>
            Post(http, "/accounts", Accounts, _ => AccountOperations.Kinds.FirstOrDefault(k => k + "s" == kinds) is { } kind
                ? AccountOperations.DeleteAsync(store, kind, id)
                : Task.FromResult<Result<Done>>(Problem.NotFound($"no account kind '{LogText.Escape(kinds)}'")))).ExcludeFromDescription();
    }

    private static async Task<HtmlPage> Accounts(HttpContext http, string? error, int status)
    {
        var book = await http.RequestServices.GetRequiredService<AccountStore>().LoadAsync();
        var menus = (await http.RequestServices.GetRequiredService<MenuStore>().ListAsync()).Select(m => m.Name).ToList();
        return AccountsPage.Render(book, menus, AdminSession.FormToken(http), error, status);
    }
}
