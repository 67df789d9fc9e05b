using System.Net;
using Bootstrap.Builder.Storage.Provisioning;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

public sealed class ProvisionRouteTests : IDisposable
{
    private readonly TestSite _site = new();

    public ProvisionRouteTests()
    {
        _site.AddProdKernel();
        _site.AddLink("test.efi", "zos.efi");
    }

    public void Dispose() => _site.Dispose();

    [Theory]
    [InlineData("52:54:00:12:34:56")]
    [InlineData("52-54-00-12-34-56")]
    [InlineData("5254.0012.3456")]
    [InlineData("525400123456")]
    public async Task Registered_mac_gets_the_quick_script_whatever_its_spelling(string spelled)
    {
        var client = _site.Client();
        var store = new ProvisionStore(_site.Database);
        await client.GetAsync("/healthz"); // the service applies the schema at start
        await store.AddAsync(new ProvisionEntry("52:54:00:12:34:56", "prod", "1234", "console=ttyS0"));

        var response = await client.GetAsync($"/provision/{spelled.ToUpperInvariant()}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Scripts.Reference("quick-prod-1234.ipxe"), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unknown_mac_is_404_and_recorded_as_pending()
    {
        var client = _site.Client();

        var first = await client.GetAsync("/provision/aa:bb:cc:dd:ee:01");
        await client.GetAsync("/provision/AA-BB-CC-DD-EE-01");

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal("machine aa:bb:cc:dd:ee:01 is not provisioned (recorded as pending)\n", await first.Content.ReadAsStringAsync());
        var pending = Assert.Single(await new ProvisionStore(_site.Database).PendingAsync());
        Assert.Equal(("aa:bb:cc:dd:ee:01", 2L), (pending.Mac, pending.Count));
        Assert.True(pending.FirstSeen <= pending.LastSeen);
    }

    [Theory]
    [InlineData("nonsense")]
    [InlineData("52:54:00:12:34")]
    [InlineData("52:54:00:12:34:56:78")]
    [InlineData("52:54-00:12:34:56")]
    public async Task Malformed_mac_is_400(string mac)
    {
        var response = await _site.Client().GetAsync($"/provision/{mac}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("mac: expected 12 hex digits, e.g. 52:54:00:12:34:56\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Rows_written_by_the_original_service_still_work()
    {
        var client = _site.Client();
        await client.GetAsync("/healthz");
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_site.Database}"))
        {
            db.Open();
            using var insert = db.CreateCommand();
            insert.CommandText = "INSERT INTO provision (client, branch, zerotier, kargs) VALUES ('AA:BB:CC:00:11:22', 'test', '77', NULL)";
            insert.ExecuteNonQuery();
        }

        var script = await client.GetStringAsync("/provision/aa:bb:cc:00:11:22");

        Assert.Contains("imgfetch --name kernel https://bootstrap.test/kernel/net/test.efi nomodeset version=v3 runmode=test panic=7200 farmer_id=77 && goto boot ||",
            Scripts.Lines(script));
    }
}
