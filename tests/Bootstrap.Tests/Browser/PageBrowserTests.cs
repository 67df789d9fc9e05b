using System.Net.Http.Headers;
using Bootstrap.Tests.Support;
using Microsoft.Playwright;

namespace Bootstrap.Tests.Browser;

/// <summary>The pages in a real browser: what a farmer sees, types and downloads.</summary>
public sealed class PageBrowserTests(BrowserSite browser) : IClassFixture<BrowserSite>
{
    private string Base => browser.Service.BaseAddress.ToString().TrimEnd('/');

    [Fact]
    public async Task Farmer_fills_the_form_and_downloads_an_iso_carrying_the_farm_id()
    {
        var page = await browser.OpenAsync("/generate");
        await page.SelectOptionAsync("#network", "prod");
        await page.FillAsync("#farmer", "4242");
        await page.FillAsync("#args", "console=ttyS0 root=/dev/ram0");
        await page.CheckAsync("input[name=format][value=iso]");
        await page.ClickAsync("button[type=submit]");

        Assert.Equal($"{Base}/iso/prod/4242/console=ttyS0%20root=___dev___ram0", await page.InputValueAsync("#url"));
        Assert.Equal($"curl -o ipxe-prod.iso '{Base}/iso/prod/4242/console=ttyS0%20root=___dev___ram0'", await page.InputValueAsync("#curl"));
        Assert.Equal($"chain {Base}/ipxe/prod/4242/console=ttyS0%20root=___dev___ram0", await page.InputValueAsync("#chain"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "generate-filled.png"), FullPage = true });

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download"));
        var file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}-{download.SuggestedFilename}");
        await download.SaveAsAsync(file);
        var iso = File.ReadAllBytes(file);

        Assert.Equal("ipxe-prod.iso", download.SuggestedFilename);
        Assert.Equal("CD001"u8.ToArray(), iso[0x8001..0x8006]);
        Assert.Contains("\nimgfetch --name kernel http://127.0.0.1:" + browser.Service.Port + "/kernel/net/prod.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=4242 console=ttyS0 root=/dev/ram0 && goto boot ||\n",
            Scripts.AsSeenBy(Tool.Ok("isoinfo", "-i", file, "-x", "/BOOT.IPXE;1")));
    }

    [Fact]
    public async Task Invalid_farm_id_is_shown_without_any_request()
    {
        var page = await browser.OpenAsync("/generate");
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);

        await page.FillAsync("#farmer", "12a4");
        await page.ClickAsync("button[type=submit]");

        Assert.True(await page.IsVisibleAsync("#farmer-error"));
        Assert.Equal("Character 'a' (U+0061) is not allowed; a farm id is digits only.", await page.TextContentAsync("#farmer-error"));
        Assert.Equal("true", await page.GetAttributeAsync("#farmer", "aria-invalid"));
        Assert.False(await page.IsVisibleAsync("#result"));
        Assert.Empty(requests);

        await page.FillAsync("#args", "a;reboot");
        await page.FillAsync("#farmer", "12");
        Assert.Equal("Character ';' (U+003B) is not allowed; allowed are letters, digits, space and = _ . , : - + /.", await page.TextContentAsync("#args-error"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "generate-errors.png"), FullPage = true });
        Assert.Empty(requests);
    }

    [Fact]
    public async Task A_reserved_kernel_key_in_the_arguments_is_shown_as_you_type()
    {
        var page = await browser.OpenAsync("/generate");
        var requests = new List<string>();
        page.Request += (_, request) => requests.Add(request.Url);

        await page.FillAsync("#farmer", "12");
        await page.ClickAsync("button[type=submit]");
        Assert.True(await page.IsVisibleAsync("#result"));
        await page.FillAsync("#args", "console=ttyS0 runmode=dev");

        Assert.Equal("'runmode' is set by the service and cannot be given in args (reserved: runmode, farmer_id, version, panic, bootstrap_url, bootstrap_token, answer_url).",
            await page.TextContentAsync("#args-error"));
        Assert.False(await page.IsVisibleAsync("#result"));
        Assert.Empty(requests);
    }

    [Fact]
    public async Task Args_the_url_cannot_carry_are_shown_as_you_type_and_a_slash_after_an_underscore_round_trips()
    {
        var page = await browser.OpenAsync("/generate");
        await page.FillAsync("#farmer", "12");
        await page.ClickAsync("button[type=submit]");
        await page.FillAsync("#args", "x_/y");

        Assert.Equal("'_' right before '/' cannot be written in a URL, where '/' travels as ___ (put another character between them).",
            await page.TextContentAsync("#args-error"));
        Assert.False(await page.IsVisibleAsync("#result"));

        await page.FillAsync("#args", "x/_y");
        Assert.Equal($"{Base}/ipxe/prod/12/x____y", (await page.InputValueAsync("#chain"))[6..]);
    }

    [Fact]
    public async Task Without_javascript_the_server_renders_the_download()
    {
        var page = await browser.OpenAsync("/generate", new() { JavaScriptEnabled = false, AcceptDownloads = true });
        await page.FillAsync("#farmer", "77");
        await page.CheckAsync("input[name=format][value=uefi]");
        await page.ClickAsync("button[type=submit]");

        Assert.Equal("/uefi/prod/77", await page.GetAttributeAsync("#download", "href"));
        Assert.Equal($"{Base}/uefi/prod/77", await page.InputValueAsync("#url"));
        Assert.Equal("Download ipxe-prod.efi", (await page.TextContentAsync("#download"))!.Trim());

        await page.GotoAsync($"{Base}/generate?network=prod&farmer=x1&format=iso");
        Assert.Equal("Character 'x' (U+0078) is not allowed; a farm id is digits only.", await page.TextContentAsync("#farmer-error"));
    }

    [Fact]
    public async Task Kernel_list_shows_a_kernel_uploaded_through_the_admin_api()
    {
        using var admin = browser.Service.Client();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", TestSite.Token);
        var file = new ByteArrayContent(new byte[3 * 1024 * 1024]);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        Assert.True((await admin.PostAsync("/api/kernel", new MultipartFormDataContent { { file, "kernel", "zos-v3.5.efi" } })).IsSuccessStatusCode);
        Assert.True((await admin.PostAsync("/api/symlink/test.efi/zos-v3.5.efi", null)).IsSuccessStatusCode);

        var page = await browser.OpenAsync("/images");
        var firstRow = await page.Locator("#kernels tbody tr").First.Locator("td").AllTextContentsAsync();

        Assert.Equal("zos-v3.5.efi", firstRow[0]);
        Assert.Equal("unknown", firstRow[1]);
        Assert.Equal("3.0 MiB", firstRow[2]);
        Assert.Equal("test", firstRow[4]);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "images.png"), FullPage = true });

        var expert = await browser.OpenAsync("/expert");
        await expert.FillAsync("#farmer", "9");
        await expert.SelectOptionAsync("#kernel", "zos-v3.5.efi");
        await expert.ClickAsync("button[type=submit]");
        Assert.Equal($"{Base}/iso/prod/9/%20/zos-v3.5.efi", await expert.InputValueAsync("#url"));
        await expert.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "expert.png"), FullPage = true });
        using var check = browser.Service.Client();
        Assert.Contains("/kernel/zos-v3.5.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=9 && goto boot ||",
            Scripts.AsSeenBy(await check.GetStringAsync("/ipxe/prod/9/%20/zos-v3.5.efi")));
    }

    [Fact]
    public async Task Generator_fits_a_phone_screen()
    {
        var page = await browser.OpenAsync("/generate", new() { ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true });
        await page.FillAsync("#farmer", "4242");
        await page.ClickAsync("button[type=submit]");

        var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");

        Assert.True(overflow <= 0, $"the page is {overflow} px wider than the phone");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "generate-phone.png"), FullPage = true });
    }

    [Fact]
    public async Task Every_input_has_a_label()
    {
        var page = await browser.OpenAsync("/expert");

        var unlabelled = await page.EvaluateAsync<string[]>(
            "[...document.querySelectorAll('input:not([type=radio]), select')].filter(e => !document.querySelector(`label[for='${e.id}']`)).map(e => e.id)");

        Assert.Empty(unlabelled);
    }
}

