using System.Globalization;
using System.Text;
using Bootstrap.Builder.Boot;

namespace Bootstrap.Builder.Catalogue;

/// <summary>
/// Writes a menu as an iPXE script (<c>menu</c>, <c>item</c>, <c>choose --default --timeout</c>,
/// then one label per entry). Every value written was checked by <see cref="MenuRules"/>,
/// <see cref="ImageRules"/> or the config loader, so no value holds a character iPXE interprets.
/// A failing entry comes back to the menu.
/// </summary>
public static class MenuScript
{
    public static string Render(Menu menu, IReadOnlyDictionary<string, CatalogueImage> images, IReadOnlyDictionary<string, string> runmodes, string baseUrl)
    {
        var s = new StringBuilder();
        s.Append("#!ipxe\n");
        s.Append(CultureInfo.InvariantCulture, $"# Menu {menu.Name}, from {baseUrl}/menu/{menu.Name}\n");
        s.Append(":menu\n");
        s.Append(CultureInfo.InvariantCulture, $"menu {menu.Title}\n");
        for (var i = 0; i < menu.Entries.Count; i++)
        {
            var e = menu.Entries[i];
            var item = e.Separator != null ? $"item --gap {e.Separator}" : $"item e{i} {Label(e, images, runmodes)}";
            // An image for one architecture is offered only to the iPXE builds of that architecture.
            if (e.Image != null && KernelArchitecture.Named(images[e.Image].Architecture) is { } only)
                foreach (var build in only.BuildArchs)
                    s.Append(CultureInfo.InvariantCulture, $"iseq ${{buildarch}} {build} && {item} ||\n");
            else
                s.Append(item).Append('\n');
        }
        var first = menu.Default ?? menu.Entries.Select((e, i) => (e, i)).First(p => p.e.Bootable).i;
        s.Append(CultureInfo.InvariantCulture, $"choose --default e{first}{(menu.Timeout > 0 ? $" --timeout {menu.Timeout * 1000}" : "")} target || goto left\n");
        s.Append("goto ${target}\n");
        for (var i = 0; i < menu.Entries.Count; i++)
        {
            var e = menu.Entries[i];
            if (!e.Bootable)
                continue;
            s.Append(CultureInfo.InvariantCulture, $":e{i}\n");
            s.Append(Body(e, images, baseUrl));
            s.Append("goto failed\n");
        }
        s.Append(":failed\necho That entry did not boot: back to the menu in 5 seconds.\nsleep 5\ngoto menu\n");
        s.Append(":left\necho No entry was chosen: leaving the menu.\nexit\n");
        return s.ToString();
    }

    private static string Label(MenuEntry e, IReadOnlyDictionary<string, CatalogueImage> images, IReadOnlyDictionary<string, string> runmodes) =>
        e.Image != null ? images[e.Image].Title
        : e.Local == true ? "Boot from the local disk"
        : e.Network != null ? $"Network boot: {runmodes[e.Network]} ({e.Network}){(e.Farmer != null ? $", farm {e.Farmer}" : "")}"
        : e.Chain != null ? $"Chain to {e.Chain}"
        : "iPXE shell";

    private static string Body(MenuEntry e, IReadOnlyDictionary<string, CatalogueImage> images, string baseUrl)
    {
        if (e.Local == true)
            return "iseq ${platform} efi && exit ||\nsanboot --no-describe --drive 0x80 ||\n";
        if (e.Network != null)
            return $"chain {baseUrl}/ipxe/{e.Network}{(e.Farmer != null ? "/" + e.Farmer : "")} ||\n";
        if (e.Chain != null)
            return $"chain {e.Chain} ||\n";
        if (e.Shell == true)
            return "shell\ngoto menu\n";
        var image = images[e.Image!];
        string Url(string file) => $"{baseUrl}/images/{image.Name}/{file}";
        if (image.Type == ImageType.Iso)
            return $"sanboot --no-describe {Url(image.Iso!)} ||\n";
        var args = image.Args + (image.Type == ImageType.Livenet ? $" root=live:{Url(image.Rootfs!)}" : "");
        var s = new StringBuilder($"kernel {Url(image.Kernel!)}{(args.Trim().Length > 0 ? " " + args.Trim() : "")} || goto failed\n");
        foreach (var initrd in image.Initrds)
            s.Append($"initrd {Url(initrd)} || goto failed\n");
        s.Append("boot ||\n");
        return s.ToString();
    }
}
