using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Bootstrap.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Bootstrap.Tests.Http;

/// <summary>
/// The <c>/menu</c> login step by step, as iPXE walks it: the login script, the 401 challenge,
/// then organisations, groups and the group's menu with one-choice levels skipped; and what
/// guessing, stored passwords and typed names may and may not do.
/// </summary>
public sealed class MenuLoginTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private async Task Put(string path, object body)
    {
        var response = await _site.AdminClient().PutAsJsonAsync(path, body);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task Menu(string name, string title) =>
        await Put($"/api/menus/{name}", new { title, entries = new object[] { new { local = true } } });

    /// <summary>A request as iPXE sends it the second time, after the 401 challenge.</summary>
    private async Task<HttpResponseMessage> SignedIn(string path, string user, string password)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        return await _site.Client().SendAsync(request);
    }

    private static async Task<(HttpStatusCode, string)> Answer(HttpResponseMessage response) =>
        (response.StatusCode, await response.Content.ReadAsStringAsync());

    [Fact]
    public async Task Menu_without_a_name_asks_ipxe_to_log_in_and_sends_the_credentials_as_basic_authentication()
    {
        var script = await _site.Client().GetStringAsync("/menu");
        var challenge = await _site.Client().GetAsync("/login/menu");

        Assert.Equal("""
            #!ipxe
            # Sign in to the boot menus of http://bootstrap.test
            :login
            login || goto cancelled
            chain http://${username:uristring}:${password:uristring}@bootstrap.test/login/menu || goto refused
            exit
            :refused
            echo Signing in failed: a wrong user name or password, or too many attempts. Try again.
            clear password
            sleep 3
            goto login
            :cancelled
            echo Signing in was cancelled: leaving the menu.
            exit

            """.Replace("\r", ""), script);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.Equal("Basic realm=\"Bootstrap menus\", charset=\"UTF-8\"", challenge.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task One_organisation_with_one_group_goes_straight_to_the_groups_menu_and_a_wrong_password_is_refused()
    {
        await Menu("lab", "Lab machines");
        await Put("/api/groups/ops", new { name = "Operations", menu = "lab", users = new[] { "alice" } });
        await Put("/api/organizations/acme", new { name = "Acme Corp", groups = new[] { "ops" } });
        await Put("/api/users/alice", new { password = "correct horse", organizations = new[] { "acme" } });

        var right = await SignedIn("/login/menu", "alice", "correct horse");
        var wrong = await SignedIn("/login/menu", "alice", "battery staple");
        var stranger = await SignedIn("/login/menu", "mallory", "correct horse");

        var (status, script) = await Answer(right);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("#!ipxe\n# Menu lab, from http://bootstrap.test/menu/lab\n", script);
        Assert.Equal(HttpStatusCode.NotFound, (await _site.Client().GetAsync("/menu/lab")).StatusCode);   // a group's menu: through the login only
        Assert.Equal((HttpStatusCode.Unauthorized, "sign in: wrong user name or password\n"), await Answer(wrong));
        Assert.Equal((HttpStatusCode.Unauthorized, "sign in: wrong user name or password\n"), await Answer(stranger));
    }

    [Fact]
    public async Task Several_organisations_and_groups_are_offered_as_ipxe_menus_of_the_users_own()
    {
        await Menu("lab", "Lab machines");
        await Menu("gpu", "GPU nodes");
        await Put("/api/groups/ops", new { name = "Operations", menu = "lab", users = new[] { "alice", "bob" } });
        await Put("/api/groups/ml", new { name = "Machine learning", menu = "gpu", users = new[] { "alice" } });
        await Put("/api/groups/hidden", new { name = "Not Alice", menu = "gpu", users = new[] { "bob" } });
        await Put("/api/organizations/acme", new { name = "Acme Corp", groups = new[] { "ops", "ml", "hidden" } });
        await Put("/api/organizations/beta", new { name = "Beta Labs", groups = new[] { "ops" } });
        await Put("/api/organizations/empty", new { name = "No groups for Alice", groups = new[] { "hidden" } });
        await Put("/api/users/alice", new { password = "correct horse", organizations = new[] { "beta", "acme", "empty" } });

        var organizations = await SignedIn("/login/menu", "alice", "correct horse");
        var groups = await SignedIn("/login/menu/acme", "alice", "correct horse");
        var menu = await SignedIn("/login/menu/acme/ml", "alice", "correct horse");
        var notHers = await SignedIn("/login/menu/acme/hidden", "alice", "correct horse");
        var notHerOrganisation = await SignedIn("/login/menu/empty", "alice", "correct horse");

        Assert.Equal((HttpStatusCode.OK, """
            #!ipxe
            :choose
            menu Organizations of alice
            item beta Beta Labs
            item acme Acme Corp
            item --gap
            item .signout Sign out
            choose target || exit
            iseq ${target} .signout && goto signout ||
            chain http://${username:uristring}:${password:uristring}@bootstrap.test/login/menu/${target} || goto failed
            exit
            :failed
            echo That choice did not load: back to the list in 5 seconds.
            sleep 5
            goto choose
            :signout
            clear username
            clear password
            chain http://bootstrap.test/menu

            """.Replace("\r", "")), await Answer(organizations));
        var groupScript = (await Answer(groups)).Item2;
        Assert.Contains("menu Groups of alice in Acme Corp\nitem ops Operations\nitem ml Machine learning\nitem --gap\n", groupScript);
        Assert.Contains("chain http://${username:uristring}:${password:uristring}@bootstrap.test/login/menu/acme/${target} || goto failed\n", groupScript);
        var (menuStatus, menuScript) = await Answer(menu);
        Assert.Equal(HttpStatusCode.OK, menuStatus);
        Assert.StartsWith("#!ipxe\n# Menu gpu, from http://bootstrap.test/menu/gpu\n", menuScript);
        Assert.Equal((HttpStatusCode.NotFound, "alice is in no group 'hidden' of organization 'acme'\n"), await Answer(notHers));
        Assert.Equal((HttpStatusCode.NotFound, "alice has no organization 'empty' with a menu\n"), await Answer(notHerOrganisation));
    }

    [Fact]
    public async Task A_user_without_a_menu_is_told_so_and_sent_back_to_the_login()
    {
        await Put("/api/users/carol", new { password = "12345678" });

        var answer = await SignedIn("/login/menu", "carol", "12345678");

        Assert.Equal((HttpStatusCode.OK,
            "#!ipxe\necho carol is in no group that offers a menu yet: ask an admin.\nsleep 10\nclear username\nclear password\nchain http://bootstrap.test/menu\n"),
            await Answer(answer));
    }

    [Fact]
    public async Task Guessing_one_users_password_is_stopped_and_then_even_the_right_one_is_not_checked()
    {
        await Put("/api/users/alice", new { password = "correct horse" });

        var guesses = new List<HttpStatusCode>();
        for (var i = 0; i < 11; i++)
            guesses.Add((await SignedIn("/login/menu", "alice", $"guess {i}")).StatusCode);
        var right = await SignedIn("/login/menu", "alice", "correct horse");

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 10).Append(HttpStatusCode.TooManyRequests), guesses);
        Assert.Equal((HttpStatusCode.TooManyRequests, "too many wrong passwords for this user or from this address; retry in 60 s\n"), await Answer(right));
        Assert.Equal("60", right.Headers.RetryAfter?.ToString());
    }

    [Fact]
    public async Task Guessing_many_users_from_one_address_is_stopped_too()
    {
        await Put("/api/users/bob", new { password = "bobs password" });

        for (var i = 0; i < 10; i++)
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignedIn("/login/menu", $"user{i}", "password")).StatusCode);
        var bob = await SignedIn("/login/menu", "bob", "bobs password");

        Assert.Equal(HttpStatusCode.TooManyRequests, bob.StatusCode);
    }

    [Fact]
    [Trait("engine", "sqlite")]
    public async Task Passwords_are_stored_as_framework_hashes_and_never_answered()
    {
        await Put("/api/users/alice", new { password = "correct horse" });
        await Put("/api/users/alice", new { organizations = Array.Empty<string>() });   // no password: the stored one stays

        var shown = await _site.AdminClient().GetStringAsync("/api/users/alice");
        using var db = new SqliteConnection($"Data Source={_site.Database};Pooling=False");
        db.Open();
        using var query = db.CreateCommand();
        query.CommandText = "SELECT password_hash FROM users WHERE name = 'alice'";
        var stored = (string)query.ExecuteScalar()!;

        Assert.DoesNotContain("correct horse", stored);
        Assert.Equal(0x01, Convert.FromBase64String(stored)[0]);   // PasswordHasher's version 3 format marker
        Assert.DoesNotContain("password", shown, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(HttpStatusCode.OK, (await SignedIn("/login/menu", "alice", "correct horse")).StatusCode);
    }

    [Theory]
    [InlineData("/api/organizations/acme", """{"name":"Acme\nshell","groups":[]}""", "name: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData("/api/organizations/acme", """{"name":"${password}"}""", "name: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData("/api/organizations/Acme", """{"name":"Acme"}""", "id: 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit\n")]
    [InlineData("/api/organizations/acme", """{"groups":["nope"]}""", "groups[0]: no group 'nope'\n")]
    [InlineData("/api/organizations/acme", """{"groups":["x || shell"]}""", "groups[0]: 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit\n")]
    [InlineData("/api/groups/ops", """{"name":"Ops","menu":"nope"}""", "menu: no menu named 'nope'\n")]
    [InlineData("/api/groups/ops", """{"name":"Ops"}""", "menu: required (the menu this group's users boot)\n")]
    [InlineData("/api/groups/ops", """{"menu":"lab","users":["alice","alice"]}""", "users[1]: 'alice' is listed twice\n")]
    [InlineData("/api/groups/ops", """{"menu":"lab","users":["Alice:x"]}""", "users[0]: 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit\n")]
    [InlineData("/api/users/alice", """{"organizations":[]}""", "password: required for a new user\n")]
    [InlineData("/api/users/alice", """{"password":"short"}""", "password: 8 to 128 characters\n")]
    [InlineData("/api/users/alice", """{"password":"new\nline here"}""", "password: printable ASCII characters only (iPXE's login reads a keyboard)\n")]
    [InlineData("/api/users/alice", """{"password":"long enough","organizations":["nope"]}""", "organizations[0]: no organization 'nope'\n")]
    [InlineData("/api/users/al%20ice", """{"password":"long enough"}""", "name: 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit\n")]
    public async Task Names_ids_and_passwords_that_could_reach_a_script_are_refused(string path, string json, string message)
    {
        await Menu("lab", "Lab");

        var response = await _site.AdminClient().PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal((HttpStatusCode.BadRequest, message), await Answer(response));
    }

    [Fact]
    public async Task A_menu_a_group_offers_cannot_be_deleted_and_deleting_a_group_takes_it_out_of_its_organisation()
    {
        await Menu("lab", "Lab");
        await Put("/api/groups/ops", new { name = "Ops", menu = "lab", users = new[] { "alice" } });
        await Put("/api/organizations/acme", new { name = "Acme", groups = new[] { "ops" } });
        var admin = _site.AdminClient();

        var menuInUse = await admin.DeleteAsync("/api/menus/lab");
        var groupDeleted = await admin.DeleteAsync("/api/groups/ops");
        var organisation = await admin.GetStringAsync("/api/organizations/acme");
        var menuFree = await admin.DeleteAsync("/api/menus/lab");
        var anonymous = await _site.Client().GetAsync("/api/users");

        Assert.Equal((HttpStatusCode.Conflict, "menu 'lab' is offered by group ops: give the group another menu first\n"), await Answer(menuInUse));
        Assert.Equal(HttpStatusCode.NoContent, groupDeleted.StatusCode);
        Assert.Contains("\"groups\":[]", organisation);
        Assert.Equal(HttpStatusCode.NoContent, menuFree.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
