using Bootstrap.Builder.Processes;
using CliWrap;
using Bootstrap.Builder.Configuration;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    private string Write(string json)
    {
        var path = Path.Combine(_site.Root, "custom.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Relative_paths_resolve_against_the_config_folder()
    {
        var config = ConfigLoader.Load(_site.ConfigFile);

        Assert.Equal(_site.Kernels, config.KernelPath);
        Assert.Equal(_site.NetLinks, config.KernelNetPath);
        Assert.Equal(_site.Database, config.BootstrapDb);
        Assert.Equal(5555, config.HttpPort);
    }

    [Fact]
    public void The_repository_config_is_valid_and_keeps_the_original_key_names()
    {
        var repoConfig = Path.Combine(RepoRoot.Path, "config.json");
        var text = File.ReadAllText(repoConfig);
        foreach (var key in new[] { "base-host", "ipxe-template", "kernel-path", "kernel-net-path", "http-port", "api-token", "bootstrap-db", "runmodes" })
            Assert.Contains($"\"{key}\"", text);
        Directory.CreateDirectory(Path.Combine(RepoRoot.Path, "kernels", "net"));

        var config = ConfigLoader.Load(repoConfig);

        Assert.Equal(["prod", "test", "dev", "qa"], config.Runmodes.Keys);
    }

    [Theory]
    [InlineData("""{"pxe": {"enabled": true}}""", "config key 'pxe.interface': set the interface (or the address) of the network machines boot on")]
    [InlineData("""{"pxe": {"enabled": true, "address": "10.0.0.256"}}""", "config key 'pxe.address': '10.0.0.256' is not an IPv4 address")]
    [InlineData("""{"pxe": {"interface": "eth0;reboot"}}""", "config key 'pxe.interface': 'eth0;reboot' is not an interface name (1-15 of a-z, 0-9, '.', '-', '_')")]
    [InlineData("""{"pxe": {"efi-boot-file": "../../etc/shadow"}}""", "config key 'pxe.efi-boot-file': '../../etc/shadow' is neither snponly.efi nor ipxe-amd64.efi")]
    [InlineData("""{"pxe": {"deny-macs": ["ff:ff:ff:ff:ff:ff"]}}""", "config key 'pxe.deny-macs': mac: ff:ff:ff:ff:ff:ff is a broadcast address, not a network card's")]
    [InlineData("""{"pxe": {"allow-macs": ["nope"]}}""", "config key 'pxe.allow-macs': 'nope' is not a MAC address")]
    [InlineData("""{"pxe": {"tftp-port": 0}}""", "config key 'pxe.tftp-port': 0 is not a UDP port (1-65535)")]
    [InlineData("""{"http-port": 70000}""", "config key 'http-port': 70000 is not a TCP port (1-65535)")]
    [InlineData("""{"http-port": 0}""", "config key 'http-port': 0 is not a TCP port (1-65535)")]
    [InlineData("""{"kernel-path": "nowhere"}""", "config key 'kernel-path': folder '{root}/nowhere' does not exist")]
    [InlineData("""{"kernel-net-path": "kernels/none"}""", "config key 'kernel-net-path': folder '{root}/kernels/none' does not exist")]
    [InlineData("""{"bootstrap-db": "missing/x.db"}""", "config key 'bootstrap-db': folder of '{root}/missing/x.db' does not exist")]
    [InlineData("""{"runmodes": {"Prod!": "Production"}}""", "config key 'runmodes': network 'Prod!' must be 1-32 of a-z, 0-9, '_', '-', starting with a letter or digit")]
    [InlineData("""{"runmodes": {"prod": "${evil}"}}""", "config key 'runmodes': display name of 'prod' must be 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('")]
    [InlineData("""{"runmodes": {}}""", "config key 'runmodes': at least one network is needed")]
    [InlineData("""{"base-host": "bootstrap.test"}""", "config key 'base-host': 'bootstrap.test' is not an http(s) URL of the form http[s]://host[:port][/path]")]
    [InlineData("""{"trusted-proxies": ["proxy"]}""", "config key 'trusted-proxies': 'proxy' is not an IP address")]
    [InlineData("""{"http-prot": 5555}""", "{file}: unknown key 'http-prot'")]
    [InlineData("""{"pxe": {"enable": true}}""", "{file}: unknown key 'pxe.enable'")]
    public void Bad_values_are_refused_naming_the_key(string json, string message)
    {
        var path = Write(json);

        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(path));

        Assert.Equal(message.Replace("{root}", _site.Root).Replace("{file}", path), error.Message);
    }

    [Fact]
    public void Keys_of_the_original_that_mean_nothing_here_are_accepted()
    {
        var config = ConfigLoader.Load(Write("""{"ipxe-template-uefi": "/opt/ipxe-template-uefi", "debug": false}"""));

        Assert.Equal(Path.Combine(_site.Root, "kernels"), config.KernelPath);
    }

    [Fact]
    public async Task Service_refuses_to_start_and_names_the_key()
    {
        var path = Write("""{"http-port": 99999}""");
        var api = Path.Combine(AppContext.BaseDirectory, "Bootstrap.Api.dll");

        var result = await Cli.Wrap("dotnet").WithArguments([api, "--config", path, "--urls", "http://127.0.0.1:0"])
            .RunAsync(TimeSpan.FromSeconds(60), validateExitCode: false);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("bootstrap: cannot start: config key 'http-port': 99999 is not a TCP port (1-65535)\n", result.StandardError);
    }
}
