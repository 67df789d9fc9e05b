using Bootstrap.Api.Features.Catalogue;
using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;

namespace Bootstrap.Api.Features.Accounts;

/// <summary>
/// Users, organisations and groups behind the admin token, and the login flow a machine walks:
/// <c>GET /menu</c> (iPXE's <c>login</c>), then <c>/login/menu[/{organization}[/{group}]]</c>
/// with HTTP Basic credentials, each answering the next choice or the group's menu.
/// </summary>
public static class AccountEndpoints
{
    public static void MapAccounts(this IEndpointRouteBuilder app)
    {
        MapKind(app, "user", book => book.Users, PutUser,
            "Create or change a user: password (8-128 printable characters; kept if absent), organizations", "Delete a user and their memberships");
        MapKind(app, "organization", book => book.Organizations, PutOrganization,
            "Create or replace an organization: name, groups (existing group ids)", "Delete an organization (its groups stay)");
        MapKind(app, "group", book => book.Groups, PutGroup,
            "Create or replace a group: name, menu (an existing menu), users", "Delete a group and take it out of its organizations");

        app.MapGet("/menu", (HttpContext http, BootstrapConfig config) => WithBase(http, config, baseUrl => PlainText.Script(LoginScripts.Login(baseUrl))))
            .WithSummary("The login script: iPXE asks for a user name and password, then offers that user's menus");
        app.MapGet(LoginScripts.SignedInPath, (HttpContext http, AccountStore store, MenuLogin login, MenuStore menus, ImageCatalogue images, BootstrapConfig config) =>
            Step(http, store, login, menus, images, config, null, null)).WithSummary("Signed in (HTTP Basic): the user's organizations, or the next level when there is one choice");
        app.MapGet(LoginScripts.SignedInPath + "/{organization}", (HttpContext http, AccountStore store, MenuLogin login, MenuStore menus, ImageCatalogue images, BootstrapConfig config, string organization) =>
            Step(http, store, login, menus, images, config, organization, null)).WithSummary("Signed in: the groups of an organization, or the group's menu when there is one");
        app.MapGet(LoginScripts.SignedInPath + "/{organization}/{group}", (HttpContext http, AccountStore store, MenuLogin login, MenuStore menus, ImageCatalogue images, BootstrapConfig config, string organization, string group) =>
            Step(http, store, login, menus, images, config, organization, group)).WithSummary("Signed in: a group's menu");
    }

    /// <summary>List, get, put and delete of one kind of account under <c>/api/{kind}s</c>, behind the admin token.</summary>
    private static void MapKind<T>(IEndpointRouteBuilder app, string kind, Func<AccountBook, IReadOnlyDictionary<string, T>> of, Delegate put,
        string putSummary, string deleteSummary)
    {
        var api = app.MapGroup($"/api/{kind}s").AddEndpointFilter<AdminToken>();
        api.MapGet("", async (AccountStore store) => TypedResults.Ok(of(await store.LoadAsync()).Values)).WithSummary($"Every {kind}").Admin();
        api.MapGet("/{id}", async Task<Results<Ok<T>, ProblemText>> (AccountStore store, string id) => of(await store.LoadAsync()).GetValueOrDefault(id) is { } found
            ? TypedResults.Ok(found) : NotFound(kind, id)).WithSummary($"One {kind}").Admin();
        api.MapPut("/{id}", put).WithSummary(putSummary).Admin();
        api.MapDelete("/{id}", async (AccountStore store, string id) => (await AccountOperations.DeleteAsync(store, kind, id)).ToNoContent()).WithSummary(deleteSummary).Admin();
    }

    private static ProblemText NotFound(string kind, string id) =>
        Problems.NotFound($"no {kind} named '{LogText.Escape(id)}'");

    private static Results<Text<Status.Ok>, ProblemText> WithBase(HttpContext http, BootstrapConfig config, Func<string, Results<Text<Status.Ok>, ProblemText>> answer)
    {
        var (baseUrl, problem) = http.PublicBaseUrl(config);
        return problem != null ? Problems.Invalid(problem) : answer(baseUrl!);
    }

    private static async Task<Results<Text<Status.Ok>, ProblemText, Text<Status.Unauthorized>, Text<Status.TooMany>>> Step(HttpContext http, AccountStore store, MenuLogin login, MenuStore menus, ImageCatalogue images,
        BootstrapConfig config, string? organization, string? group)
    {
        var (user, book, refusal) = await login.AuthenticateAsync(http, store);
        if (refusal != null)
            return Widen(refusal);
        var next = LoginStep.For(book!, user!, organization, group);
        if (next is LoginStep.BootMenu boot)
            return Widen(await CatalogueEndpoints.MenuScriptOf(http, menus, images, config, boot.Group.Menu));
        return Widen(WithBase(http, config, baseUrl => next switch
        {
            LoginStep.ChooseOrganization o => PlainText.Script(LoginScripts.Choose($"Organizations of {user}",
                o.Organizations.Select(x => (x.Id, x.Name)), baseUrl, "")),
            LoginStep.ChooseGroup g => PlainText.Script(LoginScripts.Choose($"Groups of {user} in {g.Organization.Name}",
                g.Groups.Select(x => (x.Id, x.Name)), baseUrl, "/" + g.Organization.Id)),
            LoginStep.Nothing n => PlainText.Script(LoginScripts.Message(n.Message, baseUrl)),
            LoginStep.NotFound f => Problems.NotFound(f.Message),
            _ => throw new InvalidOperationException($"unhandled login step {next}"),
        }));
    }

    /// <summary>A login step's answer: a script, a problem, or the login's own refusal (no credentials, or over the budget).</summary>
    private static Results<Text<Status.Ok>, ProblemText, Text<Status.Unauthorized>, Text<Status.TooMany>> Widen(IResult answer) => answer switch
    {
        Results<Text<Status.Ok>, ProblemText> either => Widen(either.Result),
        Text<Status.Ok> script => script,
        ProblemText problem => problem,
        Text<Status.Unauthorized> challenge => challenge,
        Text<Status.TooMany> tooMany => tooMany,
        _ => throw new InvalidOperationException($"a login step cannot answer {answer.GetType().Name}"),
    };

    private static async Task<Results<Ok<User>, ProblemText>> PutUser(HttpContext http, AccountStore store, TimeProvider clock, string id)
    {
        var (input, bodyProblem) = await JsonBody.ReadAsync<UserInput>(http, 16 * 1024);
        return bodyProblem != null ? bodyProblem : (await AccountOperations.SaveUserAsync(store, id, input!, Passwords.Hash, clock.GetUtcNow())).ToOk();
    }

    private static async Task<Results<Ok<Organization>, ProblemText>> PutOrganization(HttpContext http, AccountStore store, TimeProvider clock, string id)
    {
        var (input, bodyProblem) = await JsonBody.ReadAsync<OrganizationInput>(http, 16 * 1024);
        return bodyProblem != null ? bodyProblem : (await AccountOperations.SaveOrganizationAsync(store, id, input!, clock.GetUtcNow())).ToOk();
    }

    private static async Task<Results<Ok<Group>, ProblemText>> PutGroup(HttpContext http, AccountStore store, MenuStore menus, TimeProvider clock, string id)
    {
        var (input, bodyProblem) = await JsonBody.ReadAsync<GroupInput>(http, 64 * 1024);
        return bodyProblem != null ? bodyProblem : (await AccountOperations.SaveGroupAsync(store, menus, id, input!, clock.GetUtcNow())).ToOk();
    }
}
