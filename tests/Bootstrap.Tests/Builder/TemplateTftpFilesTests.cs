using Bootstrap.Builder.Configuration;
using Bootstrap.Builder.Images.Templates;
using Bootstrap.Builder.Pxe;
using Bootstrap.Tests.Support;
using Microsoft.Extensions.Time.Testing;

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

    [Fact]
    public async Task A_broken_template_reaches_tftp_after_the_check_a_request_starts_a_second_later_and_no_request_waits_for_it()
    {
        var folder = Directory.CreateTempSubdirectory("bootstrap-template-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(RepoTemplate.Folder))
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            var clock = new FakeTimeProvider();
            using var templates = new TemplateStore(folder);
            var files = new TemplateTftpFiles(templates, siteKey: null, clock);
            var snponly = File.ReadAllBytes(Path.Combine(folder, "snponly.efi"));
            Assert.Equal(snponly, files.Find("snponly.efi"));

            File.Delete(Path.Combine(folder, "manifest.json"));
            clock.Advance(TemplateTftpFiles.Recheck - TimeSpan.FromTicks(1));
            Assert.Equal(snponly, files.Find("snponly.efi"));   // not checked yet
            clock.Advance(TimeSpan.FromTicks(1));
            Assert.Equal(snponly, files.Find("snponly.efi"));   // answered from the files in hand; the check starts

            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (files.Find("snponly.efi") != null)
                await Task.Delay(10, bound.Token);
            Assert.Null(files.Find("undionly.kpxe"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
