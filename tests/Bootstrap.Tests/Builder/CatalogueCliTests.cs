using Bootstrap.Api;
using Bootstrap.Api.Cli;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// <c>kernels</c>, <c>images</c>, <c>menus</c>, <c>users</c>, <c>organizations</c> and <c>groups</c>
/// on the command line: the README's walk-through, ending in what the service answers a machine.
/// </summary>
public sealed class CatalogueCliTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var code = await BootstrapCli.RunAsync([.. args, "--config", _site.ConfigFile], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private string File(string name, byte[] bytes)
    {
        var path = Path.Combine(_site.Root, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task A_kernel_an_image_a_menu_and_a_team_from_the_command_line()
    {
        var kernel = File("vmlinuz-6.1", [1, 2, 3, 4]);
        Assert.Equal((0, "stored kernel zos.efi (4 bytes, architecture unknown)\n", ""), await Run("kernels", "upload", "--file", kernel, "--name", "zos.efi"));
        Assert.Equal((0, "net/prod.efi -> zos.efi\n", ""), await Run("kernels", "link", "--runmode", "prod", "--kernel", "zos.efi"));
        Assert.StartsWith("zos.efi  4 bytes  ", (await Run("kernels", "list")).Out);
        Assert.EndsWith("  unknown  runmodes=prod\n", (await Run("kernels", "list")).Out);
        Assert.Equal((0, "net/arm64/prod.efi -> zos.efi\n", ""), await Run("kernels", "link", "--runmode", "prod", "--kernel", "zos.efi", "--architecture", "arm64"));
        Assert.EndsWith("  runmodes=prod,arm64/prod\n", (await Run("kernels", "list")).Out);
        Assert.Equal((1, "", "kernels: kernel 'zos.efi' is booted by runmode prod, arm64/prod: point it at another kernel first\n"), await Run("kernels", "delete", "--name", "zos.efi"));

        Assert.Equal((0, "saved image rescue\n", ""), await Run("images", "put", "--name", "rescue", "--type", "kernel-initrd", "--title", "Rescue",
            "--kernel", "vmlinuz", "--initrd", "initrd.img", "--args", "console=ttyS0"));
        Assert.Equal((0, "stored rescue/vmlinuz (4 bytes)\n", ""), await Run("images", "upload", "--name", "rescue", "--file", kernel, "--as", "vmlinuz"));
        Assert.Equal((1, "", "images: files: initrd.img not uploaded yet (PUT /api/images/rescue/<file>)\n"), await Run("images", "promote", "--name", "rescue"));
        Assert.Equal(0, (await Run("images", "upload", "--name", "rescue", "--file", File("initrd.img", [9]))).Code);
        Assert.Equal((0, "image rescue is golden\n", ""), await Run("images", "promote", "--name", "rescue"));

        var menu = File("menu.json", """{"title":"Lab","timeout":2,"default":"rescue","entries":[{"image":"rescue"},{"local":true}]}"""u8.ToArray());
        Assert.Equal((0, "saved menu lab\n", ""), await Run("menus", "put", "--name", "lab", "--file", menu));
        var (_, preview, _) = await Run("menus", "preview", "--name", "lab", "--base-url", "http://boot.example");
        Assert.Contains("kernel http://boot.example/images/rescue/vmlinuz console=ttyS0 || goto failed\ninitrd http://boot.example/images/rescue/initrd.img || goto failed\n", preview);

        Assert.Equal((0, "saved group ops\n", ""), await Run("groups", "put", "--id", "ops", "--display-name", "Operations", "--menu", "lab", "--user", "alice"));
        Assert.Equal((0, "saved organization acme\n", ""), await Run("organizations", "put", "--id", "acme", "--display-name", "Acme Corp", "--group", "ops"));
        Assert.Equal((0, "saved user alice\n", ""), await Run("users", "put", "--name", "alice", "--password-file", File("pw", "correct horse\n"u8.ToArray()), "--organization", "acme"));
        Assert.Equal((0, "alice  organizations=acme\n", ""), await Run("users", "list"));
        Assert.Equal((1, "", "menus: menu 'lab' is offered by group ops: give the group another menu first\n"), await Run("menus", "delete", "--name", "lab"));

        var login = new HttpRequestMessage(HttpMethod.Get, "/login/menu");
        login.Headers.Authorization = new("Basic", Convert.ToBase64String("alice:correct horse"u8.ToArray()));
        var script = await (await _site.Client().SendAsync(login)).Content.ReadAsStringAsync();
        Assert.StartsWith("#!ipxe\n# Menu lab, from http://bootstrap.test/menu/lab\n", script);
        Assert.Contains("item e0 Rescue\n", script);
    }

    [Theory]
    [InlineData(new[] { "users", "put", "--name", "bob" }, "users: password: required for a new user\n")]
    [InlineData(new[] { "groups", "put", "--id", "ops", "--menu", "none" }, "groups: menu: no menu named 'none'\n")]
    [InlineData(new[] { "organizations", "put", "--id", "acme", "--display-name", "Acme; reboot" }, "organizations: name: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData(new[] { "images", "put", "--name", "x", "--type", "floppy" }, "images: type: 'floppy' is not one of kernel-initrd, iso, livenet, nfs\n")]
    [InlineData(new[] { "kernels", "link", "--runmode", "main", "--kernel", "zos.efi" }, "kernels: --runmode: no network 'main' in config.json\n")]
    [InlineData(new[] { "kernels", "link", "--runmode", "prod", "--kernel", "zos.efi", "--architecture", "sparc" }, "kernels: --architecture: 'sparc' is not one of x86_64, arm64\n")]
    public async Task Bad_values_are_refused_by_name(string[] args, string message)
    {
        Assert.Equal((1, "", message), await Run(args));
    }
}
