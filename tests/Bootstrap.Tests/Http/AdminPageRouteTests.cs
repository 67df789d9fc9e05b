using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// The admin pages' form posts without a browser: a page upload is streamed only after its
/// antiforgery token was checked, nothing changes without signing in, and a kernel something
/// still boots is not deleted (page and API alike).
/// </summary>
public sealed partial class AdminPageRouteTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    /// <summary>A client signed in with the admin token, and a form token of its session.</summary>
    private async Task<(HttpClient Client, string FormToken)> SignedIn()
    {
        var client = _site.Client();
        var signIn = await PageSignIn.PostAsync(client, "/images");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return (client, PageSignIn.FormToken(await client.GetStringAsync("/catalogue")));
    }

    private static MultipartFormDataContent Upload(string? formToken, string name, byte[] bytes)
    {
        var content = new MultipartFormDataContent();
        if (formToken != null)
            content.Add(new StringContent(formToken), "__af");
        content.Add(new StringContent(name), "name");
        content.Add(new ByteArrayContent(bytes), "kernel", "from-disk.efi");
        return content;
    }

    [Fact]
    public async Task A_page_upload_is_stored_only_with_its_form_token_first()
    {
        var (client, token) = await SignedIn();
        var bytes = new byte[200_000];
        new Random(5).NextBytes(bytes);

        var forged = await client.PostAsync("/kernels/upload", Upload(null, "forged.efi", bytes));
        var wrongToken = await client.PostAsync("/kernels/upload", Upload("not-a-token", "forged.efi", bytes));
        var stored = await client.PostAsync("/kernels/upload", Upload(token, "page.efi", bytes));
        var traversal = await client.PostAsync("/kernels/upload", Upload(token, "../escape.efi", bytes));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("the form is out of date or was not sent by this site: reload the page and try again", await forged.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, wrongToken.StatusCode);
        Assert.Equal((HttpStatusCode.Redirect, "/images"), (stored.StatusCode, stored.Headers.Location?.OriginalString));
        Assert.Equal(bytes, _site.KernelBytes("page.efi"));
        Assert.Equal(HttpStatusCode.BadRequest, traversal.StatusCode);
        Assert.Equal(["page.efi"], _site.KernelNames());
        Assert.False(File.Exists(Path.Combine(_site.Root, "escape.efi")));
    }

    [Fact]
    public async Task Without_signing_in_the_admin_pages_send_to_the_sign_in_and_change_nothing()
    {
        var anonymous = _site.Client();

        var upload = await anonymous.PostAsync("/kernels/upload", Upload(null, "x.efi", [1, 2, 3]));
        var catalogue = await anonymous.GetAsync("/catalogue");
        var accounts = await anonymous.GetAsync("/accounts");
        var user = await anonymous.PostAsync("/accounts/users", new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "eve", ["password"] = "12345678" }));

        Assert.Equal("/signin?return=/images", upload.Headers.Location?.OriginalString);
        Assert.Equal("/signin?return=/catalogue", catalogue.Headers.Location?.OriginalString);
        Assert.Equal("/signin?return=/accounts", accounts.Headers.Location?.OriginalString);
        Assert.Equal("/signin?return=%2Faccounts%2Fusers", user.Headers.Location?.OriginalString);
        Assert.Empty(_site.KernelNames());
        Assert.Equal("[]", await _site.AdminClient().GetStringAsync("/api/users"));
    }

    [Fact]
    public async Task A_kernel_a_runmode_machine_or_profile_boots_is_not_deleted()
    {
        _site.AddProdKernel();
        _site.AddKernel("pinned.efi");
        _site.AddKernel("spare.efi");
        var admin = _site.AdminClient();
        await MachineApi.AssignAsync(admin, "52:54:00:ee:00:01", new { network = "test", kernel = "pinned.efi" });

        var linked = await admin.DeleteAsync("/api/kernel/zos.efi");
        var pinned = await admin.DeleteAsync("/api/kernel/pinned.efi");
        var unknown = await admin.DeleteAsync("/api/kernel/none.efi");
        var spare = await admin.DeleteAsync("/api/kernel/spare.efi");
        var anonymous = await _site.Client().DeleteAsync("/api/kernel/pinned.efi");

        Assert.Equal((HttpStatusCode.Conflict, "kernel 'zos.efi' is booted by runmode prod: point it at another kernel first\n"),
            (linked.StatusCode, await linked.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.Conflict, "kernel 'pinned.efi' is named by machine 52:54:00:ee:00:01: change them first\n"),
            (pinned.StatusCode, await pinned.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.NotFound, "kernel: no kernel file 'none.efi' in the kernels folder\n"), (unknown.StatusCode, await unknown.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.NoContent, spare.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(["pinned.efi", "zos.efi"], _site.KernelNames());
    }
}
