using System.Net;
using System.Net.Http.Json;
using System.Text;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>Boot menus: the iPXE script a menu becomes, and every value an admin could type to slip a command in.</summary>
public sealed class MenuRouteTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private async Task GoldenImage(string name, object description, params string[] files)
    {
        var admin = _site.AdminClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/images/{name}", description)).StatusCode);
        foreach (var file in files)
            Assert.Equal(HttpStatusCode.Created, (await admin.PutAsync($"/api/images/{name}/{file}", new ByteArrayContent([1, 2, 3]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/images/{name}/promote", null)).StatusCode);
    }

    private async Task<HttpResponseMessage> PutMenu(string name, string json) =>
        await _site.AdminClient().PutAsync($"/api/menus/{name}", new StringContent(json, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task An_image_for_one_architecture_is_offered_only_to_that_architectures_ipxe()
    {
        await GoldenImage("rescue-arm", new { type = "iso", title = "ARM64 rescue", iso = "rescue.iso", architecture = "arm64" }, "rescue.iso");
        await GoldenImage("rescue-pc", new { type = "iso", title = "PC rescue", iso = "rescue.iso", architecture = "x86_64" }, "rescue.iso");
        var sparc = await _site.AdminClient().PutAsJsonAsync("/api/images/rescue-sparc", new { type = "iso", iso = "rescue.iso", architecture = "sparc" });
        Assert.Equal(HttpStatusCode.OK, (await PutMenu("rescue", """{"title":"Rescue","public":true,"entries":[{"image":"rescue-arm"},{"image":"rescue-pc"},{"shell":true}]}""")).StatusCode);

        var lines = Scripts.Lines(await _site.Client().GetStringAsync("/menu/rescue"));

        Assert.Equal(
            [
                "menu Rescue",
                "iseq ${buildarch} arm64 && item e0 ARM64 rescue ||",
                "iseq ${buildarch} i386 && item e1 PC rescue ||",
                "iseq ${buildarch} x86_64 && item e1 PC rescue ||",
                "item e2 iPXE shell",
            ],
            lines[3..8]);
        Assert.Equal((HttpStatusCode.BadRequest, "architecture: 'sparc' is not one of x86_64, arm64 (or leave it out: any)\n"),
            (sparc.StatusCode, await sparc.Content.ReadAsStringAsync()));
        Assert.Equal("arm64", (await _site.AdminClient().GetFromJsonAsync<System.Text.Json.JsonElement>("/api/images/rescue-arm")).GetProperty("architecture").GetString());
    }

    [Fact]
    public async Task A_menu_becomes_an_ipxe_menu_whose_entries_boot_what_they_name()
    {
        await GoldenImage("debian", new { type = "kernel-initrd", title = "Debian 12 installer", kernel = "linux", initrds = new[] { "initrd.gz" }, args = "auto=true" }, "linux", "initrd.gz");
        await GoldenImage("rescue", new { type = "iso", title = "Rescue CD", iso = "rescue.iso" }, "rescue.iso");
        await GoldenImage("live", new { type = "livenet", title = "Live", kernel = "vmlinuz", initrds = new[] { "initrd.img" }, rootfs = "root.squashfs" },
            "vmlinuz", "initrd.img", "root.squashfs");
        var saved = await PutMenu("tools", """
            {"title":"Lab tools","timeout":2,"default":"rescue","public":true,"entries":[
              {"separator":"Installers"},{"image":"debian"},{"image":"rescue"},{"image":"live"},
              {"separator":"Other"},{"network":"prod","farmer":"1234"},{"local":true},{"chain":"http://192.0.2.9/boot.ipxe"},{"shell":true}]}
            """);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);

        var script = await _site.Client().GetStringAsync("/menu/tools");

        Assert.Equal("""
            #!ipxe
            # Menu tools, from http://bootstrap.test/menu/tools
            :menu
            menu Lab tools
            item --gap Installers
            item e1 Debian 12 installer
            item e2 Rescue CD
            item e3 Live
            item --gap Other
            item e5 Network boot: Production (prod), farm 1234
            item e6 Boot from the local disk
            item e7 Chain to http://192.0.2.9/boot.ipxe
            item e8 iPXE shell
            choose --default e2 --timeout 2000 target || goto left
            goto ${target}
            :e1
            kernel http://bootstrap.test/images/debian/linux auto=true || goto failed
            initrd http://bootstrap.test/images/debian/initrd.gz || goto failed
            boot ||
            goto failed
            :e2
            sanboot --no-describe http://bootstrap.test/images/rescue/rescue.iso ||
            goto failed
            :e3
            kernel http://bootstrap.test/images/live/vmlinuz root=live:http://bootstrap.test/images/live/root.squashfs || goto failed
            initrd http://bootstrap.test/images/live/initrd.img || goto failed
            boot ||
            goto failed
            :e5
            chain http://bootstrap.test/ipxe/prod/1234 ||
            goto failed
            :e6
            iseq ${platform} efi && exit ||
            sanboot --no-describe --drive 0x80 ||
            goto failed
            :e7
            chain http://192.0.2.9/boot.ipxe ||
            goto failed
            :e8
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

            """.Replace("\r", ""), script);
    }

    [Theory]
    [InlineData("""{"title":"Tools\nshell","entries":[{"local":true}]}""", "title: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData("""{"title":"Tools\n","entries":[{"local":true}]}""", "title: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]   // '$' would allow a final newline
    [InlineData("""{"title":"${net0/mac}","entries":[{"local":true}]}""", "title: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData("""{"title":"--delete","entries":[{"local":true}]}""", "title: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData("""{"entries":[{"separator":"--key x"},{"local":true}]}""", "entries[0].separator: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData("""{"entries":[{"separator":"a || shell"},{"local":true}]}""", "entries[0].separator: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData("""{"entries":[{"chain":"http://evil/x?a=1&b=2"}]}""", "entries[0].chain: an http(s) URL of the form http[s]://host[:port][/path], no query\n")]
    [InlineData("""{"entries":[{"chain":"http://h/${x}"}]}""", "entries[0].chain: an http(s) URL of the form http[s]://host[:port][/path], no query\n")]
    [InlineData("""{"entries":[{"network":"prod","farmer":"12;reboot"}]}""", "entries[0].farmer: character ';' (U+003B) is not allowed; a farm id is digits only\n")]
    [InlineData("""{"entries":[{"network":"main"}]}""", "entries[0].network: unknown network 'main'; configured networks: dev, prod, qa, test\n")]
    [InlineData("""{"entries":[{"image":"nope"}]}""", "entries[0].image: no image named 'nope'\n")]
    [InlineData("""{"entries":[{"local":true,"shell":true}]}""", "entries[0].entry: exactly one of image, separator, local, network, chain, shell\n")]
    [InlineData("""{"entries":[{"separator":"Only words"}]}""", "entries: at least one that boots something\n")]
    [InlineData("""{"default":0,"entries":[{"separator":"x"},{"local":true}]}""", "default: the index or image name of an entry that boots something\n")]
    [InlineData("""{"timeout":-1,"entries":[{"local":true}]}""", "timeout: 0 (wait for a choice) to 3600 seconds\n")]
    public async Task What_an_admin_types_never_becomes_a_command(string json, string message)
    {
        var response = await PutMenu("m1", json);

        Assert.Equal(message, await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task A_menu_is_public_only_when_marked_so_and_a_groups_menu_never_by_default()
    {
        await PutMenu("open", """{"public":true,"entries":[{"local":true}]}""");
        await PutMenu("team", """{"entries":[{"local":true}]}""");

        var open = await _site.Client().GetAsync("/menu/open");
        var team = await _site.Client().GetAsync("/menu/team");
        var listed = await _site.AdminClient().GetStringAsync("/api/menus/team");

        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.Equal((HttpStatusCode.NotFound, "no public menu named 'team' (a group's menu is reached by signing in at /menu)\n"),
            (team.StatusCode, await team.Content.ReadAsStringAsync()));
        Assert.Contains("\"public\":false", listed);
    }

    [Fact]
    public async Task Menus_offer_golden_images_only_and_say_when_one_is_gone()
    {
        var admin = _site.AdminClient();
        await admin.PutAsJsonAsync("/api/images/draft", new { type = "iso", iso = "d.iso" });
        var staging = await PutMenu("m2", """{"entries":[{"image":"draft"}]}""");
        await GoldenImage("cd", new { type = "iso", iso = "cd.iso" }, "cd.iso");
        await PutMenu("m3", """{"public":true,"entries":[{"image":"cd"}]}""");
        await admin.DeleteAsync("/api/images/cd");

        var gone = await _site.Client().GetAsync("/menu/m3");
        var unknown = await _site.Client().GetAsync("/menu/none");
        var stranger = await _site.Client().PutAsync("/api/menus/m4", new StringContent("""{"entries":[{"local":true}]}""", Encoding.UTF8, "application/json"));

        Assert.Equal("entries[0].image: 'draft' is still staging; promote it first\n", await staging.Content.ReadAsStringAsync());
        Assert.Equal((HttpStatusCode.Conflict, "menu 'm3' offers image 'cd', which no longer exists: edit the menu\n"), (gone.StatusCode, await gone.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.NotFound, "no public menu named 'none' (a group's menu is reached by signing in at /menu)\n"), (unknown.StatusCode, await unknown.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Unauthorized, stranger.StatusCode);
    }

    [Fact]
    public async Task A_machine_assigned_a_menu_is_chained_to_it()
    {
        Assert.Equal(HttpStatusCode.OK, (await PutMenu("rack", """{"title":"Rack menu","entries":[{"local":true},{"shell":true}]}""")).StatusCode);
        var admin = _site.AdminClient();

        var assigned = await MachineApi.AssignAsync(admin, "52:54:00:dd:00:01", new { menu = "rack", then = "repeat" });
        var script = await _site.Client().GetStringAsync("/provision/52:54:00:dd:00:01");
        var token = System.Text.RegularExpressions.Regex.Match(script, "token=([0-9a-f]{32})").Groups[1].Value;
        var byTheMachine = await _site.Client().GetAsync($"/menu/rack?token={token}");
        var byAStranger = await _site.Client().GetAsync("/menu/rack");
        var withAnotherToken = await _site.Client().GetAsync($"/menu/rack?token={new string('0', 32)}");
        var both = await admin.PutAsJsonAsync("/api/machines/52:54:00:dd:00:02", new { menu = "rack", network = "prod" });
        var unknown = await admin.PutAsJsonAsync("/api/machines/52:54:00:dd:00:03", new { menu = "nope" });

        Assert.Equal("rack", assigned.GetProperty("assignment").GetProperty("menu").GetString());
        Assert.Equal($"#!ipxe\n# This machine is assigned the boot menu rack.\nchain http://bootstrap.test/menu/rack?token={token} || echo The menu rack could not be loaded\n", script);
        Assert.Equal(HttpStatusCode.OK, byTheMachine.StatusCode);
        Assert.StartsWith("#!ipxe\n# Menu rack, from http://bootstrap.test/menu/rack\n", await byTheMachine.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, byAStranger.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withAnotherToken.StatusCode);
        Assert.Equal((HttpStatusCode.BadRequest, "menu: a machine boots either a menu or a network (with farmer, args, kernel, profile), not both\n"),
            (both.StatusCode, await both.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.NotFound, "menu: no menu named 'nope'\n"), (unknown.StatusCode, await unknown.Content.ReadAsStringAsync()));
        var events = await MachineApi.GetAsync(admin, "/api/machines/52:54:00:dd:00:01/events");
        Assert.Equal(["script: menu rack", "assigned: assigned menu=rack then=repeat"],
            events.EnumerateArray().Select(e => $"{e.GetProperty("kind").GetString()}: {e.GetProperty("detail").GetString()}"));
    }
}
