using System.Net.Sockets;
using System.Text;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// Bodies a client botches, sent byte for byte to the real server (Kestrel, not TestServer, parses
/// the framing): each is the client's fault, answered 400 or 408 and logged as one request line,
/// never a 500 with a stack trace.
/// </summary>
public sealed class ClientFaultTests : IDisposable
{
    private readonly TestSite _site = new();
    private readonly LiveService _service;

    public ClientFaultTests() => _service = new LiveService(_site.ConfigFile);

    public void Dispose()
    {
        _service.Dispose();
        _site.Dispose();
    }

    /// <summary>Sends <paramref name="head"/> and <paramref name="body"/> as they are; returns the status line, or null when the server closed without one.</summary>
    private async Task<string?> SendAsync(string head, string body, bool thenClose = false)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", _service.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "\r\n" + body));
        if (thenClose)
        {
            tcp.Client.Shutdown(SocketShutdown.Both);
            return null;
        }
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await reader.ReadLineAsync(timeout.Token);
    }

    private static string Head(string path, string contentType, string framing) =>
        $"POST {path} HTTP/1.1\r\nHost: bootstrap.test\r\nAuthorization: Bearer {TestSite.Token}\r\nContent-Type: {contentType}\r\n{framing}\r\n";

    /// <summary>The request log's line for <paramref name="path"/> once it is written (the log is batched).</summary>
    private async Task<string> LogLineAsync(string path, string method = "POST")
    {
        for (var waited = 0; waited < 100; waited++)
        {
            if (_service.Log.Split('\n').FirstOrDefault(l => l.Contains($" {method} {path}")) is { } line)
                return line.Trim();
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"no log line for {path}:\n{_service.Log}");
    }

    private void AssertNoTrace() => Assert.DoesNotContain(_service.Log.Split('\n'), l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal));

    [Theory]
    [InlineData("/signin", "application/x-www-form-urlencoded")]
    [InlineData("/api/machines/discover", "application/json")]
    [InlineData("/api/kernel", "multipart/form-data; boundary=b")]
    public async Task A_chunk_size_that_overflows_is_a_400_in_one_log_line(string path, string contentType)
    {
        var status = await SendAsync(Head(path, contentType, "Transfer-Encoding: chunked\r\n"), "FFFFFFFFFFFFFFFFFF\r\nabc\r\n");

        Assert.Equal("HTTP/1.1 400 Bad Request", status);
        Assert.Matches($@" POST {path.Replace("/", "\\/")} 400 ", await LogLineAsync(path));
        AssertNoTrace();
    }

    [Theory]
    [InlineData("/signin", "application/x-www-form-urlencoded")]
    [InlineData("/api/machines/discover", "application/json")]
    [InlineData("/api/kernel", "multipart/form-data; boundary=b")]
    public async Task A_client_that_closes_mid_body_is_logged_as_400(string path, string contentType)
    {
        await SendAsync(Head(path, contentType, "Content-Length: 5000\r\n"), "--b\r\nContent-Disposition: form-data; name=\"kernel\"; filename=\"x.efi\"\r\n\r\nabc", thenClose: true);

        Assert.Matches($@" POST {path.Replace("/", "\\/")} 400 ", await LogLineAsync(path));
        AssertNoTrace();
    }

    [Fact]
    public async Task A_client_that_stalls_mid_body_gets_408_once_the_minimum_data_rate_grace_is_over()
    {
        // Kestrel's MinRequestBodyDataRate: 240 bytes/s after a 5 s grace period.
        var status = await SendAsync(Head("/api/machines/discover", "application/json", "Content-Length: 5000\r\n"), "{\"macs\":");

        Assert.Equal("HTTP/1.1 408 Request Timeout", status);
        Assert.Matches(" POST /api/machines/discover 408 ", await LogLineAsync("/api/machines/discover"));
        AssertNoTrace();
    }

    [Fact]
    public async Task A_path_of_8_KB_is_logged_cut()
    {
        var path = "/ipxe/prod/1/" + new string('a', 8000);
        using var client = _service.Client();

        await client.GetAsync(path);

        var line = await LogLineAsync("/ipxe/prod/1/aaa", "GET");
        Assert.Contains(" GET /ipxe/prod/1/" + new string('a', 256 - 13) + "...(7757 more characters) 400 ", line);
    }
}
