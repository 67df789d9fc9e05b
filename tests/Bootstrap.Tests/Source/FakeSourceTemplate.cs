using System.Security.Cryptography;
using System.Text.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Source;

/// <summary>
/// A source template whose "make" is a small shell script, for the service-side paths (worker
/// pool, failure and timeout answers) only: it writes "BUILT:" and the embedded script as the
/// target, fails when the script says FAIL, hangs when it says HANG, and fails if two builds ever
/// share a tree at once. With <c>patchableSnponly</c>, its snponly.efi is a precompiled stand-in
/// (<see cref="EfiHead"/>, a <see cref="PlaceholderBytes"/>-byte placeholder, <see cref="EfiTail"/>) that requests patch.
/// </summary>
public static class FakeSourceTemplate
{
    public const int PlaceholderBytes = 4096;
    public const string EfiHead = "MZ fake snponly.efi head|";
    public const string EfiTail = "|tail";

    /// <summary>A test site whose ipxe-template is such a fake, and whose prod network has a kernel.</summary>
    public static TestSite Site(int workers, bool patchableSnponly = false)
    {
        var site = new TestSite(c => c["ipxe-template"] = "source-template");
        Create(Path.Combine(site.Root, "source-template"), workers, patchableSnponly);
        site.AddProdKernel();
        return site;
    }

    private static void Create(string folder, int workers, bool patchableSnponly)
    {
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "isolinux.bin", "ldlinux.c32", "isohdpfx.bin" })
            File.Copy(Path.Combine(RepoTemplate.Folder, name), Path.Combine(folder, name), overwrite: true);
        var make = Path.Combine(folder, "fake-make");
        File.WriteAllText(make, """
            #!/bin/sh
            # fake make: -C DIR TARGET EMBED=FILE ...
            dir=$2; target=$3; embed=${4#EMBED=}
            mkdir "$dir/.busy" 2>/dev/null || { echo "two builds in one tree" >&2; exit 9; }
            trap 'rmdir "$dir/.busy"' EXIT
            grep -q HANG "$embed" && sleep 60
            if grep -q FAIL "$embed"; then echo "embedded.c:1: error: the script asked to fail" >&2; exit 2; fi
            sleep 0.2
            mkdir -p "$dir/$(dirname "$target")"
            { printf 'BUILT:%s:' "$target"; cat "$embed"; } > "$dir/$target"
            """);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(make, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var trees = Enumerable.Range(0, workers).Select(i => $"source/tree-{i}").ToList();
        foreach (var tree in trees)
            Directory.CreateDirectory(Path.Combine(folder, tree, "src"));
        var manifest = new Dictionary<string, object?>
        {
            ["kind"] = "source",
            ["ipxe-version"] = "fake",
            ["workers"] = trees,
            ["make"] = make,
            ["make-timeout-seconds"] = 3,
            ["files"] = new[] { "isolinux.bin", "ldlinux.c32", "isohdpfx.bin" }.ToDictionary(n => n,
                n => new { sha256 = Sha256(Path.Combine(folder, n)) }),
        };
        if (patchableSnponly)
        {
            Directory.CreateDirectory(Path.Combine(folder, "source", "patch"));
            var placeholder = "#!ipxe\n" + new string('#', PlaceholderBytes - 8) + "\n";
            File.WriteAllText(Path.Combine(folder, "source", "patch", "bootstrap.ipxe"), placeholder);
            File.WriteAllText(Path.Combine(folder, "source", "patch", "snponly.efi"), EfiHead + placeholder + EfiTail);
            manifest["placeholder"] = "source/patch/bootstrap.ipxe";
            manifest["patchable"] = new Dictionary<string, object> { ["snponly.efi"] = new { image = "source/patch/snponly.efi", offset = EfiHead.Length } };
            manifest["patch-files"] = new[] { "bootstrap.ipxe", "snponly.efi" }.ToDictionary(n => "source/patch/" + n,
                n => new { sha256 = Sha256(Path.Combine(folder, "source", "patch", n)) });
        }
        File.WriteAllText(Path.Combine(folder, "manifest.json"), JsonSerializer.Serialize(manifest));
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
