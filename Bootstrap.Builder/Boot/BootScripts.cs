using Bootstrap.Builder.Configuration;

namespace Bootstrap.Builder.Boot;

/// <summary>
/// Renders the service's iPXE scripts. The templates are parsed once, at construction; a render
/// only fills values that <see cref="BootRequestParser"/> and <see cref="PublicUrl"/> validated.
/// </summary>
public sealed class BootScripts(BootstrapConfig config)
{
    private readonly ScriptText _boot = ScriptText.FromResource("boot");
    private readonly ScriptText _quick = ScriptText.FromResource("quick");
    private readonly ScriptText _provision = ScriptText.FromResource("provision");
    private readonly ScriptText _debug = ScriptText.FromResource("debug");
    private readonly ScriptText _local = ScriptText.FromResource("local");
    private readonly ScriptText _discovery = ScriptText.FromResource("discovery");
    private readonly ScriptText _grub = ScriptText.FromResource("boot", "cfg");

    /// <summary>
    /// The full boot script: the kernel for the machine's architecture, banner, DHCP over every
    /// NIC, clock sync, kernel download, boot. <paramref name="architectures"/> are those the
    /// runmode has a kernel for (a machine of another one is told so and reboots); an image, which
    /// outlives today's links, leaves it out and tries every architecture's link. A render is a
    /// pure function of its arguments and the config, so the last few thousand are kept: farms ask
    /// for the same script over and over.
    /// </summary>
    public string Boot(BootRequest request, string baseUrl, IReadOnlyList<KernelArchitecture>? architectures = null) =>
        Rendered(request, baseUrl, architectures).Text;

    /// <summary>The boot script as UTF-8 bytes, encoded once per remembered render (what the /ipxe route sends).</summary>
    public byte[] BootUtf8(BootRequest request, string baseUrl, IReadOnlyList<KernelArchitecture>? architectures = null) =>
        Rendered(request, baseUrl, architectures).Utf8;

    private RenderedScript Rendered(BootRequest request, string baseUrl, IReadOnlyList<KernelArchitecture>? architectures)
    {
        var key = (request, baseUrl, Key(architectures));
        if (_rendered.TryGetValue(key, out var script))
            return script;
        var text = _boot.Render(Values(request, baseUrl, architectures));
        script = new RenderedScript(text, System.Text.Encoding.UTF8.GetBytes(text));
        if (_rendered.Count >= MaxRendered)
            _rendered.Clear();   // farm ids are the client's choice: the memory stays bounded
        _rendered[key] = script;
        return script;
    }

    private sealed record RenderedScript(string Text, byte[] Utf8);

    private const int MaxRendered = 4096;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(BootRequest, string, string), RenderedScript> _rendered = new();

    /// <summary>The architectures as a cache key ("" for every one).</summary>
    private static string Key(IReadOnlyList<KernelArchitecture>? architectures) =>
        architectures == null ? "" : string.Join(',', architectures.Select(a => a.Name));

    /// <summary>
    /// The boot script in GRUB's language, the <c>grub.cfg</c> of the Secure Boot images (Debian's
    /// signed GRUB). GRUB speaks plain HTTP only, so the kernel comes from the base URL's host over
    /// http: with the base URL's port when it is an http URL, the service's own http-port when the
    /// base URL is its own https-port, else port 80.
    /// </summary>
    public string Grub(BootRequest request, string baseUrl)
    {
        var uri = new Uri(baseUrl);
        var authority = uri.Scheme == "http" ? uri.Authority
            : config.HttpsPort > 0 && uri.Port == config.HttpsPort ? $"{uri.Host}:{config.HttpPort}"
            : uri.Host;
        var path = $"{uri.AbsolutePath.TrimEnd('/')}/kernel/{request.KernelPath}";
        var values = Values(request, baseUrl);
        values["kernel_url"] = $"http://{authority}{path}";
        values["grub_kernel"] = $"(http,{authority}){path}";
        // One single-quoted word per argument: GRUB joins them with spaces, and quotes an argument that holds one.
        values["grub_cmdline"] = string.Join(' ', request.CommandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(word => $"'{word}'"));
        return _grub.Render(values);
    }

    /// <summary>The boot script with <c>ifstat</c>, <c>route</c> and a pause before the download, for /debug images.</summary>
    public string Debug(BootRequest request, string baseUrl) => _debug.Render(Values(request, baseUrl));

    /// <summary>The answer of <c>/provision/&lt;mac&gt;</c>: download and boot, the network being up already.</summary>
    public string Quick(BootRequest request, string baseUrl, IReadOnlyList<KernelArchitecture>? architectures = null) =>
        _quick.Render(Values(request, baseUrl, architectures));

    /// <summary>
    /// The answer of <c>/provision/&lt;mac&gt;</c> for an assigned machine: the quick script, its
    /// kernel command line extended with where and with which token the machine reports its status
    /// (and, when its profile has one, where its answer file is). The token is 32 hex digits and
    /// the URLs are validated, so nothing here can break the script's line.
    /// </summary>
    public string Assigned(BootRequest request, string baseUrl, string token, string? answerUrl, IReadOnlyList<KernelArchitecture>? architectures = null) =>
        AssignedRendered(request, baseUrl, token, answerUrl, architectures).Text;

