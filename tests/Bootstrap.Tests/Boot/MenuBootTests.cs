using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Boot;

/// <summary>
/// Boot menus on a real guest: a machine assigned a menu boots the generic ISO, gets the menu and,
/// with nobody at the keyboard, its default entry after the 2 s timeout: a kernel-initrd image
/// (Debian's kernel and an initrd built here) with the entry's arguments, an ISO served by the
/// service and read by iPXE's sanboot, or the local disk.
/// </summary>
public sealed partial class MenuBootTests : IClassFixture<MenuBootTests.Site>
{
    private const string Mac = "52:54:00:00:cc:01";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);
    private readonly Site _site;

    public MenuBootTests(Site site) => _site = site;

    /// <summary>A boot site with three golden images and one menu per default entry.</summary>
    public sealed class Site : IAsyncLifetime
    {
        public BootSite Boot { get; } = new(c => c["discovery-poll-seconds"] = 2);

        public async Task InitializeAsync()
        {
            using var admin = Boot.Service.AdminClient();
            var kernel = await File.ReadAllBytesAsync(Path.Combine(Boot.Site.Kernels, "vmlinuz-debian.efi"));
            var initrd = Cpio.Newc(("menu-test.txt", "booted from the menu\n"u8.ToArray()));
            await Golden(admin, "debian", new { type = "kernel-initrd", title = "Debian kernel", kernel = "vmlinuz", initrds = new[] { "initrd.cpio" }, args = "console=ttyS0 menu_entry=debian" },
                ("vmlinuz", kernel), ("initrd.cpio", initrd));
            using (var client = Boot.Service.Client())
                await Golden(admin, "zos-cd", new { type = "iso", title = "Zero-OS CD farm 4242", iso = "zos.iso" }, ("zos.iso", await client.GetByteArrayAsync("/iso/prod/4242/console=ttyS0")));
            await Menu(admin, "kernel-first", "debian");
            await Menu(admin, "iso-first", "zos-cd");
            await Menu(admin, "local-first", 2);
            // The team login: a front menu chains /menu, where alice's only group boots kernel-first.
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/menus/front", new
            {
                title = "Front",
                timeout = 1,
                entries = new object[] { new { chain = $"http://{Qemu.ServiceAddress}/menu" } },
            })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/groups/ops", new { name = "Operations", menu = "kernel-first", users = new[] { "alice" } })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/organizations/acme", new { name = "Acme", groups = new[] { "ops" } })).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/users/alice", new { password = "correct horse", organizations = new[] { "acme" } })).StatusCode);
        }

        private static async Task Golden(HttpClient admin, string name, object description, params (string File, byte[] Bytes)[] files)
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/images/{name}", description)).StatusCode);
            foreach (var (file, bytes) in files)
                Assert.Equal(HttpStatusCode.Created, (await admin.PutAsync($"/api/images/{name}/{file}", new ByteArrayContent(bytes))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/api/images/{name}/promote", null)).StatusCode);
        }

        private static async Task Menu(HttpClient admin, string name, object @default) =>
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/menus/{name}", new
            {
                title = "Menu boot test",
                timeout = 2,
                @default,
                entries = new object[] { new { image = "debian" }, new { image = "zos-cd" }, new { local = true }, new { shell = true } },
            })).StatusCode);

        public Task DisposeAsync()
        {
            Boot.Dispose();
            return Task.CompletedTask;
        }
    }

    private async Task<Qemu.Guest> BootWithMenu(Firmware firmware, string menu, string? disk = null, bool keyboard = false)
    {
        using (var admin = _site.Boot.Service.AdminClient())
        {
            await admin.DeleteAsync($"/api/machines/{Mac}");
            await MachineApi.AssignAsync(admin, Mac, new { menu, then = "repeat" });
        }
        var iso = await _site.Boot.DownloadAsync("/iso-generic");
        return Qemu.Guest.Start(firmware, new Qemu.Media(iso, AsCdrom: true), _site.Boot.Service.Port,
            new Qemu.Options(Nics: [new Qemu.Nic("e1000", Mac)], Disks: disk == null ? null : [disk], BootOrder: "d", Keyboard: keyboard));
    }

    [GeneratedRegex(@"Freeing initrd memory|Initramfs unpacking failed[^\r\n]*")]
    private static partial Regex InitrdOutcome();

    [Theory]
    [InlineData(Firmware.Bios, "")]
    [InlineData(Firmware.Uefi, "vmlinuz ")]
    public async Task The_default_kernel_initrd_entry_boots_its_kernel_with_its_arguments_and_initrd(Firmware firmware, string imageName)
    {
        await using var guest = await BootWithMenu(firmware, "kernel-first");

        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), Timeout);
        var initrd = await guest.WaitForAsync(InitrdOutcome(), Timeout);

        Assert.Equal($"Kernel command line: {imageName}console=ttyS0 menu_entry=debian", line);
        Assert.Equal("Freeing initrd memory", initrd);
    }

    [Theory]
    [InlineData(Firmware.Bios, "")]
    [InlineData(Firmware.Uefi, "kernel ")]
    public async Task The_default_iso_entry_sanboots_the_iso_the_service_serves(Firmware firmware, string imageName)
    {
        await using var guest = await BootWithMenu(firmware, "iso-first");

        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), Timeout);

        Assert.Equal($"Kernel command line: {imageName}nomodeset version=v3 runmode=prod panic=7200 farmer_id=4242 console=ttyS0", line);
    }

    /// <summary>iPXE's login form: Username and Password fields, Ctrl-X to send them.</summary>
    [GeneratedRegex("Ctrl-X - save changes")]
    private static partial Regex LoginForm();

    /// <summary>A user name (the form keeps the last one), the down arrow to the password field, the password, Ctrl-X.</summary>
    private static string Login(string user, string password) => $"{user}\u001b[B{password}\u0018";

    /// <summary>
    /// The refusal: "Signing in failed" (each character allowed twice), or the form drawn again after
    /// the login request. Under load OVMF's serial console has been seen to double a character of that
    /// line ("Signning") and to drop it altogether ("login//menu... Permissio", then the form again).
    /// </summary>
    [GeneratedRegex(@"S{1,2}i{1,2}g{1,2}n{1,2}i{1,2}n{1,2}g{1,2} {1,2}i{1,2}n{1,2} {1,2}f{1,2}a{1,2}i{1,2}l{1,2}e{1,2}d|login/+menu[\s\S]*?Username")]
    private static partial Regex LoginRefused();

    /// <summary>UEFI: OVMF's console takes keys from the serial line (SeaBIOS's iPXE has no serial console).</summary>
    [Fact]
    public async Task At_the_login_a_wrong_password_asks_again_and_the_right_one_boots_the_users_group_menu()
    {
        await using var guest = await BootWithMenu(Firmware.Uefi, "front", keyboard: true);

        await guest.WaitForAsync(LoginForm(), Timeout);
        await guest.TypeAsync(Login("alice", "battery staple"));
        await guest.WaitForAsync(LoginRefused(), Timeout);
        await Task.Delay(TimeSpan.FromSeconds(5));   // the script's "sleep 3", then the form again, alice kept, the password cleared
        await guest.TypeAsync(Login("", "correct horse"));
        var line = await guest.WaitForAsync(Qemu.KernelCommandLine(), Timeout);

        Assert.Equal("Kernel command line: vmlinuz console=ttyS0 menu_entry=debian", line);
    }

    [Fact]
    public async Task The_default_local_entry_hands_over_to_the_disk()
    {
        var disk = Tool.TempFile(MbrDisk.WithMessage(), ".img");
        await using var guest = await BootWithMenu(Firmware.Bios, "local-first", disk);

        Assert.Equal(MbrDisk.Message, await guest.WaitForAsync(MbrDisk.Booted(), Timeout));
        File.Delete(disk);
    }
}
