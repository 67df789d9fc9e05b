using System.Net.Http.Json;
using System.Net;
using System.Net.Http.Headers;
using Bootstrap.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Bootstrap.Tests.Http;

/// <summary>Each fault made to happen for real; each gets a clear answer, and the rest keeps working.</summary>
public sealed class FaultTests : IDisposable
{
    private readonly List<TestSite> _sites = [];
    private readonly List<string> _mounts = [];

    private TestSite Site(Action<Dictionary<string, object>>? configure = null)
    {
        var site = new TestSite(c =>
        {
            c["ipxe-template"] = RepoTemplate.Folder;
            configure?.Invoke(c);
        });
        site.AddProdKernel();
        _sites.Add(site);
        return site;
    }

    public void Dispose()
    {
        foreach (var site in _sites)
            site.Dispose();
        foreach (var mount in _mounts)
            Tool.Run("umount", mount);
    }

    [Fact]
    public async Task Template_file_deleted_under_a_running_service_is_named_and_scripts_go_on()
    {
        var copy = Path.Combine(Path.GetTempPath(), $"template-{Guid.NewGuid():N}");
        RepoTemplate.CopyTo(copy);
        var site = Site(c => c["ipxe-template"] = copy);
        var client = site.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/iso/prod/1")).StatusCode);

        File.Delete(Path.Combine(copy, "ipxe.lkrn"));
        var image = await client.GetAsync("/iso/prod/2");
        var script = await client.GetAsync("/ipxe/prod/2");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, image.StatusCode);
        Assert.Equal($"images are unavailable: template file {copy}/ipxe.lkrn is missing: run setup/template.sh\n", await image.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Directory.Delete(copy, recursive: true);
    }

