using System.Text.Json.Serialization;

namespace Bootstrap.Builder.Configuration;

/// <summary>
/// The service's settings as written in <c>config.json</c>. Key names keep those of 0-bootstrap's
/// <c>config.py</c> so an existing configuration ports by hand. Paths are already resolved
/// against the config file's folder when <see cref="ConfigLoader"/> hands this out.
/// </summary>
public sealed record BootstrapConfig
{
    /// <summary>Public base URL (scheme, host, optional path) that replaces the request's host in kernel URLs.</summary>
    [JsonPropertyName("base-host")] public string BaseHost { get; init; } = "";

    [JsonPropertyName("ipxe-template")] public string IpxeTemplate { get; init; } = "ipxe-template";

    [JsonPropertyName("kernel-path")] public string KernelPath { get; init; } = "kernels";

    [JsonPropertyName("kernel-net-path")] public string KernelNetPath { get; init; } = "kernels/net";

    [JsonPropertyName("http-port")] public int HttpPort { get; init; } = 5555;

    /// <summary>Bearer token of the admin API; empty turns the admin API off.</summary>
    [JsonPropertyName("api-token")] public string ApiToken { get; init; } = "";

    [JsonPropertyName("bootstrap-db")] public string BootstrapDb { get; init; } = "db/bootstrap.sqlite3";

    /// <summary>Where the service keeps its rows: "sqlite" (the <c>bootstrap-db</c> file, one instance) or "postgres" (<c>postgres-connection</c>, shared by several).</summary>
    [JsonPropertyName("storage")] public string Storage { get; init; } = "sqlite";

    /// <summary>An Npgsql connection string (Host=..;Port=..;Username=..;Password=..;Database=..) for storage "postgres".</summary>
    [JsonPropertyName("postgres-connection")] public string PostgresConnection { get; init; } = "";

    /// <summary>Network key (the runmode on the kernel command line) → display name.</summary>
    [JsonPropertyName("runmodes")]
    public Dictionary<string, string> Runmodes { get; init; } = new()
    {
        ["prod"] = "Production",
        ["test"] = "Testing",
        ["dev"] = "Development",
        ["qa"] = "Quality Assurance",
    };

    /// <summary>
    /// The scheme of the URLs scripts hand out when <c>base-host</c> is empty: "request" (the scheme
    /// the machine used) or "https" (0-bootstrap's rule: https unless the host contains <c>unsecure</c>).
    /// </summary>
    [JsonPropertyName("kernel-scheme")] public string KernelScheme { get; init; } = KernelSchemes.Request;

    /// <summary>
    /// A machine's bootstrap_token is accepted (status reports, answer file) only from the address its
    /// boot script went to. Off for sites whose installers report from another address than iPXE had.
    /// </summary>
    [JsonPropertyName("bind-token-to-address")] public bool BindTokenToAddress { get; init; } = true;

    /// <summary>Addresses of reverse proxies whose X-Forwarded-Proto/Host headers are believed.</summary>
    [JsonPropertyName("trusted-proxies")] public List<string> TrustedProxies { get; init; } = [];

    /// <summary>NTP server the boot script syncs the clock with; empty leaves the step out.</summary>
    [JsonPropertyName("ntp-server")] public string NtpServer { get; init; } = "pool.ntp.org";

    /// <summary>Port of the service's own HTTPS listener (0: none); scripts then point kernels at https://&lt;host&gt;:&lt;https-port&gt;.</summary>
    [JsonPropertyName("https-port")] public int HttpsPort { get; init; }

    /// <summary>The HTTPS certificate (PEM, with its chain if any) and its key (PEM, unencrypted), for <c>https-port</c>.</summary>
    [JsonPropertyName("tls-certificate")] public string TlsCertificate { get; init; } = "";

    [JsonPropertyName("tls-key")] public string TlsKey { get; init; } = "";

    /// <summary>The loaded certificate with its key, when <c>https-port</c> is set (checked at load).</summary>
    [JsonIgnore] public System.Security.Cryptography.X509Certificates.X509Certificate2? TlsServerCertificate { get; init; }

    /// <summary>The certificates after the first in <c>tls-certificate</c>, sent with it: iPXE cannot fetch a missing issuer.</summary>
    [JsonIgnore] public System.Security.Cryptography.X509Certificates.X509Certificate2Collection TlsCertificateChain { get; init; } = [];

    /// <summary>The site's Secure Boot signing key (PEM, unencrypted); with <c>secure-boot-cert</c>, EFI files and kernels are served signed.</summary>
    [JsonPropertyName("secure-boot-key")] public string SecureBootKey { get; init; } = "";

    /// <summary>The certificate of <c>secure-boot-key</c> (PEM); served as DER at <c>/secure-boot/site.der</c> for enrolment.</summary>
    [JsonPropertyName("secure-boot-cert")] public string SecureBootCert { get; init; } = "";

    /// <summary>The loaded pair, when both keys are set (checked at load: a mismatched pair stops the service).</summary>
    [JsonIgnore] public SiteKey? SiteKey { get; init; }

