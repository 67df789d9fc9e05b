using System.Diagnostics;

namespace Bootstrap.Tests.Support;

/// <summary>
/// A real layer-2 network that exists only for one test: a network namespace holding a bridge
/// (<see cref="ServiceAddress"/>/24, where the service listens, as on a boot server's LAN port) and
/// a tap a QEMU guest plugs into, plus a second namespace joined to the bridge by a veth pair where
/// the site's DHCP server (dnsmasq, addresses only) runs at <see cref="DhcpAddress"/>, so that its
/// offers come from another host than the service. The namespaces have no other interface: nothing
/// leaves them. Dispose stops what runs inside and deletes both, also after a failure; namespaces
/// that a killed test run left behind are deleted by the next run.
/// </summary>
public sealed class LanNetwork : IDisposable
{
    public const string ServiceAddress = "10.77.0.1", DhcpAddress = "10.77.0.2", Tap = "tap0";
    private const string Prefix = "bstlan-";
    private static int _count;

    private readonly string _work = Directory.CreateTempSubdirectory("bootstrap-lan-").FullName;
    private readonly Process? _dhcp;

    /// <summary>The site DHCP server's lease file: the addresses it handed out, one line per client.</summary>
    public string Leases => File.Exists(Path.Combine(_work, "leases")) ? File.ReadAllText(Path.Combine(_work, "leases")) : "";

    /// <summary>The namespace of the bridge, the tap, the service and the guest.</summary>
    public string Namespace { get; }

    private string DhcpNamespace => Namespace + "-d";

    public LanNetwork()
    {
        DeleteLeftovers();
        Namespace = $"{Prefix}{Environment.ProcessId}-{Interlocked.Increment(ref _count)}";
        try
        {
            Ip("netns", "add", Namespace);
            Ip("netns", "add", DhcpNamespace);
            In(Namespace, "ip", "link", "set", "lo", "up");
            In(Namespace, "ip", "link", "add", "br0", "type", "bridge");
            In(Namespace, "ip", "addr", "add", $"{ServiceAddress}/24", "dev", "br0");
            In(Namespace, "ip", "tuntap", "add", "dev", Tap, "mode", "tap");
            In(Namespace, "ip", "link", "set", Tap, "master", "br0");
            In(Namespace, "ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", DhcpNamespace);
            In(Namespace, "ip", "link", "set", "veth0", "master", "br0");
            foreach (var link in new[] { "br0", Tap, "veth0" })
                In(Namespace, "ip", "link", "set", link, "up");
            In(DhcpNamespace, "ip", "addr", "add", $"{DhcpAddress}/24", "dev", "veth1");
            In(DhcpNamespace, "ip", "link", "set", "veth1", "up");
            _dhcp = Start(DhcpNamespace, "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--interface=veth1", "--bind-interfaces",
                "--log-dhcp", "--dhcp-range=10.77.0.100,10.77.0.200,1h", $"--dhcp-leasefile={Path.Combine(_work, "leases")}",
                $"--pid-file={Path.Combine(_work, "dnsmasq.pid")}", "--user=root");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Starts <paramref name="program"/> inside the service's namespace (<c>ip netns exec</c> execs it: the process is the program).</summary>
    public ProcessStartInfo Inside(string program, IEnumerable<string> args) => new("ip", ["netns", "exec", Namespace, program, .. args]);

    /// <summary>Runs a command inside the service's namespace and returns its output; fails with its error output.</summary>
    public string Run(params string[] command) => In(Namespace, command);

    private static string In(string ns, params string[] command) => Ip(["netns", "exec", ns, .. command]);

    private static Process Start(string ns, params string[] command)
    {
        var process = Process.Start(new ProcessStartInfo("ip", ["netns", "exec", ns, .. command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string Ip(params string[] args)
    {
        using var ip = Process.Start(new ProcessStartInfo("ip", args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = ip.StandardOutput.ReadToEndAsync();
        var error = ip.StandardError.ReadToEnd();
        ip.WaitForExit();
        if (ip.ExitCode != 0)
            throw new InvalidOperationException($"ip {string.Join(' ', args)}: exit {ip.ExitCode}: {error}");
        return output.Result;
    }

    /// <summary>Namespaces of test runs that no longer exist (a killed run cannot clean up after itself).</summary>
    private static void DeleteLeftovers()
    {
        if (!Directory.Exists("/run/netns"))
            return;
        foreach (var name in Directory.GetFiles("/run/netns").Select(Path.GetFileName).OfType<string>().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var owner = name[Prefix.Length..].Split('-')[0];
            if (int.TryParse(owner, out var pid) && !Directory.Exists($"/proc/{pid}"))
                DeleteNamespace(name);
        }
    }

    /// <summary>Kills what still runs in the namespace (deleting it would not), then deletes it.</summary>
    private static void DeleteNamespace(string name)
    {
        try
        {
            foreach (var pid in Ip("netns", "pids", name).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                try
                {
                    using var process = Process.GetProcessById(int.Parse(pid));
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
                catch (ArgumentException)
                {
                    // exited meanwhile
                }
            }
            Ip("netns", "del", name);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public void Dispose()
    {
        if (_dhcp is { HasExited: false })
        {
            _dhcp.Kill(entireProcessTree: true);
            _dhcp.WaitForExit();
        }
        _dhcp?.Dispose();
        if (Namespace != null)
        {
            DeleteNamespace(DhcpNamespace);
            DeleteNamespace(Namespace);
        }
        Directory.Delete(_work, recursive: true);
    }
}
