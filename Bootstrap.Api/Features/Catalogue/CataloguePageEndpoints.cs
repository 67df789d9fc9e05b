using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;
using static Bootstrap.Api.Pages.PageForms;

namespace Bootstrap.Api.Features.Catalogue;

/// <summary>
/// The catalogue page (<c>/catalogue</c>, signed in) and its forms: describe, upload (streamed),
/// promote and delete images; save, preview and delete menus.
/// </summary>
public static class CataloguePageEndpoints
{
    public static void MapCataloguePages(this IEndpointRouteBuilder app)
    {
        // ?edit=<menu> fills the menu form with that menu's values, to change and save it again.
        app.MapGet("/catalogue", async Task<PageAnswer> (HttpContext http, MenuStore menus, string? edit) =>
        {
            if (!await AdminSession.IsSignedInAsync(http))
                return TypedResults.Redirect("/signin?return=/catalogue");
            var draft = edit != null && await menus.GetAsync(edit) is { } menu
                ? new CataloguePage.MenuDraft(menu.Name, menu.Title, menu.Timeout.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    menu.Default?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "", MenuText.Format(menu.Entries), null, menu.Public)
                : null;
            return await Catalogue(http, null, StatusCodes.Status200OK, draft);
        }).ExcludeFromDescription();
        app.MapPost("/catalogue/images", (HttpContext http, ImageCatalogue images, TimeProvider clock) => Post(http, "/catalogue", Catalogue, form =>
            CatalogueOperations.DescribeAsync(images, form["name"].ToString(), new ImageInput(Field(form, "type"), Field(form, "title"), Field(form, "kernel"),
                Words(form["initrds"]), Field(form, "iso"), Field(form, "rootfs"), Field(form, "args"), Field(form, "architecture")), clock.GetUtcNow()))).ExcludeFromDescription();
        app.MapPost("/catalogue/images/{name}/upload", UploadImageFile).ExcludeFromDescription();
        app.MapPost("/catalogue/images/{name}/promote", (HttpContext http, ImageCatalogue images, string name) =>
            Post(http, "/catalogue", Catalogue, _ => CatalogueOperations.PromoteAsync(images, name))).ExcludeFromDescription();
        app.MapPost("/catalogue/images/{name}/delete", (HttpContext http, ImageCatalogue images, string name) =>
            Post(http, "/catalogue", Catalogue, _ => CatalogueOperations.DeleteImageAsync(images, name))).ExcludeFromDescription();
        app.MapPost("/catalogue/menus", SaveOrPreviewMenu).ExcludeFromDescription();
        app.MapPost("/catalogue/menus/{name}/delete", (HttpContext http, MenuStore menus, AccountStore accounts, string name) =>
            Post(http, "/catalogue", Catalogue, _ => CatalogueOperations.DeleteMenuAsync(menus, accounts, name))).ExcludeFromDescription();
    }

    private static async Task<PageAnswer> UploadImageFile(HttpContext http, ImageCatalogue images, BootstrapConfig config, string name)
    {
        if (!await AdminSession.IsSignedInAsync(http))
            return TypedResults.Redirect("/signin?return=/catalogue");
        var stored = await StreamedForm.ReadAsync(http, config.MaxImageBytes, (fields, fileName, content) =>
            CatalogueEndpoints.StoreFileAsync(images, config, name, fields.GetValueOrDefault("file") is { Length: > 0 } file ? file : fileName,
                declaredLength: null, content, http.RequestAborted));
        return await Answer(http, "/catalogue", Catalogue, stored);
    }

    private static async Task<PageAnswer> SaveOrPreviewMenu(HttpContext http, MenuStore menus, ImageCatalogue images, BootstrapConfig config, TimeProvider clock)
    {
        if (await AdminSession.CheckPostAsync(http) is { } refused)
            return refused;
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var draft = new CataloguePage.MenuDraft(form["name"].ToString(), form["title"].ToString(), form["timeout"].ToString(),
            form["default"].ToString(), form["entries"].ToString(), null, form["public"] == "true");
        var (entries, linesProblem) = MenuText.Parse(draft.Entries);
        if (linesProblem != null)
            return await Catalogue(http, linesProblem, StatusCodes.Status400BadRequest, draft);
        if (draft.Timeout.Length > 0 && !int.TryParse(draft.Timeout, out _))
            return await Catalogue(http, "timeout: a number of seconds", StatusCodes.Status400BadRequest, draft);
        var input = new MenuInput(Field(form, "title"), draft.Timeout.Length > 0 ? int.Parse(draft.Timeout) : null,
            draft.Default.Length == 0 ? null
            : System.Text.Json.JsonSerializer.SerializeToElement<object>(int.TryParse(draft.Default, out var index) ? index : draft.Default),
            entries, draft.Public);
        if (form["action"] != "preview")
            return await Answer(http, "/catalogue", (h, e, s) => Catalogue(h, e, s, draft),
                await CatalogueOperations.SaveMenuAsync(menus, images, config, draft.Name, input, clock.GetUtcNow()));
        var preview = await CatalogueOperations.PreviewMenuAsync(images, config, draft.Name, input, BaseUrl(http, config), clock.GetUtcNow());
        return preview.Succeeded
            ? await Catalogue(http, null, StatusCodes.Status200OK, draft with { Preview = preview.Value })
            : await Catalogue(http, preview.Problem.Message, Problems.StatusOf(preview.Problem.Kind), draft);
    }

    private static string BaseUrl(HttpContext http, BootstrapConfig config) => http.PublicBaseUrl(config).Url ?? "";

    private static Task<HtmlPage> Catalogue(HttpContext http, string? error, int status) => Catalogue(http, error, status, null);

    private static async Task<HtmlPage> Catalogue(HttpContext http, string? error, int status, CataloguePage.MenuDraft? draft)
    {
        var images = http.RequestServices.GetRequiredService<ImageCatalogue>();
        var menus = http.RequestServices.GetRequiredService<MenuStore>();
        var config = http.RequestServices.GetRequiredService<BootstrapConfig>();
        var all = await images.ListAsync();
        var known = all.ToDictionary(i => i.Name);
        var list = await menus.ListAsync();
        var baseUrl = BaseUrl(http, config);
        var scripts = list.ToDictionary(m => m.Name, m => CatalogueOperations.ScriptOf(m, known, config, baseUrl).Message);
        return CataloguePage.Render(all, list, scripts, AdminSession.FormToken(http), draft, error, status);
    }
}
