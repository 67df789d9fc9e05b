using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>The image catalogue through HTTP: describe, upload streamed, serve by ranges, promote, and every refusal.</summary>
public sealed class CatalogueRouteTests : IDisposable
{
    private readonly TestSite _site = new(c => c["max-image-bytes"] = 1_000_000);

    public void Dispose() => _site.Dispose();

    private static byte[] Bytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<HttpResponseMessage> Put(string path, byte[] body) =>
        await _site.AdminClient().PutAsync(path, new ByteArrayContent(body) { Headers = { ContentType = new("application/octet-stream") } });

    private async Task Describe(string name, object description)
    {
        var response = await _site.AdminClient().PutAsJsonAsync($"/api/images/{name}", description);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_image_is_described_uploaded_served_by_ranges_and_frozen_once_golden()
    {
        var kernel = Bytes(300_000, 1);
        var initrd = Bytes(200_000, 2);
        await Describe("debian", new { type = "kernel-initrd", title = "Debian 12 installer", kernel = "linux", initrds = new[] { "initrd.gz" }, args = "auto=true priority=critical" });

        var stored = await Put("/api/images/debian/linux", kernel);
        await Put("/api/images/debian/initrd.gz", initrd);
        var whole = await _site.AdminClient().GetAsync("/images/debian/linux");
        var range = new HttpRequestMessage(HttpMethod.Get, "/images/debian/initrd.gz") { Headers = { Range = new RangeHeaderValue(1000, 1999) } };
        var part = await _site.AdminClient().SendAsync(range);
        var head = await _site.AdminClient().SendAsync(new HttpRequestMessage(HttpMethod.Head, "/images/debian/linux"));

        var sha = Convert.ToHexStringLower(SHA256.HashData(kernel));
        Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        Assert.Contains($"\"sha256\":\"{sha}\"", await stored.Content.ReadAsStringAsync());
        Assert.Equal(kernel, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{sha}\"", whole.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(initrd[1000..2000], await part.Content.ReadAsByteArrayAsync());
        Assert.Equal((HttpStatusCode.OK, 300_000L, "bytes"), (head.StatusCode, head.Content.Headers.ContentLength!.Value, head.Headers.AcceptRanges.Single()));

        var promoted = await _site.AdminClient().PostAsync("/api/images/debian/promote", null);
        var change = await Put("/api/images/debian/linux", Bytes(10, 3));
        var redescribe = await _site.AdminClient().PutAsJsonAsync("/api/images/debian", new { type = "iso", iso = "x.iso" });

        Assert.Contains("\"state\":\"golden\"", await promoted.Content.ReadAsStringAsync());
        Assert.Equal((HttpStatusCode.Conflict, "image 'debian' is golden (frozen): create a new image to change it\n"),
            (change.StatusCode, await change.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Conflict, redescribe.StatusCode);
        Assert.Equal(kernel, await _site.Client().GetByteArrayAsync("/images/debian/linux"));
    }

    [Theory]
    [InlineData("Bad_Name", """{"type":"iso","iso":"a.iso"}""", "name: 1-64 of a-z, 0-9, '_' and '-', starting with a letter or digit\n")]
    [InlineData("x", """{"type":"floppy"}""", "type: 'floppy' is not one of kernel-initrd, iso, livenet, nfs\n")]
    [InlineData("x", """{"type":"iso"}""", "iso: an image of type iso needs one\n")]
    [InlineData("x", """{"type":"livenet","kernel":"k"}""", "rootfs: an image of type livenet needs one\n")]
    [InlineData("x", """{"type":"iso","iso":"a.iso","title":"menu\nitem shell"}""", "title: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData("x", """{"type":"iso","iso":"a.iso","title":"${net0/mac}"}""", "title: 1-64 of letters, digits, space and ()._,:/+-, starting with a letter, a digit or '('\n")]
    [InlineData("x", """{"type":"kernel-initrd","kernel":"../../etc/passwd"}""", "kernel: character '/' (U+002F) is not allowed in a file name (A-Z a-z 0-9 . _ -)\n")]
    [InlineData("x", """{"type":"kernel-initrd","kernel":"k","initrds":[".hidden"]}""", "initrds: a file name must not start with '.' or contain '..'\n")]
    [InlineData("x", """{"type":"kernel-initrd","kernel":"k","args":"a || shell"}""", "args: character '|' (U+007C) is not allowed; allowed are letters, digits, space and = _ . , : - + /\n")]
    public async Task Bad_descriptions_are_refused_by_name(string name, string body, string message)
    {
        var response = await _site.AdminClient().PutAsync($"/api/images/{name}", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(message, await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("..%2F..%2Fconfig.json", "file: character '%' (U+0025) is not allowed in a file name (A-Z a-z 0-9 . _ -)\n")]
    [InlineData("a%5Cb", "file: character '\\' (U+005C) is not allowed in a file name (A-Z a-z 0-9 . _ -)\n")]
    [InlineData(".env", "file: a file name must not start with '.' or contain '..'\n")]
    [InlineData("a..b", "file: a file name must not start with '.' or contain '..'\n")]
    public async Task Uploads_with_path_names_are_refused_and_write_nothing(string file, string message)
    {
        await Describe("iso1", new { type = "iso", iso = "a.iso" });

        var response = await Put($"/api/images/iso1/{file}", [1, 2, 3]);

        Assert.Equal((HttpStatusCode.BadRequest, message), (response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.False(File.Exists(Path.Combine(_site.Root, "config.json.tmp")));
        Assert.Empty(Directory.Exists(Path.Combine(_site.Root, "images", "iso1")) ? Directory.GetFiles(Path.Combine(_site.Root, "images", "iso1")) : []);
    }

    [Fact]
    public async Task An_upload_over_the_bound_is_413_and_leaves_nothing()
    {
        await Describe("big", new { type = "iso", iso = "a.iso" });

        var response = await _site.AdminClient().PutAsync("/api/images/big/a.iso", new StreamContent(new MemoryStream(new byte[1_000_001])));

        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "the file is larger than max-image-bytes (1000000 bytes)\n"),
            (response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.Empty(_site.StoredImageBytes("big"));
        Assert.Equal(HttpStatusCode.NotFound, (await _site.Client().GetAsync("/images/big/a.iso")).StatusCode);
    }

    [Fact]
    public async Task A_chunked_upload_that_grows_past_the_bound_is_cut_at_it_and_leaves_nothing()
    {
        await Describe("big", new { type = "iso", iso = "a.iso" });

        var response = await _site.AdminClient().PutAsync("/api/images/big/a.iso", new StreamContent(new LargeImageUploadTests.Zeros(5_000_000)));

        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "the file is larger than max-image-bytes (1000000 bytes)\n"),
            (response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.Empty(_site.StoredImageBytes("big"));
    }

    [Fact]
    public async Task Promotion_needs_every_described_file_and_the_api_needs_the_token()
    {
        await Describe("live", new { type = "livenet", kernel = "vmlinuz", initrds = new[] { "initrd.img" }, rootfs = "root.squashfs" });
        await Put("/api/images/live/vmlinuz", [1]);

        var promote = await _site.AdminClient().PostAsync("/api/images/live/promote", null);
        var stranger = await _site.Client().PutAsync("/api/images/live/vmlinuz", new ByteArrayContent([9]));

        Assert.Equal((HttpStatusCode.BadRequest, "files: initrd.img, root.squashfs not uploaded yet (PUT /api/images/live/<file>)\n"),
            (promote.StatusCode, await promote.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.Unauthorized, stranger.StatusCode);
        Assert.Equal([1], await _site.AdminClient().GetByteArrayAsync("/images/live/vmlinuz"));
    }

    [Fact]
    public async Task A_staging_images_files_are_served_to_the_admin_only_until_it_is_promoted()
    {
        await Describe("rescue", new { type = "iso", iso = "rescue.iso" });
        await Put("/api/images/rescue/rescue.iso", [7, 7, 7]);

        var stranger = await _site.Client().GetAsync("/images/rescue/rescue.iso");
        var page = _site.Client();
        await PageSignIn.PostAsync(page, "/catalogue");
        var signedIn = await page.GetByteArrayAsync("/images/rescue/rescue.iso");
        var byToken = await _site.AdminClient().GetByteArrayAsync("/images/rescue/rescue.iso");
        await _site.AdminClient().PostAsync("/api/images/rescue/promote", null);
        var afterPromotion = await _site.Client().GetByteArrayAsync("/images/rescue/rescue.iso");

        Assert.Equal((HttpStatusCode.Forbidden, "image 'rescue' is staging: its files are served to the admin only until it is promoted\n"),
            (stranger.StatusCode, await stranger.Content.ReadAsStringAsync()));
        Assert.Equal([7, 7, 7], signedIn);
        Assert.Equal([7, 7, 7], byToken);
        Assert.Equal([7, 7, 7], afterPromotion);
    }
}

/// <summary>A 2 GiB upload through the real server: streamed to disk (or into PostgreSQL's rows), never held in memory.</summary>
public sealed class LargeImageUploadTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const long Size = 2L * 1024 * 1024 * 1024;
    private readonly TestSite _site = new();

    public void Dispose() => _site.Dispose();

    /// <summary>Zeros, produced as read: the client holds no more of the upload than the service does.</summary>
    internal sealed class Zeros(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Array.Clear(buffer, offset, n);
            _position += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static long PeakRssBytes(int pid) =>
        long.Parse(File.ReadAllLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    /// <summary>On PostgreSQL too: zeros compress in the database (TOAST), so its 2 GiB cost CI little.</summary>
    [Fact]
    public async Task A_2_gib_upload_keeps_the_service_under_300_mb_and_hashes_what_it_stored()
    {
        using var service = new LiveService(_site.ConfigFile);
        using var admin = service.AdminClient();
        admin.Timeout = TimeSpan.FromMinutes(5);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync("/api/images/big", new { type = "iso", iso = "big.iso" })).StatusCode);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var zeros = new byte[1 << 20];
        for (long done = 0; done < Size; done += zeros.Length)
            hash.AppendData(zeros);
        var expected = Convert.ToHexStringLower(hash.GetHashAndReset());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var content = new StreamContent(new Zeros(Size), 1 << 16);
        content.Headers.ContentLength = Size;
        var response = await admin.PutAsync("/api/images/big/big.iso", content);
        var peak = PeakRssBytes(service.Process.Id);
        output.WriteLine($"2 GiB upload: {clock.Elapsed.TotalSeconds:F1} s, service peak RSS {peak / 1048576} MiB");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Contains($"\"size\":{Size},\"sha256\":\"{expected}\"", await response.Content.ReadAsStringAsync());
        var stored = _site.PostgresConnection == null ? Path.Combine(_site.Root, "images", "big", "big.iso") : Path.Combine(_site.Root, "shared-files", expected);
        Assert.Equal(Size, new FileInfo(stored).Length);
        if (_site.PostgresConnection is { } postgres)
        {
            await using var db = new Npgsql.NpgsqlConnection(postgres);
            Assert.Equal((2048L, Size), await Dapper.SqlMapper.QuerySingleAsync<(long, long)>(db, "SELECT count(*), sum(length(data))::bigint FROM blob_chunks"));
        }
        Assert.InRange(peak, 1, 300L * 1024 * 1024);
    }
}
