using System.Net;
using Bootstrap.Builder.Bmc;
using Bootstrap.Builder.Bmc.Redfish;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>Redfish through HttpClient against the test emulator: power, boot override, virtual media, trust, and BMCs that misbehave.</summary>
public sealed class RedfishBmcTests : IAsyncLifetime
{
    private RedfishEmulator _bmc = null!;

    public async Task InitializeAsync() => _bmc = await RedfishEmulator.StartAsync();

    public async Task DisposeAsync() => await _bmc.DisposeAsync();

    private RedfishBmc Bmc(string password = RedfishEmulator.Password, bool verifyTls = true, string? pin = "", TimeSpan? timeout = null) =>
        new(new BmcAccess("52:54:00:00:05:01", "redfish", "127.0.0.1", _bmc.Port, RedfishEmulator.User, DateTimeOffset.UnixEpoch, verifyTls,
            pin == "" ? _bmc.Fingerprint : pin), password, timeout);

    [Fact]
    public async Task Power_is_read_off_turned_on_read_on_and_forced_off()
    {
        using var bmc = Bmc();

        Assert.Equal(PowerState.Off, await bmc.GetPowerAsync(default));
        await bmc.SetPowerAsync(PowerAction.On, default);
        Assert.Equal(PowerState.On, await bmc.GetPowerAsync(default));
        await bmc.SetPowerAsync(PowerAction.Off, default);

        Assert.Equal(PowerState.Off, await bmc.GetPowerAsync(default));
        Assert.Equal(["reset On", "reset ForceOff"], _bmc.Changes);
    }

    [Fact]
    public async Task A_cycle_is_a_force_restart_when_the_system_does_not_list_power_cycle()
    {
        using var bmc = Bmc();
        await bmc.SetPowerAsync(PowerAction.On, default);

        await bmc.SetPowerAsync(PowerAction.Cycle, default);

        Assert.Equal(["reset On", "reset ForceRestart"], _bmc.Changes);
        Assert.Equal(PowerState.On, await bmc.GetPowerAsync(default));
    }

    [Fact]
    public async Task The_boot_override_is_patched_and_read_back()
    {
        using var bmc = Bmc();

        await bmc.SetBootDeviceAsync(BootDevice.Network, BootMode.Uefi, once: true, default);
        await bmc.SetBootDeviceAsync(BootDevice.Disk, BootMode.Legacy, once: false, default);

        Assert.Equal(["boot Pxe Once UEFI", "boot Hdd Continuous Legacy"], _bmc.Changes);
    }

    [Fact]
    public async Task The_virtual_cd_takes_an_image_the_bmc_fetches_refuses_a_second_and_ejects()
    {
        using var files = ImageServer.Start(new byte[4096]);
        using var bmc = Bmc();

        await bmc.InsertAsync(files.Url, default);
        var second = await Assert.ThrowsAsync<BmcException>(() => bmc.InsertAsync(files.Url, default));
        await bmc.EjectAsync(default);

        Assert.Equal($"redfish 127.0.0.1:{_bmc.Port}: 409 Conflict: The change to the requested resource failed because the resource is in use or in transition: a medium is inserted; eject it first.", second.Message);
        Assert.Equal([$"insert {files.Url}", "eject"], _bmc.Changes);
        Assert.Equal(1, files.Requests);
        Assert.Null(_bmc.Image);
    }

    [Theory]
    [InlineData("wrong-password", true, "", "401 Unauthorized: the user name or password is wrong")]
    [InlineData(RedfishEmulator.Password, true, null, "its certificate is not trusted (pin a self-signed one with ca-fingerprint, the SHA-256 of the certificate)")]
    [InlineData(RedfishEmulator.Password, true, "0000000000000000000000000000000000000000000000000000000000000000",
        "its certificate is not trusted (pin a self-signed one with ca-fingerprint, the SHA-256 of the certificate)")]
    public async Task Wrong_credentials_and_an_untrusted_certificate_fail_with_a_clear_message_and_change_nothing(string password, bool verify, string? pin, string message)
    {
        using var bmc = Bmc(password, verify, pin);

        var error = await Assert.ThrowsAsync<BmcException>(() => bmc.SetPowerAsync(PowerAction.On, default));

        Assert.Equal($"redfish 127.0.0.1:{_bmc.Port}: {message}", error.Message);
        Assert.Empty(_bmc.Changes);
    }

    [Fact]
    public async Task Verification_turned_off_accepts_a_self_signed_certificate()
    {
        using var bmc = Bmc(verifyTls: false, pin: null);

        Assert.Equal(PowerState.Off, await bmc.GetPowerAsync(default));
    }

    [Theory]
    [InlineData("redirect", "answered 307, redirecting to 'https://192.0.2.1/redfish/v1/'; not followed (give the BMC's own address)")]
    [InlineData("garbage", "answered GET /redfish/v1/Systems with something that is not JSON")]
    [InlineData("hang", "no answer within 1 s")]
    public async Task A_bmc_that_redirects_answers_garbage_or_hangs_fails_with_a_clear_message(string misbehaviour, string message)
    {
        _bmc.Misbehave = misbehaviour;
        using var bmc = Bmc(timeout: TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<BmcException>(() => bmc.GetPowerAsync(default));

        Assert.Equal($"redfish 127.0.0.1:{_bmc.Port}: {message}", error.Message);
    }

    [Theory]
    [InlineData("-k", "root", "x", "address")]
    [InlineData("10.0.0.7", "ro:ot", "x", "username")]
    [InlineData("10.0.0.7", "root", "line\nbreak", "password")]
    public void Values_that_would_change_the_request_are_refused_naming_the_field(string address, string username, string password, string field)
    {
        Assert.Equal(field, RedfishBmc.Refusal(address, 443, username, password)?.Field);
    }
}
