using Bootstrap.Api.Http;
using Bootstrap.Builder.Accounts;
using Bootstrap.Builder.Catalogue;
using Bootstrap.Builder.Configuration;

namespace Bootstrap.Api.Endpoints;

/// <summary>The catalogue's admin actions, once for the API and the catalogue page: each checks, acts and says what happened.</summary>
public static class CatalogueActions
{
    public static Task<Outcome> DescribeAsync(ImageCatalogue images, string name, ImageInput input)
    {
        var (image, problem) = ImageRules.Check(name, input, DateTimeOffset.UtcNow);
        return problem != null
            ? Task.FromResult(Outcome.Refused(StatusCodes.Status400BadRequest, problem))
            : Guarded(async () => Outcome.Ok(await images.SaveAsync(image!), $"saved image {name}"));
    }

    /// <summary>Streams one file into a staging image; <paramref name="declaredLength"/> (Content-Length) is refused early when too large.</summary>
    public static Task<Outcome> StoreFileAsync(ImageCatalogue images, BootstrapConfig config, string name, string file, long? declaredLength,
        Stream content, CancellationToken cancel)
    {
        if (declaredLength > config.MaxImageBytes)
            return Task.FromResult(Outcome.Refused(StatusCodes.Status413PayloadTooLarge, $"the file is larger than max-image-bytes ({config.MaxImageBytes} bytes)"));
        return Guarded(async () =>
        {
            var stored = await images.StoreFileAsync(name, file, content, config.MaxImageBytes, cancel);
            return new Outcome(StatusCodes.Status201Created, $"stored {name}/{file} ({stored.Size} bytes)", stored);
        });
    }

    public static Task<Outcome> PromoteAsync(ImageCatalogue images, string name) =>
        Guarded(async () => Outcome.Ok(await images.PromoteAsync(name), $"image {name} is golden"));

    public static async Task<Outcome> DeleteImageAsync(ImageCatalogue images, string name) =>
        await images.DeleteAsync(name) ? Outcome.Done($"deleted image {name}")
            : Outcome.Refused(StatusCodes.Status404NotFound, $"no image named '{LogText.Escape(name)}'");

    public static async Task<Outcome> SaveMenuAsync(MenuStore store, ImageCatalogue images, BootstrapConfig config, string name, MenuInput input)
    {
        var known = (await images.ListAsync()).ToDictionary(i => i.Name);
        var (menu, problem) = MenuRules.Check(name, input, config.Runmodes, known.GetValueOrDefault, DateTimeOffset.UtcNow);
        if (problem != null)
            return Outcome.Refused(StatusCodes.Status400BadRequest, problem);
        await store.SaveAsync(menu!);
        return Outcome.Ok(menu!, $"saved menu {name}");
    }

    public static async Task<Outcome> DeleteMenuAsync(MenuStore store, AccountStore accounts, string name)
    {
        if (await accounts.GroupsUsingMenuAsync(name) is { Count: > 0 } groups)
            return Outcome.Refused(StatusCodes.Status409Conflict, $"menu '{name}' is offered by group {string.Join(", ", groups)}: give the group another menu first");
        return await store.DeleteAsync(name) ? Outcome.Done($"deleted menu {name}")
            : Outcome.Refused(StatusCodes.Status404NotFound, $"no menu named '{LogText.Escape(name)}'");
    }

    /// <summary>A stored menu's iPXE script as the message (the API, the signed-in login and the CLI's preview show the same).</summary>
    public static async Task<Outcome> MenuScriptAsync(MenuStore store, ImageCatalogue images, BootstrapConfig config, string name, string baseUrl) =>
        await store.GetAsync(name) is { } menu
            ? ScriptOf(menu, (await images.ListAsync()).ToDictionary(i => i.Name), config, baseUrl)
            : Outcome.Refused(StatusCodes.Status404NotFound, $"no menu named '{LogText.Escape(name)}'");

    /// <summary>A menu's script with the catalogue already read (the catalogue page shows every menu's from one read).</summary>
    public static Outcome ScriptOf(Menu menu, IReadOnlyDictionary<string, CatalogueImage> known, BootstrapConfig config, string baseUrl)
    {
        // An image deleted since the menu was saved cannot be offered: the menu says so rather than boot a 404.
        if (menu.Entries.FirstOrDefault(e => e.Image != null && !known.ContainsKey(e.Image)) is { } gone)
            return Outcome.Refused(StatusCodes.Status409Conflict, $"menu '{menu.Name}' offers image '{gone.Image}', which no longer exists: edit the menu");
        if (menu.Entries.FirstOrDefault(e => e.Network != null && !config.Runmodes.ContainsKey(e.Network)) is { } unknown)
            return Outcome.Refused(StatusCodes.Status409Conflict, $"menu '{menu.Name}' offers network '{unknown.Network}', which is no longer configured: edit the menu");
        return new Outcome(StatusCodes.Status200OK, MenuScript.Render(menu, known, config.Runmodes, baseUrl));
    }

    /// <summary>The script a menu not saved yet would make (the catalogue page's Preview), or why it cannot be saved.</summary>
    public static async Task<Outcome> PreviewMenuAsync(ImageCatalogue images, BootstrapConfig config, string name, MenuInput input, string baseUrl)
    {
        var known = (await images.ListAsync()).ToDictionary(i => i.Name);
        var (menu, problem) = MenuRules.Check(name, input, config.Runmodes, known.GetValueOrDefault, DateTimeOffset.UtcNow);
        return problem != null ? Outcome.Refused(StatusCodes.Status400BadRequest, problem) : ScriptOf(menu!, known, config, baseUrl);
    }

    /// <summary>Maps the catalogue's refusals to their status codes.</summary>
    private static async Task<Outcome> Guarded(Func<Task<Outcome>> action)
    {
        try
        {
            return await action();
        }
        catch (CatalogueException e)
        {
            return Outcome.Refused(e.Problem switch
            {
                CatalogueException.Kind.NotFound => StatusCodes.Status404NotFound,
                CatalogueException.Kind.Frozen => StatusCodes.Status409Conflict,
                CatalogueException.Kind.TooLarge => StatusCodes.Status413PayloadTooLarge,
                _ => StatusCodes.Status400BadRequest,
            }, e.Message);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Outcome.Refused(StatusCodes.Status413PayloadTooLarge, "the file is larger than max-image-bytes");
        }
    }
}
