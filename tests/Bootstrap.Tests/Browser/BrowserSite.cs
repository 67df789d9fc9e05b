using Bootstrap.Tests.Support;
using Microsoft.Playwright;

namespace Bootstrap.Tests.Browser;

/// <summary>A live service and Debian's Chromium driven by Playwright (its own browser download cannot work here).</summary>
public sealed class BrowserSite : IAsyncLifetime
{
    public TestSite Site { get; } = new(c => c["ipxe-template"] = RepoTemplate.Folder);
    public LiveService Service { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    private IPlaywright _playwright = null!;

    /// <summary>Where screenshots go: the test output folder, for a person to look at.</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        Site.AddProdKernel();
        Service = new LiveService(Site.ConfigFile);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--disable-quic"],
        });
    }

    public async Task<IPage> OpenAsync(string path, BrowserNewContextOptions? options = null)
    {
        var context = await Browser.NewContextAsync(options ?? new() { AcceptDownloads = true });
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(Service.BaseAddress, path).ToString());
        return page;
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        Service.Dispose();
        Site.Dispose();
    }
}
