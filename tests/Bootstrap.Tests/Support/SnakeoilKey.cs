using System.Security.Cryptography;

namespace Bootstrap.Tests.Support;

/// <summary>
/// Debian's OVMF test key <c>PkKek-1-snakeoil</c> (enrolled in <c>OVMF_VARS_4M.snakeoil.fd</c>'s
/// db), standing in for a site key: its certificate and its key decrypted (the package ships it
/// encrypted with the passphrase "snakeoil", README.Debian) into a test folder.
/// </summary>
public static class SnakeoilKey
{
    public const string Certificate = "/usr/share/ovmf/PkKek-1-snakeoil.pem";

    /// <summary>Its subject as .NET writes it (the certificate has no CN).</summary>
    public const string Subject = "O=SnakeOil, L=Fort Collins, S=Colorado, C=US";
    private const string EncryptedKey = "/usr/share/ovmf/PkKek-1-snakeoil.key";

    /// <summary>Writes the unencrypted key into <paramref name="folder"/>; returns (certificate, key) paths.</summary>
    public static (string Certificate, string Key) WriteTo(string folder)
    {
        using var rsa = RSA.Create();
        rsa.ImportFromEncryptedPem(File.ReadAllText(EncryptedKey), "snakeoil");
        var key = Path.Combine(folder, "snakeoil.key");
        File.WriteAllText(key, rsa.ExportPkcs8PrivateKeyPem());
        var certificate = Path.Combine(folder, "snakeoil.pem");
        File.Copy(Certificate, certificate, overwrite: true);
        return (certificate, key);
    }
}
