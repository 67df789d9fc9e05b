using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Bootstrap.Builder.Configuration;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Http;

/// <summary>
/// A site key in config.json: a bad pair stops the service naming the key, the certificate is
/// served for enrolment, kernels are served signed (Range and ETag on the signed bytes, the file
/// on disk untouched) and EFI files are built signed; sbverify is the oracle.
/// </summary>
public sealed class SiteKeyTests : IDisposable
{
    private readonly TestSite _site;
    private readonly string _certificate;

    public SiteKeyTests()
    {
        var keys = Directory.CreateTempSubdirectory("bootstrap-keys-").FullName;
        var (certificate, key) = SnakeoilKey.WriteTo(keys);
        _certificate = certificate;
        _site = new TestSite(c =>
        {
            c["ipxe-template"] = RepoTemplate.Folder;
            c["secure-boot-key"] = key;
            c["secure-boot-cert"] = certificate;
        });
        _site.PutKernel("debian.efi", File.ReadAllBytes(BootKernel()));
        _site.AddLink("prod.efi", "debian.efi");
    }

    public void Dispose() => _site.Dispose();

    private static string BootKernel() =>
        Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_KERNEL") is { Length: > 0 } k ? k : Path.Combine(RepoRoot.Path, ".cache", "vmlinuz");

    private (int Code, string Out) Verify(byte[] bytes)
    {
        var (code, output, _) = Tool.Run("sbverify", "--cert", _certificate, Tool.TempFile(bytes, ".efi"));
        return (code, output);
    }

    [Fact]
    public async Task Kernels_are_served_with_the_site_signature_added_and_the_file_untouched()
    {
        var onDisk = _site.KernelBytes("debian.efi")!;
        var client = _site.Client();

        var response = await client.GetAsync("/kernel/net/prod.efi");
        var signed = await response.Content.ReadAsByteArrayAsync();
        var range = new HttpRequestMessage(HttpMethod.Get, "/kernel/net/prod.efi");
        range.Headers.Range = new RangeHeaderValue(signed.Length - 100, signed.Length - 1);
        var tail = await client.SendAsync(range);

        Assert.Equal((0, "Signature verification OK\n"), Verify(signed));
        Assert.NotEqual(0, Verify(onDisk).Code);   // Debian's signature alone does not verify with the site certificate
        Assert.Equal(onDisk, _site.KernelBytes("debian.efi"));
        Assert.Equal($"signed by {SnakeoilKey.Subject}", response.Headers.GetValues("X-Secure-Boot").Single());
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(signed[^100..], await tail.Content.ReadAsByteArrayAsync());
        Assert.Equal(response.Headers.ETag, tail.Headers.ETag);
    }

    [Theory]
    [InlineData("/uefi/prod/4242")]
    [InlineData("/snponly/prod/4242")]
    public async Task Efi_files_are_built_signed_and_the_inner_ipxe_too(string path)
    {
        var efi = await _site.Client().GetByteArrayAsync(path);

        Assert.Equal((0, "Signature verification OK\n"), Verify(efi));
        Assert.Equal((0, "Signature verification OK\n"), Verify(Tool.PeSection(Tool.TempFile(efi, ".efi"), ".ipxe")));
    }

    [Fact]
    public async Task The_signature_covers_the_script_the_efi_file_carries()
    {
        var efi = await _site.Client().GetByteArrayAsync("/uefi/prod/4242/console=ttyS0");
        var script = efi.AsSpan().IndexOf("farmer_id=4242"u8);
        var tampered = (byte[])efi.Clone();
        tampered[script + "farmer_id="u8.Length] = (byte)'5';   // farm 5242

        Assert.True(script > 0);
        Assert.Equal((0, "Signature verification OK\n"), Verify(efi));
        Assert.NotEqual(0, Verify(tampered).Code);
    }

    [Fact]
    public async Task A_catalogue_images_kernel_is_served_signed_and_its_other_files_as_uploaded()
    {
        var kernel = await File.ReadAllBytesAsync(BootKernel());
        var admin = _site.AdminClient();
        await admin.PutAsJsonAsync("/api/images/rescue", new { type = "kernel-initrd", kernel = "vmlinuz", initrds = new[] { "initrd.img" } });
        await admin.PutAsync("/api/images/rescue/vmlinuz", new ByteArrayContent(kernel));
        await admin.PutAsync("/api/images/rescue/initrd.img", new ByteArrayContent([1, 2, 3]));

        await admin.PostAsync("/api/images/rescue/promote", null);

        var servedKernel = await _site.Client().GetByteArrayAsync("/images/rescue/vmlinuz");
        var servedInitrd = await _site.Client().GetByteArrayAsync("/images/rescue/initrd.img");

        Assert.Equal((0, "Signature verification OK\n"), Verify(servedKernel));
        Assert.Equal([1, 2, 3], servedInitrd);
    }

    [Fact]
    public async Task The_discovery_os_kernel_is_served_signed()
    {
        var discovery = Directory.CreateDirectory(Path.Combine(_site.Root, "discovery")).FullName;
        File.Copy(BootKernel(), Path.Combine(discovery, "vmlinuz"));
        await File.WriteAllBytesAsync(Path.Combine(discovery, "initrd.img"), [4, 5, 6]);
        _site.Restart(c => c["discovery-image"] = discovery);

        var kernel = await _site.Client().GetByteArrayAsync("/discovery/vmlinuz");

        Assert.Equal((0, "Signature verification OK\n"), Verify(kernel));
        Assert.Equal([4, 5, 6], await _site.Client().GetByteArrayAsync("/discovery/initrd.img"));
    }

    [Fact]
    public async Task The_certificate_is_served_for_enrolment_and_health_names_it()
    {
        var der = await _site.Client().GetByteArrayAsync("/secure-boot/site.der");
        var health = await _site.AdminClient().GetStringAsync("/healthz");

        Assert.Equal(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(_certificate)).RawData, der);
        Assert.Contains($"\"secure-boot-signing\":\"site key {SnakeoilKey.Subject}, certificate SHA-256 ", health);
        Assert.Contains("\"secure-boot-images\":\"available (/iso-sb, /usb-sb", health);
    }

    [Fact]
    public void A_key_that_is_not_the_certificates_stops_the_service_naming_the_key()
    {
        var other = System.Security.Cryptography.RSA.Create(2048);
        var wrongKey = Path.Combine(_site.Root, "wrong.key");
        File.WriteAllText(wrongKey, other.ExportPkcs8PrivateKeyPem());
        var config = Path.Combine(_site.Root, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace(Path.Combine(Path.GetDirectoryName(_certificate)!, "snakeoil.key"), wrongKey));

        var problem = Assert.Throws<ConfigException>(() => ConfigLoader.Load(config));

        Assert.Equal($"config key 'secure-boot-key': {wrongKey} is not the key of the certificate {_certificate} ({SnakeoilKey.Subject})", problem.Message);
    }

    /// <summary>A PE image without its certificate table (directory entry cleared, table cut off): an unsigned kernel.</summary>
    public static byte[] Unsigned(byte[] pe)
    {
        var optional = BinaryPrimitives.ReadInt32LittleEndian(pe.AsSpan(0x3C)) + 24;
        var directory = optional + 112 + 4 * 8;
        var offset = BinaryPrimitives.ReadInt32LittleEndian(pe.AsSpan(directory));
        var copy = pe[..(offset == 0 ? pe.Length : offset)];
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(directory), 0);
        return copy;
    }
}
