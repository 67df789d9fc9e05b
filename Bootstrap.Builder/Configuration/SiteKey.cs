using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bootstrap.Builder.Images.Formats.Pe;

namespace Bootstrap.Builder.Configuration;

/// <summary>
/// The site's Secure Boot key (config keys <c>secure-boot-key</c> and <c>secure-boot-cert</c>,
/// PEM): the service signs every EFI file it builds and every kernel it serves with it, so
/// machines whose firmware <c>db</c> (or MOK list) holds the certificate run them with Secure Boot on.
/// </summary>
public sealed class SiteKey
{
    private SiteKey(X509Certificate2 certificate, RSA key)
    {
        Signer = new AuthenticodeSigner(certificate, key);
        Subject = certificate.Subject;
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(certificate.RawData));
        CertificateDer = certificate.RawData;
    }

    public AuthenticodeSigner Signer { get; }
    public string Subject { get; }

    /// <summary>SHA-256 of the certificate (DER), as <c>openssl x509 -fingerprint -sha256</c> shows it (without colons).</summary>
    public string Fingerprint { get; }

    /// <summary>The certificate in DER, the form firmware setup screens and MokManager enrol.</summary>
    public byte[] CertificateDer { get; }

    /// <summary>Loads the pair; the exception names the file and what is wrong with it.</summary>
    public static SiteKey Load(string certificatePath, string keyPath)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new SiteKeyException("secure-boot-cert", $"{certificatePath} is not a readable PEM certificate ({e.Message})");
        }
        var key = RSA.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(keyPath));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new SiteKeyException("secure-boot-key", $"{keyPath} is not a readable, unencrypted PEM RSA key ({e.Message})");
        }
        using var certificateKey = certificate.GetRSAPublicKey();
        if (certificateKey == null || !certificateKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            throw new SiteKeyException("secure-boot-key", $"{keyPath} is not the key of the certificate {certificatePath} ({certificate.Subject})");
        return new SiteKey(certificate, key);
    }
}

/// <summary>A Secure Boot key or certificate that cannot be used; <see cref="Key"/> is the config key to fix.</summary>
public sealed class SiteKeyException(string key, string message) : Exception(message)
{
    public string Key { get; } = key;
}
