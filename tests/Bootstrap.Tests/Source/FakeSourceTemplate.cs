using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bootstrap.Tests.Support;

namespace Bootstrap.Tests.Source;

/// <summary>
/// A source template whose "make" is a small shell script, for the service-side paths (worker
/// pool, failure and timeout answers) only: it writes "BUILT:" and the embedded script as the
/// target, fails when the script says FAIL, hangs when it says HANG, and fails if two builds ever
/// share a tree at once. With <c>patchableSnponly</c>, its snponly.efi is a precompiled stand-in
/// (<see cref="EfiHead"/>, a <see cref="PlaceholderBytes"/>-byte placeholder, <see cref="EfiTail"/>) that requests patch.
/// With <c>patchableLkrn</c>, its ipxe.lkrn is a stand-in link output (<see cref="LkrnImage"/>: a 512-byte header copied,
/// then real code with the placeholder 80% in, packed) with its .zinfo, repacked through the lzma-resume helper that
/// setup/test.sh builds.
/// </summary>
public static class FakeSourceTemplate
{
    public const int PlaceholderBytes = 4096;
    public const string EfiHead = "MZ fake snponly.efi head|";
    public const string EfiTail = "|tail";

    /// <summary>A test site whose ipxe-template is such a fake, and whose prod network has a kernel.</summary>
    public static TestSite Site(int workers, bool patchableSnponly = false, bool patchableLkrn = false)
    {
        var site = new TestSite(c => c["ipxe-template"] = "source-template");
        Create(Path.Combine(site.Root, "source-template"), workers, patchableSnponly, patchableLkrn);
        site.AddProdKernel();
        // An image's script tries every architecture's link; /ipxe answers the same script when the runmode has a kernel for each.
        site.AddLink("arm64/prod.efi", "zos.efi");
        return site;
    }

    public const int LkrnHeaderBytes = 512;
    public const int LkrnPlaceholderOffset = LkrnHeaderBytes + 320_000;

    /// <summary>The stand-in .lkrn link output: a header, then CoreLib's code with the placeholder inside.</summary>
    public static byte[] LkrnImage(string placeholder)
    {
        var code = File.ReadAllBytes(typeof(object).Assembly.Location).AsSpan(100_000, 400_000);
        return [.. Encoding.ASCII.GetBytes("fake lkrn header|").Concat(new byte[LkrnHeaderBytes - 17]),
                .. code[..(LkrnPlaceholderOffset - LkrnHeaderBytes)], .. Encoding.ASCII.GetBytes(placeholder),
                .. code[(LkrnPlaceholderOffset - LkrnHeaderBytes)..]];
    }

    /// <summary>Its zinfo: COPY the header, PAYL, PACK the rest (zbin's records, 16 bytes each).</summary>
    public static byte[] LkrnZinfo(int imageLength) =>
        [.. Record("COPY", 0, LkrnHeaderBytes, 16), .. Record("PAYL", 0, 0, 16), .. Record("PACK", LkrnHeaderBytes, (uint)(imageLength - LkrnHeaderBytes), 16)];

    private static byte[] Record(string type, uint a, uint b, uint c)
    {
        var record = new byte[16];
        Encoding.ASCII.GetBytes(type).CopyTo(record, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), a);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), b);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), c);
        return record;
    }

    public static string Placeholder => "#!ipxe\n" + new string('#', PlaceholderBytes - 8) + "\n";

    private static void Create(string folder, int workers, bool patchableSnponly, bool patchableLkrn)
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
        if (patchableSnponly || patchableLkrn)
        {
            var patch = Path.Combine(folder, "source", "patch");
            Directory.CreateDirectory(patch);
            File.WriteAllText(Path.Combine(patch, "bootstrap.ipxe"), Placeholder);
            var patchable = new Dictionary<string, object>();
            if (patchableSnponly)
            {
                File.WriteAllText(Path.Combine(patch, "snponly.efi"), EfiHead + Placeholder + EfiTail);
                patchable["snponly.efi"] = new { image = "source/patch/snponly.efi", offset = EfiHead.Length };
            }
            if (patchableLkrn)
            {
                var image = LkrnImage(Placeholder);
                File.WriteAllBytes(Path.Combine(patch, "ipxe.lkrn.bin"), image);
                File.WriteAllBytes(Path.Combine(patch, "ipxe.lkrn.zinfo"), LkrnZinfo(image.Length));
                File.Copy(Path.Combine(RepoRoot.Path, ".cache", "lzma-resume"), Path.Combine(patch, "lzma-resume"));
                patchable["ipxe.lkrn"] = new { image = "source/patch/ipxe.lkrn.bin", offset = LkrnPlaceholderOffset, zinfo = "source/patch/ipxe.lkrn.zinfo" };
                manifest["lzma-resume"] = "source/patch/lzma-resume";
            }
            manifest["placeholder"] = "source/patch/bootstrap.ipxe";
            manifest["patchable"] = patchable;
            manifest["patch-files"] = Directory.EnumerateFiles(patch).ToDictionary(f => "source/patch/" + Path.GetFileName(f),
                f => new { sha256 = Sha256(f) });
        }
        File.WriteAllText(Path.Combine(folder, "manifest.json"), JsonSerializer.Serialize(manifest));
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
