using System.Net;

namespace Bootstrap.Tests.Support;

/// <summary>An HTTP server on 127.0.0.1 with one file, counting its requests (the image a BMC fetches).</summary>
public sealed class ImageServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private int _requests;

    private ImageServer(byte[] bytes, int port)
    {
        Url = new Uri($"http://127.0.0.1:{port}/iso-generic");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                try
                {
                    var context = await _listener.GetContextAsync();
                    Interlocked.Increment(ref _requests);
                    await context.Response.OutputStream.WriteAsync(bytes);
                    context.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
            }
        });
    }

    public Uri Url { get; }

    public int Requests => _requests;

    public static ImageServer Start(byte[] bytes)
    {
        using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new ImageServer(bytes, port);
    }

    public void Dispose() => _listener.Close();
}
