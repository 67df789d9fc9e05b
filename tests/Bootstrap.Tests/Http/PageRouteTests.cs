using System.Net;
using System.Text.Json;
using Bootstrap.Builder.Images;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

public sealed class PageRouteTests : IDisposable
{
    private readonly TestSite _site = new(c => c["ipxe-template"] = RepoTemplate.Folder);

    public PageRouteTests() => _site.AddProdKernel();

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task Html_pages_carry_a_strict_content_security_policy()
    {
        var response = await _site.Client().GetAsync("/generate");

        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>", html);      // no inline script: the CSP would block it
        Assert.DoesNotContain("http://", html.Replace("http://bootstrap.test", ""));
    }

    [Theory]
    [InlineData("text/html,application/xhtml+xml,*/*;q=0.8", "text/html; charset=utf-8")]
    [InlineData("application/json", "application/json; charset=utf-8")]
    [InlineData("*/*", "application/json; charset=utf-8")]
    public async Task Images_answers_html_to_browsers_and_json_to_the_rest(string accept, string contentType)
    {
        var client = _site.Client();
        client.DefaultRequestHeaders.Add("Accept", accept);

        var response = await client.GetAsync("/images");

        Assert.Equal(contentType, response.Content.Headers.ContentType!.ToString());
        Assert.Contains("zos.efi", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Generator_without_javascript_validates_on_the_server()
    {
        var bad = await _site.Client().GetAsync("/generate?network=prod&farmer=12&args=a%7Cb&format=iso");
        var good = await _site.Client().GetStringAsync("/generate?network=prod&farmer=12&args=console%3DttyS0&format=usb");

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("Character &#x27;|&#x27; (U&#x2B;007C) is not allowed; allowed are letters, digits, space and = _ . , : - &#x2B; /.",
            await bad.Content.ReadAsStringAsync());
        Assert.Contains("""<a id="download" class="button" href="/usb/prod/12/console=ttyS0" download="ipxe-prod.img">""", good);
    }

    [Fact]
    public async Task Generator_offers_the_arm64_efi_file()
    {
        var page = await _site.Client().GetStringAsync("/generate?network=prod&farmer=12&args=console%3DttyAMA0&format=uefi-arm64");

        Assert.Contains("""<input type="radio" name="format" value="uefi-arm64" data-file="ipxe-{network}-arm64.efi" checked />""", page);
        Assert.Contains("""<a id="download" class="button" href="/uefi-arm64/prod/12/console=ttyAMA0" download="ipxe-prod-arm64.efi">""", page);
    }

    [Fact]
    public async Task Generator_writes_a_slash_after_an_underscore_so_the_service_reads_it_back()
    {
        var page = await _site.Client().GetStringAsync("/generate?network=prod&farmer=12&args=x%2F_y&format=iso");
        var script = await _site.Client().GetStringAsync("/ipxe/prod/12/x____y");

        Assert.Contains("""<a id="download" class="button" href="/iso/prod/12/x____y" download="ipxe-prod.iso">""", page);
        Assert.Contains(" farmer_id=12 x/_y && goto boot ||", script);
    }

    [Fact]
    public async Task Generator_refuses_an_underscore_before_a_slash_instead_of_changing_it()
    {
        var response = await _site.Client().GetAsync("/generate?network=prod&farmer=12&args=x_%2Fy&format=iso");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("""<p id="args-error" class="error" role="alert">&#x27;_&#x27; right before &#x27;/&#x27; cannot be written in a URL, where &#x27;/&#x27; travels as ___ (put another character between them).</p>""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_network_on_the_form_is_shown_under_the_network_field()
    {
        var response = await _site.Client().GetAsync("/generate?network=mainnet&farmer=1&format=iso");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("""<p id="network-error" class="error" role="alert">Unknown network &#x27;mainnet&#x27;; configured networks: dev, prod, qa, test.</p>""",
            await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Static_assets_are_served_with_validators()
    {
        var client = _site.Client();

        var css = await client.GetAsync("/static/app.css");
        var js = await client.GetAsync("/static/app.js");

        Assert.Equal("text/css; charset=utf-8", css.Content.Headers.ContentType!.ToString());
        Assert.Equal("text/javascript; charset=utf-8", js.Content.Headers.ContentType!.ToString());
        Assert.NotNull(css.Headers.ETag);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/static/other.js")).StatusCode);
    }

    [Fact]
    public async Task Openapi_document_describes_every_route_with_its_content_types()
    {
        using var doc = JsonDocument.Parse(await _site.Client().GetStringAsync("/openapi/v1.json"));
        var paths = doc.RootElement.GetProperty("paths");
        string[] ContentTypes(string path, string method, string status) =>
            paths.GetProperty(path).GetProperty(method).GetProperty("responses").GetProperty(status)
                .TryGetProperty("content", out var content) ? content.EnumerateObject().Select(c => c.Name).ToArray() : [];

        Assert.Equal("Bootstrap", doc.RootElement.GetProperty("info").GetProperty("title").GetString());
        Assert.Equal(["text/plain"], ContentTypes("/ipxe/{network}/{farmer}/{args}/{kernel}", "get", "200"));
        Assert.Equal(["text/plain"], ContentTypes("/ipxe/{network}/{farmer}/{args}/{kernel}", "get", "400"));
        Assert.Equal(["application/octet-stream"], ContentTypes("/kernel/net/{name}", "get", "206"));
        Assert.Equal(["text/plain"], ContentTypes("/provision/{mac}", "get", "404"));
        Assert.Equal(["application/json"], ContentTypes("/api/kernel", "post", "201"));
        Assert.Equal(["text/plain"], ContentTypes("/api/kernel", "post", "413"));
        Assert.Equal(["application/json", "text/html"], ContentTypes("/images", "get", "200"));
        foreach (var target in TargetTable.All)
        {
            var path = target.Shape switch
            {
                RouteShape.Request => $"/{target.Route}/{{network}}/{{farmer}}/{{args}}/{{kernel}}",
                RouteShape.NetworkAndFarmer => $"/{target.Route}/{{network}}/{{farmer}}",
                _ => $"/{target.Route}",
            };
            Assert.Equal(["application/octet-stream"], ContentTypes(path, "get", "200"));
            Assert.Equal(["text/plain"], ContentTypes(path, "get", "503"));
        }
        // A static image takes no parameters at all: nothing slips in through the query string.
        Assert.False(paths.GetProperty("/uefi-provision").GetProperty("get").TryGetProperty("parameters", out _));
    }
}
