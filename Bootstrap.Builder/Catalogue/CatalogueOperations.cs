using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Configuration;

namespace Bootstrap.Builder.Catalogue;

/// <summary>
/// The catalogue's operations, once for the API, the catalogue page and the CLI: each checks the
/// rules, acts on the stores and says what it did, or why not.
/// </summary>
public static class CatalogueOperations
{
    public static Task<Result<CatalogueImage>> DescribeAsync(ImageCatalogue images, string name, ImageInput input, DateTimeOffset now)
    {
        var (image, problem) = ImageRules.Check(name, input, now);
        return problem != null
            ? Task.FromResult<Result<CatalogueImage>>(Problem.Invalid(problem))
            : Guarded(async () => Result.Ok(await images.SaveAsync(image!), $"saved image {name}"));
    }

    /// <summary>Streams one file into a staging image; <paramref name="declaredLength"/> (a Content-Length, a file's size) is refused early when too large.</summary>
    public static Task<Result<ImageFile>> StoreFileAsync(ImageCatalogue images, BootstrapConfig config, string name, string file, long? declaredLength,
        Stream content, CancellationToken cancel)
    {
        if (declaredLength > config.MaxImageBytes)
            return Task.FromResult<Result<ImageFile>>(Problem.TooLarge($"the file is larger than max-image-bytes ({config.MaxImageBytes} bytes)"));
        return Guarded(async () =>
        {
            var stored = await images.StoreFileAsync(name, file, content, config.MaxImageBytes, cancel);
            return Result.Ok(stored, $"stored {name}/{file} ({stored.Size} bytes)");
        });
    }

    public static Task<Result<CatalogueImage>> PromoteAsync(ImageCatalogue images, string name) =>
        Guarded(async () => Result.Ok(await images.PromoteAsync(name), $"image {name} is golden"));

    public static async Task<Result<Done>> DeleteImageAsync(ImageCatalogue images, string name) =>
        await images.DeleteAsync(name) ? Result.Done($"deleted image {name}") : Problem.NotFound($"no image named '{LogText.Escape(name)}'");

    public static async Task<Result<Menu>> SaveMenuAsync(MenuStore store, ImageCatalogue images, BootstrapConfig config, string name, MenuInput input,
        DateTimeOffset now)
    {
        var known = (await images.ListAsync()).ToDictionary(i => i.Name);
        var (menu, problem) = MenuRules.Check(name, input, config.Runmodes, known.GetValueOrDefault, now);
        if (problem != null)
            return Problem.Invalid(problem);
        await store.SaveAsync(menu!);
        return Result.Ok(menu!, $"saved menu {name}");
    }

    /// <summary>Deletes a menu no group offers (a group's members would be left with nothing to boot).</summary>
    public static async Task<Result<Done>> DeleteMenuAsync(MenuStore store, AccountStore accounts, string name)
    {
        if (await accounts.GroupsUsingMenuAsync(name) is { Count: > 0 } groups)
            return Problem.Conflict($"menu '{name}' is offered by group {string.Join(", ", groups)}: give the group another menu first");
        return await store.DeleteAsync(name) ? Result.Done($"deleted menu {name}") : Problem.NotFound($"no menu named '{LogText.Escape(name)}'");
    }

    /// <summary>A stored menu's iPXE script (the API, the signed-in login and the CLI's preview show the same).</summary>
    public static async Task<Result<string>> MenuScriptAsync(MenuStore store, ImageCatalogue images, BootstrapConfig config, string name, string baseUrl) =>
        await store.GetAsync(name) is { } menu
            ? await ScriptOfAsync(menu, images, config, baseUrl)
            : Problem.NotFound($"no menu named '{LogText.Escape(name)}'");

    /// <summary>
    /// The menu <c>/menu/&lt;name&gt;</c> answers whoever asks: a public one to anyone, another only to a
    /// machine assigned it (<paramref name="askerIsAssigned"/>). To anyone else it does not exist:
    /// a group's menu is reached through the login, which names no menu to a stranger.
    /// </summary>
    public static async Task<Result<string>> MenuScriptForAsync(MenuStore store, ImageCatalogue images, BootstrapConfig config, string name, string baseUrl,
        bool askerIsAssigned) =>
        await store.GetAsync(name) is { } menu && (menu.Public || askerIsAssigned)
            ? await ScriptOfAsync(menu, images, config, baseUrl)
            : Problem.NotFound($"no public menu named '{LogText.Escape(name)}' (a group's menu is reached by signing in at /menu)");

    private static async Task<Result<string>> ScriptOfAsync(Menu menu, ImageCatalogue images, BootstrapConfig config, string baseUrl) =>
        ScriptOf(menu, (await images.ListAsync()).ToDictionary(i => i.Name), config, baseUrl);

    /// <summary>A menu's script with the catalogue already read (the catalogue page shows every menu's from one read).</summary>
    public static Result<string> ScriptOf(Menu menu, IReadOnlyDictionary<string, CatalogueImage> known, BootstrapConfig config, string baseUrl)
    {
        // An image deleted since the menu was saved cannot be offered: the menu says so rather than boot a 404.
        if (menu.Entries.FirstOrDefault(e => e.Image != null && !known.ContainsKey(e.Image)) is { } gone)
            return Problem.Conflict($"menu '{menu.Name}' offers image '{gone.Image}', which no longer exists: edit the menu");
        if (menu.Entries.FirstOrDefault(e => e.Network != null && !config.Runmodes.ContainsKey(e.Network)) is { } unknown)
            return Problem.Conflict($"menu '{menu.Name}' offers network '{unknown.Network}', which is no longer configured: edit the menu");
        var script = MenuScript.Render(menu, known, config.Runmodes, baseUrl);
        return Result.Ok(script, script);
    }

    /// <summary>The script a menu not saved yet would make (the catalogue page's Preview), or why it cannot be saved.</summary>
    public static async Task<Result<string>> PreviewMenuAsync(ImageCatalogue images, BootstrapConfig config, string name, MenuInput input, string baseUrl,
        DateTimeOffset now)
    {
        var known = (await images.ListAsync()).ToDictionary(i => i.Name);
        var (menu, problem) = MenuRules.Check(name, input, config.Runmodes, known.GetValueOrDefault, now);
        return problem != null ? Problem.Invalid(problem) : ScriptOf(menu!, known, config, baseUrl);
    }

    /// <summary>The catalogue's refusals, as problems.</summary>
    private static async Task<Result<T>> Guarded<T>(Func<Task<Result<T>>> action)
    {
        try
        {
            return await action();
        }
        catch (CatalogueException e)
        {
            return new Problem(e.Problem switch
            {
                CatalogueException.Kind.NotFound => ProblemKind.NotFound,
                CatalogueException.Kind.Frozen => ProblemKind.Conflict,
                CatalogueException.Kind.TooLarge => ProblemKind.TooLarge,
                _ => ProblemKind.Invalid,
            }, e.Message);
        }
    }
}
