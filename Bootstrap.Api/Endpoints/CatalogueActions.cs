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

    /// <summary>Checks a menu against the catalogue and the runmodes: the menu, or the problem naming the field.</summary>
    public static async Task<(Menu? Menu, string? Problem)> CheckMenuAsync(ImageCatalogue images, BootstrapConfig config, string name, MenuInput input)
    {
        var known = (await images.ListAsync()).ToDictionary(i => i.Name);
        return MenuRules.Check(name, input, config.Runmodes, known.GetValueOrDefault, DateTimeOffset.UtcNow);
    }

    public static async Task<Outcome> SaveMenuAsync(MenuStore store, ImageCatalogue images, BootstrapConfig config, string name, MenuInput input)
    {
        var (menu, problem) = await CheckMenuAsync(images, config, name, input);
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

    /// <summary>A stored menu's iPXE script as the message (the API, the catalogue page and the CLI's preview show the same).</summary>
    public static async Task<Outcome> MenuScriptAsync(MenuStore store, ImageCatalogue images, BootstrapConfig config, string name, string baseUrl)
    {
        if (await store.GetAsync(name) is not { } menu)
            return Outcome.Refused(StatusCodes.Status404NotFound, $"no menu named '{LogText.Escape(name)}'");
        var known = (await images.ListAsync()).ToDictionary(i => i.Name);
        // An image deleted since the menu was saved cannot be offered: the menu says so rather than boot a 404.
        if (menu.Entries.FirstOrDefault(e => e.Image != null && !known.ContainsKey(e.Image)) is { } gone)
            return Outcome.Refused(StatusCodes.Status409Conflict, $"menu '{name}' offers image '{gone.Image}', which no longer exists: edit the menu");
        if (menu.Entries.FirstOrDefault(e => e.Network != null && !config.Runmodes.ContainsKey(e.Network)) is { } unknown)
            return Outcome.Refused(StatusCodes.Status409Conflict, $"menu '{name}' offers network '{unknown.Network}', which is no longer configured: edit the menu");
        return new Outcome(StatusCodes.Status200OK, MenuScript.Render(menu, known, config.Runmodes, baseUrl));
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