    /// <summary>The assigned machine's script as UTF-8 bytes, rendered once per assignment (what /provision sends).</summary>
    public byte[] AssignedUtf8(BootRequest request, string baseUrl, string token, string? answerUrl, IReadOnlyList<KernelArchitecture>? architectures = null) =>
        AssignedRendered(request, baseUrl, token, answerUrl, architectures).Utf8;

    private RenderedScript AssignedRendered(BootRequest request, string baseUrl, string token, string? answerUrl, IReadOnlyList<KernelArchitecture>? architectures)
    {
        var key = (request, baseUrl, token, answerUrl, Key(architectures));
        if (_assigned.TryGetValue(key, out var script))
            return script;
        var values = Values(request, baseUrl, architectures);
        values["cmdline"] += $" bootstrap_url={baseUrl} bootstrap_token={token}" + (answerUrl == null ? "" : $" answer_url={answerUrl}");
        var text = _quick.Render(values);
        script = new RenderedScript(text, System.Text.Encoding.UTF8.GetBytes(text));
        if (_assigned.Count >= MaxRendered)
            _assigned.Clear();   // tokens rotate with every assignment: the memory stays bounded
        _assigned[key] = script;
        return script;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(BootRequest, string, string, string?, string), RenderedScript> _assigned = new();

    /// <summary>
    /// The answer of <c>/provision/&lt;mac&gt;</c> for a machine assigned a boot menu (its name passed
    /// the menu-name rule): the machine's token (hex) shows it is assigned the menu, which need not be public.
    /// </summary>
    public static string MenuChain(string baseUrl, string menu, string token) =>
        $"#!ipxe\n# This machine is assigned the boot menu {menu}.\nchain {baseUrl}/menu/{menu}?token={token} || echo The menu {menu} could not be loaded\n";

    /// <summary>The answer of <c>/provision/&lt;mac&gt;</c> for an installed machine assigned with then=local: boot its own disk.</summary>
    public string LocalDisk(string baseUrl) => _local.Render(new Dictionary<string, string> { ["machines_url"] = $"{baseUrl}/machines" });

    /// <summary>The generic script: the machine asks <c>/provision/&lt;MAC&gt;</c> for each of its MACs, then polls while it is not assigned.</summary>
    public string Provision(string baseUrl) =>
        _provision.Render(new Dictionary<string, string>
        {
            ["provision_url"] = $"{baseUrl}/provision",
            ["machines_url"] = $"{baseUrl}/machines",
            ["poll_seconds"] = config.DiscoveryPollSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["dns_check"] = DnsCheck(baseUrl),
            ["discovery_step"] = config.DiscoveryImage.Length > 0
                ? $"chain {baseUrl}/discovery || echo The discovery OS is not available"
                : "# no discovery-image configured: the machine waits with what iPXE told",
        });

    /// <summary>The answer of <c>/discovery</c>: boot the discovery OS with the service's URL on its command line.</summary>
    public string Discovery(string baseUrl) => _discovery.Render(new Dictionary<string, string> { ["base_url"] = baseUrl });

    /// <summary>
    /// Sets <c>kernel_url</c> for the iPXE builds of each architecture the runmode boots; left
    /// unset for any other, which the script then says. A kernel named in the request is booted
    /// whatever the architecture: the operator chose that file.
    /// </summary>
    private static string KernelChoice(BootRequest request, string baseUrl, IReadOnlyList<KernelArchitecture> architectures) =>
        request.Kernel != null
            ? $"set kernel_url {baseUrl}/kernel/{request.Kernel}"
            : string.Join('\n', architectures.SelectMany(a => a.BuildArchs.Select(build =>
                $"iseq ${{buildarch}} {build} && set kernel_url {baseUrl}/kernel/{request.KernelPathFor(a)} ||")));

    /// <summary>A DNS server counts only when the service is reached by name; an IP address needs none.</summary>
    private static string DnsCheck(string url) =>
        System.Net.IPAddress.TryParse(new Uri(url).Host.Trim('[', ']'), out _)
            ? "# the service is addressed by IP: no DNS server needed"
            : "isset ${net${nic}/dns} || goto incomplete";

    private Dictionary<string, string> Values(BootRequest request, string baseUrl, IReadOnlyList<KernelArchitecture>? architectures = null)
    {
        var kernelUrl = $"{baseUrl}/kernel/{request.KernelPath}";
        architectures ??= KernelArchitecture.All;
        return new Dictionary<string, string>
        {
            ["display"] = config.Runmodes[request.Network],
            ["network"] = request.Network,
            ["farmer_display"] = request.Farmer ?? "(none)",
            ["kernel_url"] = kernelUrl,
            ["kernel_choice"] = KernelChoice(request, baseUrl, architectures),
            ["kernel_architectures"] = architectures.Count == 0 ? "no architecture yet"
                : string.Join(" and ", architectures.Select(a => a.Name)) + (architectures.Count == 1 ? " machines only" : " machines"),
            ["kernel_host"] = PublicUrl.HostOf(kernelUrl),
            ["cmdline"] = request.CommandLine,
            ["dns_check"] = DnsCheck(baseUrl),
            ["ntp_step"] = config.NtpServer.Length == 0
                ? "# clock sync left out: no ntp-server configured"
                : $"ntp {config.NtpServer} || echo Clock sync with {config.NtpServer} failed, continuing",
        };
    }
}
