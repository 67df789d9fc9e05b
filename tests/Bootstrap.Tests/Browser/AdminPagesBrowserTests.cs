using Bootstrap.Tests.Support;
using Microsoft.Playwright;

namespace Bootstrap.Tests.Browser;

/// <summary>
/// The admin pages in Chromium, signed in once with the token: upload a kernel and point a runmode
/// at it (/images), build a menu and see its script before saving it (/catalogue), give a team a
/// menu (/accounts); each checked through the routes machines use.
/// </summary>
public sealed class AdminPagesBrowserTests(BrowserSite browser) : IClassFixture<BrowserSite>
{
    private async Task<IPage> SignedIn(string path)
    {
        var page = await browser.OpenAsync("/signin?return=" + Uri.EscapeDataString(path));
        await page.FillAsync("#token", TestSite.Token);
        await page.ClickAsync("button[type=submit]");
        Assert.Equal(new Uri(browser.Service.BaseAddress, path).ToString(), page.Url);
        return page;
    }

    [Fact]
    public async Task The_admin_uploads_a_kernel_and_points_a_runmode_at_it_from_the_page()
    {
        var kernel = new byte[300_000];
        new Random(7).NextBytes(kernel);
        var page = await SignedIn("/images");

        await page.FillAsync("#kernel-name", "zos-page.efi");
        await page.SetInputFilesAsync("#kernel-file", new FilePayload { Name = "local-name.efi", MimeType = "application/octet-stream", Buffer = kernel });
        await page.ClickAsync("#upload-kernel button[type=submit]");
        Assert.Contains("zos-page.efi", await page.TextContentAsync("#kernels"));

        await page.SelectOptionAsync("#runmode-test", "zos-page.efi");
        await page.ClickAsync("text=Point test at this kernel");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "kernels-admin.png"), FullPage = true });

        Assert.Equal("test", await page.TextContentAsync("#kernels tr:has(a:text-is('zos-page.efi')) td:nth-child(5)"));
        using var machine = browser.Service.Client();
        Assert.Equal(kernel, await machine.GetByteArrayAsync("/kernel/net/test.efi"));

        Assert.Equal("in use", await page.TextContentAsync("#kernels tr:has(a:text-is('zos.efi')) td:nth-child(6)"));

        await page.SelectOptionAsync("#runmode-test", "zos.efi");
        await page.ClickAsync("text=Point test at this kernel");
        await page.ClickAsync("button[aria-label='Delete zos-page.efi']");
        Assert.DoesNotContain("zos-page.efi", await page.TextContentAsync("#kernels"));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await machine.GetAsync("/kernel/zos-page.efi")).StatusCode);
    }

    [Fact]
    public async Task The_admin_builds_a_menu_previews_its_script_saves_it_and_gives_it_to_a_group()
    {
        var page = await SignedIn("/catalogue");

        await page.FillAsync("#menu-name", "lab");
        await page.FillAsync("#menu-title", "Lab machines");
        await page.FillAsync("#menu-timeout", "5");
        await page.FillAsync("#menu-default", "1");
        await page.FillAsync("#menu-entries", "separator Boot over the network\nnetwork prod 1234\nlocal\nshell");
        await page.CheckAsync("#menu-public");   // machines chain it without being assigned it
        await page.ClickAsync("button[value=preview]");
        var preview = await page.TextContentAsync("#preview");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "menu-preview.png"), FullPage = true });

        var baseUrl = $"http://127.0.0.1:{browser.Service.Port}";   // no base-host and no forwarded scheme: scripts use the scheme the browser used
        Assert.Equal($"""
            #!ipxe
            # Menu lab, from {baseUrl}/menu/lab
            :menu
            menu Lab machines
            item --gap Boot over the network
            item e1 Network boot: Production (prod), farm 1234
            item e2 Boot from the local disk
            item e3 iPXE shell
            choose --default e1 --timeout 5000 target || goto left
            goto {"${target}"}
            :e1
            chain {baseUrl}/ipxe/prod/1234 ||
            goto failed
            :e2
            iseq {"${platform}"} efi && exit ||
            sanboot --no-describe --drive 0x80 ||
            goto failed
            :e3
            shell
            goto menu
            goto failed
            :failed
            echo That entry did not boot: back to the menu in 5 seconds.
            sleep 5
            goto menu
            :left
            echo No entry was chosen: leaving the menu.
            exit

            """.Replace("\r", ""), preview);
        using var machine = browser.Service.Client();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await machine.GetAsync("/menu/lab")).StatusCode);   // a preview saves nothing

        await page.ClickAsync("button[value=save]");
        Assert.Equal(preview, await machine.GetStringAsync("/menu/lab"));

        await page.ClickAsync("section[aria-labelledby='menu-lab'] a:text-is('Edit')");   // the form comes back filled
        Assert.Equal(("lab", "Lab machines", "5", "1"), (await page.InputValueAsync("#menu-name"), await page.InputValueAsync("#menu-title"),
            await page.InputValueAsync("#menu-timeout"), await page.InputValueAsync("#menu-default")));
        Assert.True(await page.IsCheckedAsync("#menu-public"));
        await page.FillAsync("#menu-timeout", "9");
        await page.ClickAsync("button[value=save]");
        Assert.Contains("choose --default e1 --timeout 9000 target || goto left\n", await machine.GetStringAsync("/menu/lab"));
        await page.GotoAsync(new Uri(browser.Service.BaseAddress, "/catalogue?edit=lab").ToString());
        Assert.Equal("separator Boot over the network\nnetwork prod 1234\nlocal\nshell", await page.InputValueAsync("#menu-entries"));
        await page.FillAsync("#menu-timeout", "5");
        await page.ClickAsync("button[value=save]");
        Assert.Equal(preview, await machine.GetStringAsync("/menu/lab"));

        await page.GotoAsync(new Uri(browser.Service.BaseAddress, "/accounts").ToString());
        await page.FillAsync("#group-id", "ops");
        await page.FillAsync("#group-name", "Operations");
        await page.SelectOptionAsync("#group-menu", "lab");
        await page.FillAsync("#group-users", "alice");
        await page.ClickAsync("#group-form button[type=submit]");
        await page.FillAsync("#organization-id", "acme");
        await page.FillAsync("#organization-name", "Acme Corp");
        await page.FillAsync("#organization-groups", "ops");
        await page.ClickAsync("#organization-form button[type=submit]");
        await page.FillAsync("#user-name", "alice");
        await page.FillAsync("#user-password", "correct horse");
        await page.FillAsync("#user-organizations", "acme");
        await page.ClickAsync("#user-form button[type=submit]");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "accounts.png"), FullPage = true });

        var login = new HttpRequestMessage(HttpMethod.Get, "/login/menu");
        login.Headers.Authorization = new("Basic", Convert.ToBase64String("alice:correct horse"u8.ToArray()));
        Assert.Equal(preview, await (await machine.SendAsync(login)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_image_is_created_uploaded_and_promoted_from_the_page()
    {
        var page = await SignedIn("/catalogue");
        await page.FillAsync("#image-name", "rescue");
        await page.SelectOptionAsync("#image-type", "iso");
        await page.FillAsync("#image-title", "Rescue CD");
        await page.FillAsync("#image-iso", "rescue.iso");
        await page.ClickAsync("#image-form button[type=submit]");

        var iso = new byte[70_000];
        new Random(3).NextBytes(iso);
        await page.SetInputFilesAsync("#file-rescue", new FilePayload { Name = "whatever.iso", MimeType = "application/octet-stream", Buffer = iso });
        await page.ClickAsync("section[aria-labelledby='image-rescue'] form.upload button[type=submit]");
        await page.ClickAsync("text=Promote to golden");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "catalogue-image.png"), FullPage = true });

        Assert.Equal("golden", await page.TextContentAsync("section[aria-labelledby='image-rescue'] .state"));
        using var machine = browser.Service.Client();
        Assert.Equal(iso, await machine.GetByteArrayAsync("/images/rescue/rescue.iso"));
    }
}
