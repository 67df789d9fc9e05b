using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bootstrap.Builder.Images.Formats.Pe;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>
/// The in-process Authenticode signer against Debian's sbverify (sbsigntool), the oracle: an
/// unsigned iPXE and an already-signed Debian kernel both verify with our certificate, the
/// kernel keeps Debian's signature, and one byte changed anywhere hashed breaks ours.
/// </summary>
public sealed class AuthenticodeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("bootstrap-sign-").FullName;
    private readonly AuthenticodeSigner _signer;
    private readonly string _certificatePem;

    public AuthenticodeTests()
    {
        var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Bootstrap test site key", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        _signer = new AuthenticodeSigner(certificate, key);
        _certificatePem = Path.Combine(_folder, "site.pem");
        File.WriteAllText(_certificatePem, certificate.ExportCertificatePem());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (int Code, string Output) Verify(byte[] image, string? certificate = null)
    {
        var file = Path.Combine(_folder, $"{Guid.NewGuid():N}.efi");
        File.WriteAllBytes(file, image);
        var (code, output, _) = Tool.Run("sbverify", "--cert", certificate ?? _certificatePem, file);
        return (code, output);
    }

    [Fact]
    public async Task An_unsigned_ipxe_signed_in_process_verifies_and_a_changed_byte_breaks_it()
    {
        var ipxe = await File.ReadAllBytesAsync(Path.Combine(RepoTemplate.Folder, "ipxe-amd64.efi"));

        var signed = _signer.Sign(ipxe);
        var tampered = (byte[])signed.Clone();
        tampered[ipxe.Length / 2] ^= 0x01;

        Assert.Equal((0, "Signature verification OK\n"), Verify(signed));
        Assert.NotEqual(0, Verify(tampered).Code);
        Assert.NotEqual(0, Verify(ipxe).Code);
        Assert.Equal(AuthenticodeSigner.ImageHash(ipxe.Concat(new byte[(8 - ipxe.Length % 8) % 8]).ToArray()), AuthenticodeSigner.ImageHash(signed));
    }

    [Fact]
    public void A_kernel_signed_by_debian_gains_our_signature_and_keeps_its_own()
    {
        var kernelPath = Environment.GetEnvironmentVariable("BOOTSTRAP_TEST_KERNEL") is { Length: > 0 } k ? k : Path.Combine(RepoRoot.Path, ".cache", "vmlinuz");
        var kernel = File.ReadAllBytes(kernelPath);
        var debianCertificates = Tool.Run("sbverify", "--list", kernelPath).Out;

        var signed = _signer.Sign(kernel);
        var listed = Tool.Run("sbverify", "--list", WriteTemp(signed)).Out;

        Assert.Equal((0, "Signature verification OK\n"), Verify(signed));
        Assert.Contains("signature 1", listed);
        Assert.Contains("signature 2", listed);
        Assert.Contains("CN=Bootstrap test site key", listed);
        Assert.Contains(debianCertificates.Split('\n').First(l => l.Contains("subject:")).Trim(), listed);
    }

    private string WriteTemp(byte[] bytes)
    {
        var file = Path.Combine(_folder, $"{Guid.NewGuid():N}.efi");
        File.WriteAllBytes(file, bytes);
        return file;
    }
}
