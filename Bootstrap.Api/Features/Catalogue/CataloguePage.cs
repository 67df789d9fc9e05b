using Bootstrap.Api.Pages;
using Bootstrap.Builder.Catalogue;
using static Bootstrap.Api.Pages.Html;

namespace Bootstrap.Api.Features.Catalogue;

/// <summary>
/// <c>/catalogue</c> for the signed-in admin: images (create, upload a file, promote, delete) and
/// menus (edit the entries as lines, preview the iPXE script before saving, delete).
/// </summary>
public static class CataloguePage
{
    /// <summary>What the menu form shows: the last values typed and, after "Preview", the script they make.</summary>
    public sealed record MenuDraft(string Name, string Title, string Timeout, string Default, string Entries, string? Preview);

    public static HtmlPage Render(IReadOnlyList<CatalogueImage> images, IReadOnlyList<Menu> menus, IReadOnlyDictionary<string, string> scripts,
        string antiforgeryField, MenuDraft? draft = null, string? error = null, int status = StatusCodes.Status200OK) =>
        Page("Catalogue", "/catalogue", $$"""
            <h1>Images and menus</h1>
            <p class="lead">Images are staging (editable) until promoted to golden (frozen); menus offer golden images.
            A machine boots a menu from <code>/menu/&lt;name&gt;</code>, or from <code>/menu</code> after signing in.</p>
            {{SignInOrOut("/catalogue", antiforgeryField, "")}}
            {{ErrorLine(error)}}
            <h2>Images</h2>
            {{(images.Count == 0 ? "<p>No image yet.</p>" : string.Concat(images.Select(i => Image(i, antiforgeryField))))}}
            <h3>Create or describe a staging image</h3>
            <form method="post" action="/catalogue/images" id="image-form">
            {{antiforgeryField}}
            {{TextField("image-name", "name", "Name", "rescue")}}
            <div class="field"><label for="image-type">Type</label>
            <select id="image-type" name="type">{{string.Concat(ImageType.All.Select(t => $"<option>{E(t)}</option>"))}}</select></div>
            {{TextField("image-title", "title", "Title", "Rescue system", optional: true)}}
            {{TextField("image-kernel", "kernel", "Kernel file", "vmlinuz", optional: true)}}
            {{TextField("image-initrds", "initrds", "Initrd files (space-separated)", "initrd.img", optional: true)}}
            {{TextField("image-iso", "iso", "ISO file", "rescue.iso", optional: true)}}
            {{TextField("image-rootfs", "rootfs", "Root file system (livenet)", "root.squashfs", optional: true)}}
            {{TextField("image-args", "args", "Kernel arguments", "console=ttyS0", optional: true)}}
            <button type="submit">Save the description</button>
            </form>
            <h2>Menus</h2>
            {{(menus.Count == 0 ? "<p>No menu yet.</p>" : string.Concat(menus.Select(m => MenuCard(m, scripts.GetValueOrDefault(m.Name), antiforgeryField))))}}
            {{MenuForm(draft, antiforgeryField)}}
            """, status);

    private static string Image(CatalogueImage image, string antiforgeryField) => $$"""
        <section class="machine" data-state="{{E(image.State)}}" aria-labelledby="image-{{E(image.Name)}}">
        <h3 id="image-{{E(image.Name)}}">{{E(image.Name)}} <span class="state">{{E(image.State)}}</span></h3>
        <p>{{E(image.Title)}} · {{E(image.Type)}}{{(image.Args.Length > 0 ? $" · args <code>{E(image.Args)}</code>" : "")}}</p>
        <ul class="events">{{string.Concat(image.NamedFiles.Select(name => image.Files.FirstOrDefault(f => f.Name == name) is { } f
            ? $"<li><a href=\"/images/{E(image.Name)}/{E(f.Name)}\">{E(f.Name)}</a> {Size(f.Size)}, sha256 <code>{E(f.Sha256[..16])}…</code></li>"
            : $"<li>{E(name)}: <b>not uploaded yet</b></li>"))}}</ul>
        {{(image.State == ImageState.Golden ? "" : $$"""
        <form method="post" action="/catalogue/images/{{E(image.Name)}}/upload" enctype="multipart/form-data" class="upload">
        {{antiforgeryField}}
        <div class="field"><label for="file-name-{{E(image.Name)}}">File name</label>
        <select id="file-name-{{E(image.Name)}}" name="file">{{string.Concat(image.NamedFiles.Select(n => $"<option>{E(n)}</option>"))}}</select></div>
        <div class="field"><label for="file-{{E(image.Name)}}">File</label><input id="file-{{E(image.Name)}}" name="content" type="file" required></div>
        <button type="submit">Upload</button>
        </form>
        <form class="inline" method="post" action="/catalogue/images/{{E(image.Name)}}/promote">{{antiforgeryField}}<button type="submit">Promote to golden</button></form>
        """)}}
        <form class="inline" method="post" action="/catalogue/images/{{E(image.Name)}}/delete">{{antiforgeryField}}<button type="submit" class="secondary">Delete</button></form>
        </section>
        """;

    private static string MenuCard(Menu menu, string? script, string antiforgeryField) => $$"""
        <section class="machine" aria-labelledby="menu-{{E(menu.Name)}}">
        <h3 id="menu-{{E(menu.Name)}}">{{E(menu.Name)}}: {{E(menu.Title)}}</h3>
        <p>Timeout {{menu.Timeout}} s · <a href="/menu/{{E(menu.Name)}}">/menu/{{E(menu.Name)}}</a></p>
        <details><summary>Entries and script</summary><pre>{{E(MenuText.Format(menu.Entries))}}</pre><pre class="script">{{E(script ?? "")}}</pre></details>
        <a class="button secondary" href="/catalogue?edit={{Uri.EscapeDataString(menu.Name)}}#menu-form">Edit</a>
        <form class="inline" method="post" action="/catalogue/menus/{{E(menu.Name)}}/delete">{{antiforgeryField}}<button type="submit" class="secondary">Delete</button></form>
        </section>
        """;

    private static string MenuForm(MenuDraft? draft, string antiforgeryField) => $$"""
        <h3>Create or edit a menu</h3>
        <form method="post" action="/catalogue/menus" id="menu-form">
        {{antiforgeryField}}
        {{TextField("menu-name", "name", "Name", "lab", value: draft?.Name)}}
        {{TextField("menu-title", "title", "Title", "Lab machines", optional: true, value: draft?.Title)}}
        {{TextField("menu-timeout", "timeout", "Timeout in seconds (0 waits for a choice)", "10", optional: true, value: draft?.Timeout)}}
        {{TextField("menu-default", "default", "Default entry (an image name or an entry number from 0)", "debian", optional: true, value: draft?.Default)}}
        <div class="field"><label for="menu-entries">Entries, one per line</label>
        <textarea id="menu-entries" name="entries" rows="8" placeholder="image debian&#10;separator Tools&#10;network prod 1234&#10;local&#10;shell">{{E(draft?.Entries)}}</textarea>
        <p class="help"><code>image NAME</code>, <code>separator TEXT</code>, <code>local</code>, <code>network NET [FARM]</code>, <code>chain URL</code>, <code>shell</code></p></div>
        <button type="submit" name="action" value="preview" class="secondary">Preview</button>
        <button type="submit" name="action" value="save">Save</button>
        {{(draft?.Preview == null ? "" : $"""<h4>Preview</h4><pre id="preview" class="script">{E(draft.Preview)}</pre>""")}}
        </form>
        """;
}
