using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Bootstrap.Builder.Boot;

namespace Bootstrap.Builder.Configuration;

/// <summary>A configuration the service must not start with; the message names the key.</summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>Reads <c>config.json</c>, resolves its relative paths against the file's folder and validates it.</summary>
public static partial class ConfigLoader
{
    /// <summary>Keys of 0-bootstrap's config.py that mean nothing here; accepted so an old file loads.</summary>
    private static readonly HashSet<string> LegacyKeys = ["ipxe-template-uefi", "debug"];

    private static readonly HashSet<string> KnownKeys = KeysOf(typeof(BootstrapConfig));

    /// <summary>The keys a config record reads: its properties' JSON names.</summary>
    internal static HashSet<string> KeysOf(Type record) => record.GetProperties()
        .Select(p => p.GetCustomAttributes(typeof(JsonPropertyNameAttribute), false).Cast<JsonPropertyNameAttribute>().FirstOrDefault()?.Name)
        .OfType<string>().ToHashSet();

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The files of a discovery OS folder, served at /discovery/&lt;name&gt;.</summary>
    public static readonly IReadOnlyList<string> DiscoveryFiles = ["vmlinuz", "initrd.img"];

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}\\z")]
    internal static partial Regex RunmodeKey();

    [GeneratedRegex(@"^[A-Za-z0-9.-]{1,253}\z")]
    private static partial Regex HostName();

    /// <summary>
    /// Finds the config file: <paramref name="explicitPath"/> when given, else <c>config.json</c> in
    /// the working folder or the nearest parent that has one.
    /// </summary>
    public static string Locate(string? explicitPath)
    {
        if (!string.IsNullOrEmpty(explicitPath))
            return Path.GetFullPath(explicitPath);
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir != null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "config.json");
            if (File.Exists(candidate))
                return candidate;
        }
        throw new ConfigException("no config.json in the working folder or its parents; pass --config FILE");
    }

    public static BootstrapConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new ConfigException($"config file '{path}' does not exist");
        BootstrapConfig raw;
        try
        {
            var text = File.ReadAllText(path);
            using (var doc = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }))
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new ConfigException($"{path}: the file must hold one JSON object");
                var unknown = doc.RootElement.EnumerateObject().Select(p => p.Name)
                    .FirstOrDefault(k => !KnownKeys.Contains(k) && !LegacyKeys.Contains(k));
                if (unknown != null)
                    throw new ConfigException($"{path}: unknown key '{unknown}'");
                if (doc.RootElement.TryGetProperty("pxe", out var pxe) && pxe.ValueKind == JsonValueKind.Object
                    && pxe.EnumerateObject().Select(p => p.Name).FirstOrDefault(k => !PxeConfig.Keys.Contains(k)) is { } unknownPxe)
                    throw new ConfigException($"{path}: unknown key 'pxe.{unknownPxe}'");
            }
            raw = JsonSerializer.Deserialize<BootstrapConfig>(text, JsonOptions)!;
        }
        catch (JsonException e)
        {
            var key = e.Path is { Length: > 2 } p ? $" (key '{p.TrimStart('$', '.').Trim('[', ']', '\'')}')" : "";
            throw new ConfigException($"{path}: not valid JSON{key}: {e.Message}");
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Resolve(string p) => Path.GetFullPath(Path.Combine(folder, p));
        string ResolveIfSet(string p) => p.Length == 0 ? "" : Resolve(p);   // an optional path stays empty
        var config = raw with
        {
            IpxeTemplate = Resolve(raw.IpxeTemplate),
            KernelPath = Resolve(raw.KernelPath),
            KernelNetPath = Resolve(raw.KernelNetPath),
            BootstrapDb = Resolve(raw.BootstrapDb),
            CachePath = Resolve(raw.CachePath),
            SharedFilesPath = Resolve(raw.SharedFilesPath),
            ImagePath = Resolve(raw.ImagePath),
            DiscoveryImage = ResolveIfSet(raw.DiscoveryImage),
            SourceFile = Path.GetFullPath(path),
            SecureBootKey = ResolveIfSet(raw.SecureBootKey),
            SecureBootCert = ResolveIfSet(raw.SecureBootCert),
            TlsCertificate = ResolveIfSet(raw.TlsCertificate),
            TlsKey = ResolveIfSet(raw.TlsKey),
        };
        Validate(config);
        var tls = LoadTlsCertificate(config);
        return config with { SiteKey = LoadSiteKey(config), TlsServerCertificate = tls?.Leaf, TlsCertificateChain = tls?.Chain ?? [] };
    }

    private static (System.Security.Cryptography.X509Certificates.X509Certificate2 Leaf,
        System.Security.Cryptography.X509Certificates.X509Certificate2Collection Chain)? LoadTlsCertificate(BootstrapConfig c)
    {
        if (c.HttpsPort == 0)
            return null;
        if (c.HttpsPort is < 1 or > 65535 || c.HttpsPort == c.HttpPort)
            throw new ConfigException($"config key 'https-port': {c.HttpsPort} is not a TCP port (1-65535) other than http-port");
        if (c.TlsCertificate.Length == 0 || c.TlsKey.Length == 0)
            throw new ConfigException($"config key '{(c.TlsCertificate.Length == 0 ? "tls-certificate" : "tls-key")}': https-port needs tls-certificate and tls-key (PEM files; setup/test-ca.sh makes a test pair)");
        try
        {
            var leaf = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(c.TlsCertificate, c.TlsKey);
            var all = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            all.ImportFromPemFile(c.TlsCertificate);
            return (leaf, new System.Security.Cryptography.X509Certificates.X509Certificate2Collection(all.Skip(1).ToArray()));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ConfigException($"config key 'tls-key': {c.TlsCertificate} and {c.TlsKey} are not a readable PEM certificate and its unencrypted key ({e.Message})");
        }
    }

    private static SiteKey? LoadSiteKey(BootstrapConfig c)
    {
        if (c.SecureBootKey.Length == 0 && c.SecureBootCert.Length == 0)
            return null;
        if (c.SecureBootKey.Length == 0 || c.SecureBootCert.Length == 0)
            throw new ConfigException($"config key '{(c.SecureBootKey.Length == 0 ? "secure-boot-key" : "secure-boot-cert")}': set both secure-boot-key and secure-boot-cert, or neither");
        try
        {
            return SiteKey.Load(c.SecureBootCert, c.SecureBootKey);
        }
        catch (SiteKeyException e)
        {
            throw new ConfigException($"config key '{e.Key}': {e.Message}");
        }
    }

    /// <summary>Throws a <see cref="ConfigException"/> naming the first key whose value cannot work.</summary>
    public static void Validate(BootstrapConfig c)
    {
        void Fail(string key, string why) => throw new ConfigException($"config key '{key}': {why}");

        if (c.HttpPort is < 1 or > 65535)
            Fail("http-port", $"{c.HttpPort} is not a TCP port (1-65535)");
        // On PostgreSQL the kernels are in the database: the folders are not used.
        if (c.Storage != "postgres" && !Directory.Exists(c.KernelPath))
            Fail("kernel-path", $"folder '{c.KernelPath}' does not exist");
        if (c.Storage != "postgres" && !Directory.Exists(c.KernelNetPath))
            Fail("kernel-net-path", $"folder '{c.KernelNetPath}' does not exist");
        if (c.Storage is not ("sqlite" or "postgres"))
            Fail("storage", $"'{c.Storage}' is neither \"sqlite\" nor \"postgres\"");
        if (c.Storage == "sqlite" && !Directory.Exists(Path.GetDirectoryName(c.BootstrapDb)))
            Fail("bootstrap-db", $"folder of '{c.BootstrapDb}' does not exist");
        if (c.Storage == "postgres")
        {
            if (c.PostgresConnection.Length == 0)
                Fail("postgres-connection", "storage \"postgres\" needs an Npgsql connection string (setup/postgres.sh up DIR prints one)");
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(c.PostgresConnection);
            }
            catch (ArgumentException e)
            {
                Fail("postgres-connection", $"not an Npgsql connection string ({e.Message})");
            }
        }
        if (c.Runmodes.Count == 0)
            Fail("runmodes", "at least one network is needed");
        foreach (var (key, name) in c.Runmodes)
        {
            if (!RunmodeKey().IsMatch(key))
                Fail("runmodes", $"network '{key}' must be 1-32 of a-z, 0-9, '_', '-', starting with a letter or digit");
            if (!TextShapes.DisplayText().IsMatch(name))
                Fail("runmodes", $"display name of '{key}' must be {TextShapes.DisplayTextRule}");
        }
        if (c.BaseHost.Length > 0 && !TextShapes.HttpUrl().IsMatch(c.BaseHost))
            Fail("base-host", $"'{c.BaseHost}' is not {TextShapes.HttpUrlRule}");
        if (c.KernelScheme is not (KernelSchemes.Request or KernelSchemes.ZeroBootstrap))
            Fail("kernel-scheme", $"'{c.KernelScheme}' is not \"{KernelSchemes.Request}\" (the scheme the machine used) or \"{KernelSchemes.ZeroBootstrap}\" (https unless the host contains 'unsecure')");
        if (c.NtpServer.Length > 0 && !HostName().IsMatch(c.NtpServer))
            Fail("ntp-server", $"'{c.NtpServer}' is not a host name");
        foreach (var proxy in c.TrustedProxies)
            if (!IPAddress.TryParse(proxy, out _))
                Fail("trusted-proxies", $"'{proxy}' is not an IP address");
        if (c.DiscoveryImage.Length > 0 && DiscoveryFiles.FirstOrDefault(f => !File.Exists(Path.Combine(c.DiscoveryImage, f))) is { } missing)
            Fail("discovery-image", $"'{c.DiscoveryImage}' has no {missing}: build it with setup/discovery.sh");
        if (c.CacheMemoryBytes < 0)
            Fail("cache-memory-bytes", "must not be negative");
        if (c.CacheDiskBytes < 0)
            Fail("cache-disk-bytes", "must not be negative (0 = no disk copy)");
        if (c.MaxConcurrentBuilds < 0)
            Fail("max-concurrent-builds", "must not be negative (0 = one per core)");
        if (c.BuildQueueLimit < 0)
            Fail("build-queue-limit", "must not be negative");
        foreach (var (key, value) in new (string, long)[]
                 {
                     ("max-upload-bytes", c.MaxUploadBytes), ("max-image-bytes", c.MaxImageBytes), ("admin-requests-per-minute", c.AdminRequestsPerMinute),
                     ("cold-builds-per-minute", c.ColdBuildsPerMinute), ("max-connections", c.MaxConnections),
                     ("max-connections-per-client", c.MaxConnectionsPerClient), ("min-response-bytes-per-second", c.MinResponseBytesPerSecond),
                     ("max-pending-machines", c.MaxPendingMachines), ("unknown-machines-per-minute", c.UnknownMachinesPerMinute),
                     ("discovery-poll-seconds", c.DiscoveryPollSeconds), ("bmc-concurrency", c.BmcConcurrency),
                 })
            if (value < 1)
                Fail(key, "must be at least 1");
        if (c.BmcPowerRefreshSeconds is < 0 or > 86400)
            Fail("bmc-power-refresh-seconds", "must be 0 (off) to 86400");
        if (c.ShutdownTimeoutSeconds is < 0 or > 3600)
            Fail("shutdown-timeout-seconds", "must be 0 to 3600");
        if (c.Pxe.Problem() is var (pxeKey, pxeWhy))
            Fail(pxeKey, pxeWhy);
    }
}
