using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Images.Templates;

namespace Bootstrap.Builder.Images;

/// <summary>One sentence each on what Secure Boot machines can boot here: for /healthz, the start-up log and the generator page.</summary>
public static class SecureBootStatus
{
    /// <summary>Whether the Secure Boot images (shim and GRUB) can be built with <paramref name="template"/>.</summary>
    public static string Images(IIpxeTemplate? template) =>
        template == null ? "unavailable until the iPXE template is fixed"
        : TargetTable.SecureBootIso.Unsupported(template) is { } missing ? $"unavailable: {missing}"
        : "available (/iso-sb, /usb-sb: Debian's signed shim and GRUB, for machines that trust Microsoft's keys)";

    /// <summary>Which certificate signs the EFI files and kernels, or that nothing is signed.</summary>
    public static string Signing(SiteKey? key) =>
        key == null ? "no site key: EFI files and kernels are served as they are"
        : $"site key {key.Subject}, certificate SHA-256 {key.Fingerprint} (/secure-boot/site.der)";
}
