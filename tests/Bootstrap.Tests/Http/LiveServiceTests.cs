using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>Behaviour that needs the real server (Kestrel on 127.0.0.1) and real connections.</summary>
public sealed class LiveServiceTests : IDisposable
{
    private readonly TestSite _site;

    public LiveServiceTests()
    {
        _site = new TestSite(c =>
        {
            c["ipxe-template"] = RepoTemplate.Folder;
            c["shutdown-timeout-seconds"] = 20;
            c["max-upload-bytes"] = 100_000;
        });
        _site.AddKernel("zos.efi", size: 24_000_000);
        _site.AddLink("prod.efi", "zos.efi");
    }

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task Sigterm_stops_accepting_lets_the_running_download_finish_and_exits_0()
    {
        using var service = new LiveService(_site.ConfigFile);
        using var client = service.Client();
        var expected = SHA256.HashData(_site.KernelBytes("zos.efi")!);
        using var response = await client.GetAsync("/kernel/net/prod.efi", HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync();
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[256 * 1024];
        hash.AppendData(buffer, 0, await body.ReadAtLeastAsync(buffer, buffer.Length));

        Process.Start("sh", ["-c", $"kill -TERM {service.Process.Id}"])!.WaitForExit();   // the shell's builtin kill
        // New connections are refused while the download still runs.
        var refused = false;
        for (var i = 0; i < 50 && !refused; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, service.Port);
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                refused = true;
            }
        }
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await Task.Delay(5);   // a slow machine on the other end
        }
        var exited = service.Process.WaitForExit(TimeSpan.FromSeconds(30));

        Assert.True(refused, "the service still accepted connections after SIGTERM");
        Assert.Equal(expected, hash.GetHashAndReset());
        Assert.True(exited, "the service did not exit within 30 s of SIGTERM");
        Assert.Equal(0, service.Process.ExitCode);
    }

    [Fact]
    public async Task Client_that_leaves_mid_build_leaves_no_temp_file_and_the_others_get_the_image()
    {
        using var service = new LiveService(_site.ConfigFile);
        using var leaver = service.Client();
        using var stayer = service.Client();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(15));

        var leaving = leaver.GetAsync("/iso/prod/31337/console=ttyS0", cancel.Token);
        var staying = Enumerable.Range(0, 4).Select(_ => stayer.GetByteArrayAsync("/iso/prod/31337/console=ttyS0")).ToList();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving);
        var images = await Task.WhenAll(staying);

        Assert.All(images, i => Assert.Equal(images[0], i));
        Assert.Equal("CD001"u8.ToArray(), images[0][0x8001..0x8006]);
        var cacheFiles = Directory.GetFiles(Path.Combine(_site.Root, "cache"), "*", SearchOption.AllDirectories);
        Assert.Single(cacheFiles);
        Assert.DoesNotContain(cacheFiles, f => f.EndsWith(".tmp"));
        Assert.Equal(images[0], File.ReadAllBytes(cacheFiles[0]));
    }

    [Fact]
    public async Task Chunked_upload_over_the_limit_is_413_and_leaves_no_temp_file()
    {
        using var service = new LiveService(_site.ConfigFile);
        using var client = service.Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestSite.Token);
        // A stream of unknown length goes out chunked: only the server's own counting can stop it.
        var file = new StreamContent(new UnknownLengthStream(new byte[300_000]));
        file.Headers.ContentType = new("application/octet-stream");
        var form = new MultipartFormDataContent { { file, "kernel", "huge.efi" } };
        form.Headers.ContentLength = null;

        var response = await client.PostAsync("/api/kernel", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("the upload is larger than max-upload-bytes (100000 bytes)\n", await response.Content.ReadAsStringAsync());
        Assert.Equal(["zos.efi"], _site.KernelNames());
    }

    [Fact]
    public async Task Overlong_url_is_refused_by_the_server()
    {
        using var service = new LiveService(_site.ConfigFile);
        using var client = service.Client();

        var response = await client.GetAsync("/ipxe/prod/1/" + new string('a', 9000));

        Assert.Equal(HttpStatusCode.RequestUriTooLong, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ipxe/prod/1")).StatusCode);
    }

    /// <summary>A readable stream that does not tell its length, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
