using System.Net;
using Bootstrap.Builder.Configuration;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>/discovery: the discovery OS for unassigned machines when discovery-image is set, a 404 naming the key when not.</summary>
public sealed class DiscoveryRouteTests : IDisposable
{
    private readonly List<TestSite> _sites = [];

    public void Dispose()
    {
        foreach (var site in _sites)
            site.Dispose();
    }

    private TestSite Site(bool withImage)
    {
        var site = new TestSite();
        _sites.Add(site);
        if (withImage)
        {
            var folder = Path.Combine(site.Root, "discovery");
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, "vmlinuz"), [1, 2, 3, 4]);
            File.WriteAllBytes(Path.Combine(folder, "initrd.img"), [5, 6, 7]);
            site.Restart(c => c["discovery-image"] = "discovery");
        }
        return site;
    }

    [Fact]
    public async Task Without_an_image_the_route_says_which_key_to_set_and_the_generic_script_only_waits()
    {
        var site = Site(withImage: false);

        var response = await site.Client().GetAsync("/discovery");
        var generic = await site.Client().GetStringAsync("/ipxe-generic");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no discovery OS: set discovery-image in config.json (setup/discovery.sh builds one)\n", await response.Content.ReadAsStringAsync());
        Assert.Contains("# no discovery-image configured: the machine waits with what iPXE told", Scripts.Lines(generic));
    }

    [Fact]
    public async Task With_an_image_unassigned_machines_chain_it_and_its_files_are_served()
    {
        var site = Site(withImage: true);

        var generic = await site.Client().GetStringAsync("/ipxe-generic");
        var script = await site.Client().GetStringAsync("/discovery");
        var initrd = await site.Client().GetByteArrayAsync("/discovery/initrd.img");
        var other = await site.Client().GetAsync("/discovery/config.json");
        var noArm64Build = await site.Client().GetAsync("/discovery/arm64/vmlinuz");
        var lines = Scripts.Lines(script);

        Assert.Contains("chain http://bootstrap.test/discovery || echo The discovery OS is not available", Scripts.Lines(generic));
        Assert.Equal(
            [
                "set discovery_os http://bootstrap.test/discovery",
                "set discovery_console ttyS0",
                "iseq ${buildarch} arm64 && set discovery_os http://bootstrap.test/discovery/arm64 ||",
                "iseq ${buildarch} arm64 && set discovery_console ttyAMA0 ||",
                "echo Booting the discovery OS (${buildarch}): it reports this machine's hardware to http://bootstrap.test",
                "kernel ${discovery_os}/vmlinuz bootstrap_url=http://bootstrap.test console=tty0 console=${discovery_console} panic=30 || goto failed",
                "initrd ${discovery_os}/initrd.img || goto failed",
            ],
            lines[(Array.IndexOf(lines, "set discovery_os http://bootstrap.test/discovery"))..^4]);
        Assert.Equal([5, 6, 7], initrd);
        Assert.Equal((HttpStatusCode.NotFound, "the discovery OS has only vmlinuz and initrd.img\n"), (other.StatusCode, await other.Content.ReadAsStringAsync()));
        var folder = Path.Combine(site.Root, "discovery");
        Assert.Equal((HttpStatusCode.NotFound, $"the discovery OS has no vmlinuz in {folder}/arm64: build it with setup/discovery.sh {folder} --arch arm64\n"),
            (noArm64Build.StatusCode, await noArm64Build.Content.ReadAsStringAsync()));
    }

    [Fact]
    public void A_discovery_folder_without_its_files_stops_the_start_naming_the_key()
    {
        var site = Site(withImage: false);
        Directory.CreateDirectory(Path.Combine(site.Root, "empty"));
        site.Restart(c => c["discovery-image"] = "empty");

        var error = Assert.Throws<ConfigException>(() => ConfigLoader.Load(site.ConfigFile));

        Assert.Equal($"config key 'discovery-image': '{Path.Combine(site.Root, "empty")}' has no vmlinuz: build it with setup/discovery.sh", error.Message);
    }
}
