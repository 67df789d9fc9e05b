using System.Collections.Concurrent;
using System.Net;
using Bootstrap.Builder.Observability;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Bootstrap.Api.Http;

/// <summary>
/// Connection bounds in Kestrel: <c>max-connections</c> in all (Kestrel's own limit),
/// <c>max-connections-per-client</c> per client address (a connection middleware: past the bound a
/// new connection is closed before a byte is read; trusted proxies are exempt, they carry many
/// clients), and <c>min-response-bytes-per-second</c>, below which a client that stops reading
/// is dropped (Kestrel's rate after 5 s of grace, and <see cref="StalledReaders"/> within two
/// checks of what the client really acknowledged), so it cannot hold a kernel's file handle open.
/// </summary>
public static class ConnectionLimits
{
    public static void Apply(KestrelServerOptions kestrel, BootstrapConfig config)
    {
        kestrel.Limits.MaxConcurrentConnections = config.MaxConnections;
        kestrel.Limits.MaxConcurrentUpgradedConnections = config.MaxConnections;
        kestrel.Limits.MinResponseDataRate = new MinDataRate(config.MinResponseBytesPerSecond, TimeSpan.FromSeconds(5));
        var perClient = new PerClient(config, kestrel.ApplicationServices);
        kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => connection => perClient.Run(connection, next)));
    }

    private sealed class PerClient(BootstrapConfig config, IServiceProvider services)
    {
        private StalledReaders Stalled => field ??= services.GetRequiredService<StalledReaders>();
        private BootstrapMetrics Metrics => field ??= services.GetRequiredService<BootstrapMetrics>();

        private readonly ConcurrentDictionary<string, int> _open = new();
        private readonly Func<IPAddress?, bool> _isProxy = TrustedProxies.Listed(config);

        public async Task Run(ConnectionContext connection, ConnectionDelegate next)
        {
            var peer = (connection.RemoteEndPoint as IPEndPoint)?.Address;
            using var watched = Stalled.Watch(connection);
            if (_isProxy(peer))
            {
                await next(connection);
                return;
            }
            var client = ClientKey.Of(peer);
            if (_open.AddOrUpdate(client, 1, (_, n) => n + 1) > config.MaxConnectionsPerClient)
            {
                Release(client);
                Metrics.ConnectionsDropped.Add(1, new KeyValuePair<string, object?>("reason", "per-client"));
                connection.Abort(new ConnectionAbortedException($"more than {config.MaxConnectionsPerClient} connections from {client}"));
                return;
            }
            try
            {
                await next(connection);
            }
            finally
            {
                Release(client);
            }
        }

        private void Release(string client)
        {
            if (_open.AddOrUpdate(client, 0, (_, n) => n - 1) <= 0)
                _open.TryRemove(new KeyValuePair<string, int>(client, 0));
        }
    }
}
