using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Images.Templates;
using Bootstrap.Builder.Pxe;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Builder;

/// <summary>What the TFTP server may hand out: the three boot programs of the template, signed with the site key when there is one, and nothing else.</summary>
public sealed class TemplateTftpFilesTests
{
    [Fact]
    public void Only_the_three_boot_programs_are_found_by_name_and_nothing_by_path()
    {
        using var templates = new TemplateStore(RepoTemplate.Folder);
        var files = new TemplateTftpFiles(templates, siteKey: null);

        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoTemplate.Folder, "undionly.kpxe")), files.Find("undionly.kpxe"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoTemplate.Folder, "snponly.efi")), files.Find("snponly.efi"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(RepoTemplate.Folder, "ipxe-amd64.efi")), files.Find("ipxe-amd64.efi"));
        Assert.All(["manifest.json", "shimx64.efi", "./snponly.efi", "../ipxe-template/snponly.efi", RepoTemplate.Folder + "/snponly.efi", "SNPONLY.EFI"],
            name => Assert.Null(files.Find(name)));
    }

    [Fact]
    public void With_a_site_key_the_efi_programs_are_signed_and_sbverify_accepts_them()
    {
        var keys = Directory.CreateTempSubdirectory("bootstrap-keys-").FullName;
        try
        {
            var (certificate, key) = SnakeoilKey.WriteTo(keys);
            using var templates = new TemplateStore(RepoTemplate.Folder);
            var files = new TemplateTftpFiles(templates, SiteKey.Load(certificate, key));

            var (code, output, _) = Tool.Run("sbverify", "--cert", certificate, Tool.TempFile(files.Find("snponly.efi")!, ".efi"));
            Assert.True(code == 0, output);
            Assert.Equal(File.ReadAllBytes(Path.Combine(RepoTemplate.Folder, "undionly.kpxe")), files.Find("undionly.kpxe"));   // not a PE file: as it is
        }
        finally
        {
            Directory.Delete(keys, recursive: true);
        }
    }
}