    [Fact]
    public async Task Full_cache_disk_serves_the_build_from_memory_and_leaves_no_partial_entry()
    {
        var mount = Path.Combine(Path.GetTempPath(), $"full-cache-{Guid.NewGuid():N}");
        Directory.CreateDirectory(mount);
        Tool.Ok("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mount);
        _mounts.Add(mount);
        var site = Site(c => c["cache-path"] = mount);

        var response = await site.Client().GetAsync("/iso/prod/1");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("CD001"u8.ToArray(), bytes[0x8001..0x8006]);
        Assert.Empty(Directory.GetFiles(mount, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task File_in_place_of_the_cache_folder_still_serves_images()
    {
        var blocked = Path.Combine(Path.GetTempPath(), $"not-a-folder-{Guid.NewGuid():N}");
        File.WriteAllText(blocked, "x");
        var site = Site(c => c["cache-path"] = blocked);

        var first = await site.Client().GetAsync("/uefimg/prod/1");
        var second = await site.Client().GetAsync("/uefimg/prod/1");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal("cached", second.Headers.GetValues("X-Build").Single());
        Assert.Equal("x", File.ReadAllText(blocked));
        File.Delete(blocked);
    }

    [Fact]
    [Trait("engine", "sqlite")]
    public async Task Missing_kernels_folder_is_503_on_kernel_routes_and_heals_when_it_returns()
    {
        var site = Site();
        var client = site.Client();
        var moved = site.Kernels + ".away";
        Directory.Move(site.Kernels, moved);

        foreach (var path in new[] { "/kernel/net/prod.efi", "/kernel/zos.efi", "/images", "/ipxe/prod/1" })
        {
            var response = await client.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: {(int)response.StatusCode}");
            Assert.Equal($"the kernels folder {site.Kernels} is missing or unreadable\n", await response.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/metrics")).StatusCode);

        Directory.Move(moved, site.Kernels);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/kernel/net/prod.efi")).StatusCode);
    }

    [Fact]
    [Trait("engine", "sqlite")]
    public async Task A_locked_database_refuses_changes_with_503_while_machines_keep_booting_from_memory()
    {
        var site = Site();
        var client = site.Client();
        await MachineApi.AssignAsync(site.AdminClient(), "52:54:00:00:00:01", new { network = "prod", farmer = "1" });
        using var locker = new SqliteConnection($"Data Source={site.Database};Pooling=False");
        locker.Open();
        using (var begin = locker.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();
        }

        var assigned = await client.GetAsync("/provision/52:54:00:00:00:01");
        var unknown = await client.GetAsync("/provision/52:54:00:00:00:02");
        var change = await site.AdminClient().PutAsJsonAsync("/api/machines/52:54:00:00:00:03", new { network = "prod", farmer = "3" });
        var script = await client.GetAsync("/ipxe/prod/1");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.OK), (assigned.StatusCode, unknown.StatusCode, script.StatusCode));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, change.StatusCode);
        Assert.Equal("5", change.Headers.GetValues("Retry-After").Single());
        Assert.Equal("the provisioning database is unavailable (SQLite Error 5: 'database is locked'); retry shortly\n",
            await change.Content.ReadAsStringAsync());

        using (var rollback = locker.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            rollback.ExecuteNonQuery();
        }
        Assert.Equal(HttpStatusCode.OK, (await site.AdminClient().PutAsJsonAsync("/api/machines/52:54:00:00:00:03", new { network = "prod", farmer = "3" })).StatusCode);
    }

    [Fact]
    [Trait("engine", "sqlite")]
    public async Task A_damaged_database_refuses_changes_with_503_while_machines_keep_booting_from_memory()
    {
        var site = Site();
        var client = site.Client();
        await MachineApi.AssignAsync(site.AdminClient(), "52:54:00:00:00:01", new { network = "prod", farmer = "1" });
        SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(site.Database)!, "bootstrap.sqlite3*"))
            File.WriteAllText(file, "this is not a database, it is a text file of some length........................................");

        var assigned = await client.GetAsync("/provision/52:54:00:00:00:01");
        var change = await site.AdminClient().PostAsync("/api/machines/52:54:00:00:00:01/reset", null);
        var health = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, change.StatusCode);
        Assert.StartsWith("the provisioning database is unavailable (SQLite Error 26: 'file is not a database'", await change.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ipxe/prod/1")).StatusCode);
    }

    [Fact]
    public async Task Upload_over_the_limit_is_413_and_stores_nothing()
    {
        var site = Site(c => c["max-upload-bytes"] = 1000);
        var file = new ByteArrayContent(new byte[1001]);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        var response = await site.AdminClient().PostAsync("/api/kernel", new MultipartFormDataContent { { file, "kernel", "big.efi" } });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("the upload is larger than max-upload-bytes (1000 bytes)\n", await response.Content.ReadAsStringAsync());
        Assert.Equal(["zos.efi"], site.KernelNames());
    }

    [Fact]
    public async Task Admin_api_past_its_budget_is_429_with_retry_after()
    {
        var site = Site(c => c["admin-requests-per-minute"] = 2);
        var client = site.AdminClient();

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
            answers.Add(await client.PostAsync("/api/symlink/prod.efi/zos.efi", null));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], answers.Select(a => a.StatusCode));
        Assert.InRange(int.Parse(answers[2].Headers.GetValues("Retry-After").Single()), 1, 60);
        Assert.StartsWith("too many admin API requests from 127.0.0.1; retry in ", await answers[2].Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Cold_builds_past_the_budget_are_429_but_cached_images_still_flow()
    {
        var site = Site(c => c["cold-builds-per-minute"] = 1);
        var client = site.Client();

        var first = await client.GetAsync("/iso/prod/1");
        var secondCold = await client.GetAsync("/iso/prod/2");
        var firstAgain = await client.GetAsync("/iso/prod/1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, secondCold.StatusCode);
        Assert.StartsWith("too many cold image builds from 127.0.0.1; retry in ", await secondCold.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, firstAgain.StatusCode);
    }

    [Fact]
    public async Task Every_answer_says_nosniff()
    {
        var response = await Site().Client().GetAsync("/ipxe/prod");

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }
}