    /// <summary>Folder of the image catalogue's files (one folder per image); created when needed.</summary>
    [JsonPropertyName("image-path")] public string ImagePath { get; init; } = "images";

    /// <summary>Largest file of a catalogue image (ISOs are gigabytes); a larger upload gets 413.</summary>
    [JsonPropertyName("max-image-bytes")] public long MaxImageBytes { get; init; } = 16L * 1024 * 1024 * 1024;

    /// <summary>With <c>"storage": "postgres"</c>: this instance's copies of the kernels and catalogue files kept in the database, by sha256.</summary>
    [JsonPropertyName("shared-files-path")] public string SharedFilesPath { get; init; } = "shared-files";

    /// <summary>Folder of built images kept between restarts.</summary>
    [JsonPropertyName("cache-path")] public string CachePath { get; init; } = "cache";

    /// <summary>Bytes of built images kept on disk under cache-path; past it the least recently used go. 0 keeps none on disk.</summary>
    [JsonPropertyName("cache-disk-bytes")] public long CacheDiskBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Bytes of built images kept in memory before older ones are dropped (disk copy stays).</summary>
    [JsonPropertyName("cache-memory-bytes")] public long CacheMemoryBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Cold image builds running at once; 0 means one per core.</summary>
    [JsonPropertyName("max-concurrent-builds")] public int MaxConcurrentBuilds { get; init; }

    /// <summary>Cold builds allowed to wait for a slot; past it a request gets 503 with Retry-After.</summary>
    [JsonPropertyName("build-queue-limit")] public int BuildQueueLimit { get; init; } = 64;

    /// <summary>Largest kernel upload accepted (bytes); a larger one gets 413.</summary>
    [JsonPropertyName("max-upload-bytes")] public long MaxUploadBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Admin API requests allowed per client address and minute; past it 429.</summary>
    [JsonPropertyName("admin-requests-per-minute")] public int AdminRequestsPerMinute { get; init; } = 60;

    /// <summary>Cold image builds a client address may start per minute (cached images are not counted); past it 429.</summary>
    [JsonPropertyName("cold-builds-per-minute")] public int ColdBuildsPerMinute { get; init; } = 60;

    /// <summary>Discovered (unassigned) machines remembered; a new one beyond it pushes out the one seen longest ago.</summary>
    [JsonPropertyName("max-pending-machines")] public int MaxPendingMachines { get; init; } = 10_000;

    /// <summary>Folder of the discovery OS (vmlinuz, initrd.img: setup/discovery.sh builds it) offered to unassigned machines; empty: none.</summary>
    [JsonPropertyName("discovery-image")] public string DiscoveryImage { get; init; } = "";

    /// <summary>Seconds an unassigned machine waits between two asks for its boot script.</summary>
    [JsonPropertyName("discovery-poll-seconds")] public int DiscoveryPollSeconds { get; init; } = 10;

    /// <summary>Machines one bulk provision acts on at once through their BMCs (each waits for its own BMC's answers).</summary>
    [JsonPropertyName("bmc-concurrency")] public int BmcConcurrency { get; init; } = 8;

    /// <summary>Seconds between two background reads of a machine's power through its BMC (longer for a BMC that fails); 0 turns them off.</summary>
    [JsonPropertyName("bmc-power-refresh-seconds")] public int BmcPowerRefreshSeconds { get; init; } = 60;

    /// <summary>Unknown MACs a client address may have recorded per minute; past it /provision answers 429.</summary>
    [JsonPropertyName("unknown-machines-per-minute")] public int UnknownMachinesPerMinute { get; init; } = 120;

    /// <summary>Open connections the service accepts in all; past it new ones are refused.</summary>
    [JsonPropertyName("max-connections")] public int MaxConnections { get; init; } = 10_000;

    /// <summary>Open connections one client address (an IPv6 /64) may hold; past it new ones are closed at once. Trusted proxies are exempt.</summary>
    [JsonPropertyName("max-connections-per-client")] public int MaxConnectionsPerClient { get; init; } = 256;

    /// <summary>Slowest a client may read an answer (after 5 s of grace); a client that stops reading is dropped.</summary>
    [JsonPropertyName("min-response-bytes-per-second")] public int MinResponseBytesPerSecond { get; init; } = 16 * 1024;

    /// <summary>The built-in proxyDHCP and TFTP server for PXE and UEFI HTTP boot; off by default.</summary>
    [JsonPropertyName("pxe")] public PxeConfig Pxe { get; init; } = new();

    /// <summary>How long a stopping service lets running downloads finish.</summary>
    [JsonPropertyName("shutdown-timeout-seconds")] public int ShutdownTimeoutSeconds { get; init; } = 30;

    /// <summary>Path of the config file these settings came from (not a key of the file).</summary>
    [JsonIgnore] public string SourceFile { get; init; } = "";
}

/// <summary>The values of <c>kernel-scheme</c>.</summary>
public static class KernelSchemes
{
    /// <summary>The scheme the machine used (the default).</summary>
    public const string Request = "request";

    /// <summary>0-bootstrap's rule: https unless the host contains <c>unsecure</c>.</summary>
    public const string ZeroBootstrap = "https";
}
