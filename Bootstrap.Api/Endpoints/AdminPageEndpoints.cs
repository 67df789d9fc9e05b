using Bootstrap.Api.Http;
using Bootstrap.Api.Pages;
using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;
using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Machines;
using Bootstrap.Builder.Kernels;

namespace Bootstrap.Api.Endpoints;

/// <summary>
/// The admin pages' forms: kernels (<c>/images</c>), images and menus (<c>/catalogue</c>), users,
/// organisations and groups (<c>/accounts</c>). Each form post is signed in and carries an
/// antiforgery token, runs the same action as the API and redirects back, or shows the page again
/// with the refusal beside the forms. File uploads are streamed (<see cref="StreamedForm"/>).
/// </summary>
public static class AdminPageEndpoints
{
    public static void MapAdminPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/images", async (HttpContext http, KernelStore kernels, BootstrapConfig config) =>
                WantsHtml(http) ? await Kernels(http, null, StatusCodes.Status200OK) : TypedResults.Ok(kernels.List()))
            .WithSummary("Kernels, newest first, with the networks that boot each (HTML for browsers, JSON otherwise)")
            .Produces<IReadOnlyList<KernelInfo>>(200, "application/json", "text/html");
        app.MapPost("/kernels/upload", UploadKernel).ExcludeFromDescription();
        app.MapPost("/kernels/runmodes/{runmode}", (HttpContext http, KernelStore kernels, BootstrapConfig config, ILoggerFactory logs, string runmode) =>
            Post(http, "/images", Kernels, form => !config.Runmodes.ContainsKey(runmode)
                ? Task.FromResult(Outcome.Refused(StatusCodes.Status404NotFound, $"no network '{LogText.Escape(runmode)}' in config.json"))
                : AdminEndpoints.PointLinkAsync(kernels, logs, runmode + ".efi", form["kernel"].ToString()))).ExcludeFromDescription();
        app.MapPost("/kernels/{name}/delete", (HttpContext http, KernelStore kernels, MachineDirectory machines, ILoggerFactory logs, string name) =>
            Post(http, "/images", Kernels, _ => AdminEndpoints.DeleteKernelAsync(kernels, machines, logs, name))).ExcludeFromDescription();

        // ?edit=<menu> fills the menu form with that menu's values, to change and save it again.
        app.MapGet("/catalogue", async (HttpContext http, MenuStore menus, string? edit) =>
        {
            if (!await AdminSession.IsSignedInAsync(http))
                return Results.Redirect("/signin?return=/catalogue");
            var draft = edit != null && await menus.GetAsync(edit) is { } menu
                ? new CataloguePage.MenuDraft(menu.Name, menu.Title, menu.Timeout.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    menu.Default?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", MenuText.Format(menu.Entries), null)
                : null;
            return await Catalogue(http, null, StatusCodes.Status200OK, draft);
        }).ExcludeFromDescription();
        app.MapPost("/catalogue/images", (HttpContext http, ImageCatalogue images) => Post(http, "/catalogue", Catalogue, form =>
            CatalogueActions.DescribeAsync(images, form["name"].ToString(), new ImageInput(Field(form, "type"), Field(form, "title"), Field(form, "kernel"),
                Words(form["initrds"]), Field(form, "iso"), Field(form, "rootfs"), Field(form, "args"))))).ExcludeFromDescription();
        app.MapPost("/catalogue/images/{name}/upload", UploadImageFile).ExcludeFromDescription();
        app.MapPost("/catalogue/images/{name}/promote", (HttpContext http, ImageCatalogue images, string name) =>
            Post(http, "/catalogue", Catalogue, _ => CatalogueActions.PromoteAsync(images, name))).ExcludeFromDescription();
        app.MapPost("/catalogue/images/{name}/delete", (HttpContext http, ImageCatalogue images, string name) =>
            Post(http, "/catalogue", Catalogue, _ => CatalogueActions.DeleteImageAsync(images, name))).ExcludeFromDescription();
        app.MapPost("/catalogue/menus", SaveOrPreviewMenu).ExcludeFromDescription();
        app.MapPost("/catalogue/menus/{name}/delete", (HttpContext http, MenuStore menus, AccountStore accounts, string name) =>
            Post(http, "/catalogue", Catalogue, _ => CatalogueActions.DeleteMenuAsync(menus, accounts, name))).ExcludeFromDescription();

        app.MapGet("/accounts", async (HttpContext http) => await AdminSession.IsSignedInAsync(http)
            ? await Accounts(http, null, StatusCodes.Status200OK) : Results.Redirect("/signin?return=/accounts")).ExcludeFromDescription();
        app.MapPost("/accounts/users", (HttpContext http, AccountStore store) => Post(http, "/accounts", Accounts, form =>
            AccountEndpoints.SaveUserAsync(store, form["name"].ToString(), new UserInput(Field(form, "password"), Words(form["organizations"]))))).ExcludeFromDescription();
        app.MapPost("/accounts/organizations", (HttpContext http, AccountStore store) => Post(http, "/accounts", Accounts, form =>
            AccountEndpoints.SaveOrganizationAsync(store, form["id"].ToString(), new OrganizationInput(Field(form, "name"), Words(form["groups"]))))).ExcludeFromDescription();
        app.MapPost("/accounts/groups", (HttpContext http, AccountStore store, MenuStore menus) => Post(http, "/accounts", Accounts, form =>
            AccountEndpoints.SaveGroupAsync(store, menus, form["id"].ToString(), new GroupInput(Field(form, "name"), Field(form, "menu"), Words(form["users"]))))).ExcludeFromDescription();
        app.MapPost("/accounts/{kinds}/{id}/delete", (HttpContext http, AccountStore store, string kinds, string id) =>
            Post(http, "/accounts", Accounts, _ => kinds is "users" or "organizations" or "groups"
                ? AccountEndpoints.DeleteAsync(store, kinds.TrimEnd('s'), id)
                : Task.FromResult(Outcome.Refused(StatusCodes.Status404NotFound, $"no account kind '{LogText.Escape(kinds)}'")))).ExcludeFromDescription();
    }

    private delegate Task<IResult> Render(HttpContext http, string? error, int status);

    /// <summary>A signed-in form post: the action's outcome, then back to the page (or the page again with the refusal).</summary>
    private static async Task<IResult> Post(HttpContext http, string page, Render render, Func<IFormCollection, Task<Outcome>> action)
    {
        if (await AdminSession.CheckPostAsync(http) is { } refused)
            return refused;
        var outcome = await action(await http.Request.ReadFormAsync(http.RequestAborted));
        return await Answer(http, page, render, outcome);
    }

    private static async Task<IResult> Answer(HttpContext http, string page, Render render, Outcome outcome)
    {
        if (!outcome.Succeeded)
            return await render(http, outcome.Message, outcome.Status);
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Bootstrap.Admin").LogInformation("page {Page}: {Action}", page, outcome.Message);
        return Results.Redirect(page);
    }

    private static string? Field(IFormCollection form, string name) => form[name].ToString() is { Length: > 0 } value ? value : null;

    /// <summary>A list typed in one field, separated by spaces or commas.</summary>
    private static IReadOnlyList<string> Words(string? text) => (text ?? "").Split([' ', ',', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);

    private static async Task<IResult> UploadKernel(HttpContext http, KernelStore kernels, BootstrapConfig config, ILoggerFactory logs)
    {
        if (!await AdminSession.IsSignedInAsync(http))
            return Results.Redirect("/signin?return=/images");
        var outcome = await StreamedForm.ReadAsync(http, config.MaxUploadBytes, (fields, fileName, content) =>
            AdminEndpoints.StoreKernelAsync(kernels, logs, fields.GetValueOrDefault("name") is { Length: > 0 } given ? given : fileName, content, http.RequestAborted));
        return await Answer(http, "/images", Kernels, outcome);
    }

    private static async Task<IResult> UploadImageFile(HttpContext http, ImageCatalogue images, BootstrapConfig config, string name)
    {
        if (!await AdminSession.IsSignedInAsync(http))
            return Results.Redirect("/signin?return=/catalogue");
        var outcome = await StreamedForm.ReadAsync(http, config.MaxImageBytes, (fields, fileName, content) =>
            CatalogueActions.StoreFileAsync(images, config, name, fields.GetValueOrDefault("file") is { Length: > 0 } file ? file : fileName,
                declaredLength: null, content, http.RequestAborted));
        return await Answer(http, "/catalogue", Catalogue, outcome);
    }

    private static async Task<IResult> SaveOrPreviewMenu(HttpContext http, MenuStore menus, ImageCatalogue images, BootstrapConfig config)
    {
        if (await AdminSession.CheckPostAsync(http) is { } refused)
            return refused;
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var draft = new CataloguePage.MenuDraft(form["name"].ToString(), form["title"].ToString(), form["timeout"].ToString(),
            form["default"].ToString(), form["entries"].ToString(), null);
        var (entries, linesProblem) = MenuText.Parse(draft.Entries);
        if (linesProblem != null)
            return await Catalogue(http, linesProblem, StatusCodes.Status400BadRequest, draft);
        if (draft.Timeout.Length > 0 && !int.TryParse(draft.Timeout, out _))
            return await Catalogue(http, "timeout: a number of seconds", StatusCodes.Status400BadRequest, draft);
        var input = new MenuInput(Field(form, "title"), draft.Timeout.Length > 0 ? int.Parse(draft.Timeout) : null,
            draft.Default.Length == 0 ? null
            : System.Text.Json.JsonSerializer.SerializeToElement<object>(int.TryParse(draft.Default, out var index) ? index : draft.Default),
            entries);
        if (form["action"] != "preview")
            return await Answer(http, "/catalogue", (h, e, s) => Catalogue(h, e, s, draft), await CatalogueActions.SaveMenuAsync(menus, images, config, draft.Name, input));
        var preview = await CatalogueActions.PreviewMenuAsync(images, config, draft.Name, input, BaseUrl(http, config));
        return preview.Succeeded
            ? await Catalogue(http, null, StatusCodes.Status200OK, draft with { Preview = preview.Message })
            : await Catalogue(http, preview.Message, preview.Status, draft);
    }

    private static string BaseUrl(HttpContext http, BootstrapConfig config) => http.PublicBaseUrl(config).Url ?? "";

    private static async Task<IResult> Kernels(HttpContext http, string? error, int status)
    {
        var kernels = http.RequestServices.GetRequiredService<KernelStore>();
        var config = http.RequestServices.GetRequiredService<BootstrapConfig>();
        var antiforgery = await AdminSession.IsSignedInAsync(http) ? AdminSession.FormField(http) : null;
        return KernelsPage.Render(kernels.List(), config.Runmodes, antiforgery, error, status);
    }

    private static Task<IResult> Catalogue(HttpContext http, string? error, int status) => Catalogue(http, error, status, null);

    private static async Task<IResult> Catalogue(HttpContext http, string? error, int status, CataloguePage.MenuDraft? draft)
    {
        var images = http.RequestServices.GetRequiredService<ImageCatalogue>();
        var menus = http.RequestServices.GetRequiredService<MenuStore>();
        var config = http.RequestServices.GetRequiredService<BootstrapConfig>();
        var all = await images.ListAsync();
        var known = all.ToDictionary(i => i.Name);
        var list = await menus.ListAsync();
        var baseUrl = BaseUrl(http, config);
        var scripts = list.ToDictionary(m => m.Name, m => CatalogueActions.ScriptOf(m, known, config, baseUrl).Message);
        return CataloguePage.Render(all, list, scripts, AdminSession.FormField(http), draft, error, status);
    }

    private static async Task<IResult> Accounts(HttpContext http, string? error, int status)
    {
        var book = await http.RequestServices.GetRequiredService<AccountStore>().LoadAsync();
        var menus = (await http.RequestServices.GetRequiredService<MenuStore>().ListAsync()).Select(m => m.Name).ToList();
        return AccountsPage.Render(book, menus, AdminSession.FormField(http), error, status);
    }

    private static bool WantsHtml(HttpContext http) =>
        http.Request.GetTypedHeaders().Accept.OrderByDescending(a => a.Quality ?? 1)
            .FirstOrDefault(a => a.MediaType.Value is "text/html" or "application/json" or "*/*")?.MediaType.Value == "text/html";
}