/// <summary>/machines in Chromium: a machine that asked shows up, and the signed-in admin assigns it from the page.</summary>
public sealed class MachinesPageBrowserTests(BrowserSite browser) : IClassFixture<BrowserSite>
{
    [Fact]
    public async Task A_discovered_machine_is_listed_and_assigning_it_on_the_page_changes_its_state()
    {
        using var machine = browser.Service.Client();
        await machine.GetAsync("/provision/52:54:00:cc:00:01?serial=SN-PAGE&manufacturer=Acme&product=Rack9&platform=efi");

        var page = await browser.OpenAsync("/machines");
        Assert.Equal("discovered", await page.TextContentAsync("#states tr[data-state=discovered] td"));
        Assert.DoesNotContain("52:54:00:cc:00:01", await page.ContentAsync());

        await page.ClickAsync("text=Sign in to assign machines");
        await page.FillAsync("#token", "wrong-token");
        await page.ClickAsync("button[type=submit]");
        Assert.Equal("That is not the admin token.", await page.TextContentAsync("#token-error"));
        await page.FillAsync("#token", TestSite.Token);
        await page.ClickAsync("button[type=submit]");
        Assert.Equal("discovered", await page.TextContentAsync("section[aria-labelledby='m-525400cc0001'] .state"));
        Assert.Contains("Acme, Rack9, serial SN-PAGE, efi", await page.TextContentAsync("section[aria-labelledby='m-525400cc0001']"));

        await page.SelectOptionAsync("#network-525400cc0001", "test");
        await page.FillAsync("#farmer-525400cc0001", "4242");
        await page.FillAsync("#args-525400cc0001", "console=ttyS0");
        await page.SelectOptionAsync("#then-525400cc0001", "local");
        await page.ClickAsync("section[aria-labelledby='m-525400cc0001'] form.assign button[type=submit]");
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserSite.Screenshots, "machines-assigned.png"), FullPage = true });

        Assert.Equal("assigned", await page.TextContentAsync("section[aria-labelledby='m-525400cc0001'] .state"));
        Assert.Contains("network test, farm 4242, args console=ttyS0, then local", await page.TextContentAsync("section[aria-labelledby='m-525400cc0001']"));
        Assert.Contains("assigned: assigned network=test farmer=4242 args=console=ttyS0", await page.TextContentAsync("section[aria-labelledby='m-525400cc0001'] details"));
    }

    [Fact]
    public async Task Without_javascript_a_visitor_sees_counts_by_state_and_a_post_without_sign_in_changes_nothing()
    {
        using var machine = browser.Service.Client();
        await machine.GetAsync("/provision/52:54:00:cc:00:02?serial=SN-NOJS");

        var page = await browser.OpenAsync("/machines", new() { JavaScriptEnabled = false });
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = browser.Service.BaseAddress };
        var forged = await noRedirects.PostAsync("/machines/52:54:00:cc:00:02/delete", new FormUrlEncodedContent([]));

        Assert.Equal("discovered", await page.TextContentAsync("#states tr[data-state=discovered] td"));
        Assert.DoesNotContain("52:54:00:cc:00:02", await page.ContentAsync());
        Assert.Equal(System.Net.HttpStatusCode.Redirect, forged.StatusCode);
        Assert.Equal("/signin?return=%2Fmachines%2F52%3A54%3A00%3Acc%3A00%3A02%2Fdelete", forged.Headers.Location?.OriginalString);
        using var admin = browser.Service.Client();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", TestSite.Token);
        Assert.Equal("discovered", (await MachineApi.GetAsync(admin, "/api/machines/52:54:00:cc:00:02")).GetProperty("state").GetString());
    }
}
