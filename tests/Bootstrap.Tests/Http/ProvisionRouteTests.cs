using System.Net;
using Bootstrap.Builder.Machines;
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
        await MachineApi.AssignAsync(_site.AdminClient(), "52:54:00:12:34:56", new { network = "prod", farmer = "1234", args = "console=ttyS0" });

        var response = await client.GetAsync($"/provision/{spelled.ToUpperInvariant()}");
        var script = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = MachineApi.TokenIn(script);
        Assert.Equal(32, token.Length);
        Assert.Equal(Scripts.Reference("quick-prod-1234.ipxe").Replace("farmer_id=1234 console=ttyS0",
            $"farmer_id=1234 console=ttyS0 bootstrap_url=http://bootstrap.test bootstrap_token={token}"), script);
    }

    [Fact]
    public async Task Unknown_mac_is_404_and_recorded_as_discovered()
    {
        var client = _site.Client();

        var first = await client.GetAsync("/provision/aa:bb:cc:dd:ee:01");
        await client.GetAsync("/provision/AA-BB-CC-DD-EE-01");

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal("machine aa:bb:cc:dd:ee:01 is not assigned yet (listed as discovered on /machines)\n", await first.Content.ReadAsStringAsync());
        var listed = await MachineApi.GetAsync(_site.AdminClient(), "/api/machines");
        var machine = Assert.Single(listed.EnumerateArray());
        Assert.Equal(("mac:aa:bb:cc:dd:ee:01", "discovered", 2L), (machine.GetProperty("id").GetString(), machine.GetProperty("state").GetString(), machine.GetProperty("asks").GetInt64()));
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
    [Trait("engine", "sqlite")]
    public async Task Rows_written_by_the_original_service_still_work()
    {
        using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_site.Database};Pooling=False"))
        {
            db.Open();
            using var insert = db.CreateCommand();
            insert.CommandText = "CREATE TABLE provision (client varchar(32), branch varchar(32), zerotier varchar(32), kargs text);" +
                                 "INSERT INTO provision (client, branch, zerotier, kargs) VALUES ('AA:BB:CC:00:11:22', 'test', '77', NULL)";
            insert.ExecuteNonQuery();
        }

        var script = await _site.Client().GetStringAsync("/provision/aa:bb:cc:00:11:22");

        Assert.Contains("imgfetch --name kernel http://bootstrap.test/kernel/net/test.efi nomodeset version=v3 runmode=test panic=7200 farmer_id=77 " +
                        $"bootstrap_url=http://bootstrap.test bootstrap_token={MachineApi.TokenIn(script)} && goto boot ||", Scripts.Lines(Scripts.AsSeenBy(script)));
    }
}
