using System.Buffers.Binary;

namespace Bootstrap.Builder.Boot;

/// <summary>
/// A CPU architecture a runmode can boot, and where its runmode links live: x86-64 keeps
/// 0-bootstrap's <c>net/prod.efi</c> (existing sites keep working), every other architecture has
/// its own folder, <c>net/arm64/prod.efi</c>. iPXE names its own build in <c>${buildarch}</c>
/// (<c>i386</c> for the BIOS builds, which start 64-bit kernels as well, <c>x86_64</c>, <c>arm64</c>).
/// </summary>
/// <param name="Name">As operators and the API write it.</param>
/// <param name="LinkFolder">The folder of its links below the runmode links' folder, with its slash; empty for x86-64.</param>
/// <param name="BuildArchs">The <c>${buildarch}</c> values of the iPXE builds that boot its kernels.</param>
/// <param name="PeMachine">Its machine type in a PE header (PE/COFF §3.3.1), what an EFI-stub kernel declares.</param>
public sealed record KernelArchitecture(string Name, string LinkFolder, IReadOnlyList<string> BuildArchs, ushort PeMachine)
{
    public static readonly KernelArchitecture X86_64 = new("x86_64", "", ["i386", "x86_64"], 0x8664);
    public static readonly KernelArchitecture Arm64 = new("arm64", "arm64/", ["arm64"], 0xaa64);

    /// <summary>Every architecture, the default (x86-64) first.</summary>
    public static IReadOnlyList<KernelArchitecture> All { get; } = [X86_64, Arm64];

    /// <summary>The architecture called <paramref name="name"/> (case-sensitive, as in the link folders), or null.</summary>
    public static KernelArchitecture? Named(string? name) => All.FirstOrDefault(a => a.Name == name);

    /// <summary>The architecture an iPXE build of <paramref name="buildArch"/> boots (<c>i386</c> and <c>x86_64</c>: x86-64), or null.</summary>
    public static KernelArchitecture? OfBuild(string? buildArch) => All.FirstOrDefault(a => a.BuildArchs.Contains(buildArch));

    /// <summary>The names operators may write, for error messages.</summary>
    public static string Names => string.Join(", ", All.Select(a => a.Name));

    /// <summary>The architecture an operator named in <paramref name="field"/>, or why <paramref name="name"/> is none (the API, CLI, pages and catalogue word it alike).</summary>
    public static (KernelArchitecture? Architecture, string? Problem) Parse(string? name, string field) =>
        Named(name) is { } known ? (known, null) : (null, $"{field}: '{LogText.Escape(name ?? "")}' is not one of {Names}");

    /// <summary>The runmode link of <paramref name="runmode"/> for this architecture: <c>prod.efi</c>, <c>arm64/prod.efi</c>.</summary>
    public string LinkOf(string runmode) => $"{LinkFolder}{runmode}.efi";

    /// <summary>
    /// Splits a runmode link (<c>prod.efi</c>, <c>arm64/prod.efi</c>) into its architecture and its
    /// file name; the error names <paramref name="what"/> when the folder is not an architecture's
    /// or the file name breaks <see cref="KernelNames"/>.
    /// </summary>
    public static (KernelArchitecture? Architecture, string FileName, string? Problem) SplitLink(string link, string what = "link")
    {
        var slash = link.IndexOf('/');
        var architecture = slash < 0 ? X86_64 : All.FirstOrDefault(a => a.LinkFolder.Length > 0 && link.StartsWith(a.LinkFolder, StringComparison.Ordinal));
        if (architecture == null)
            return (null, link, $"{what}: '{LogText.Escape(link[..slash])}' is not an architecture's folder; runmode links are NAME.efi (x86_64) or " +
                                string.Join(" or ", All.Where(a => a.LinkFolder.Length > 0).Select(a => $"{a.LinkFolder}NAME.efi")));
        var fileName = link[architecture.LinkFolder.Length..];
        return (architecture, fileName, KernelNames.Check(fileName, what));
    }

    /// <summary>A link name as lists show it: the runmode, prefixed by its architecture's folder (<c>prod</c>, <c>arm64/prod</c>).</summary>
    public static string Shown(string link) => link.EndsWith(".efi", StringComparison.Ordinal) ? link[..^4] : link;

    /// <summary>How many leading bytes of a kernel <see cref="Detect"/> reads.</summary>
    public const int HeadBytes = 4096;

    /// <summary>
    /// The architecture a kernel file declares in its first <see cref="HeadBytes"/> bytes, or null
    /// when it declares none this service knows: an EFI-stub kernel's PE machine type (PE/COFF
    /// §3.3.1, at the offset in its MZ header's <c>e_lfanew</c>, 0x3c), an x86 bzImage's <c>HdrS</c>
    /// at 0x202 (Linux boot protocol, Documentation/arch/x86/boot.rst), an ARM64 Image's
    /// <c>ARM\x64</c> at 0x38 (Documentation/arch/arm64/booting.rst).
    /// </summary>
    public static KernelArchitecture? Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 0x40 && head[0] == 'M' && head[1] == 'Z')
        {
            var pe = BinaryPrimitives.ReadInt32LittleEndian(head[0x3c..]);
            if (pe > 0 && pe <= head.Length - 6 && head.Slice(pe, 4).SequenceEqual("PE\0\0"u8))
            {
                var machine = BinaryPrimitives.ReadUInt16LittleEndian(head[(pe + 4)..]);
                return All.FirstOrDefault(a => a.PeMachine == machine);
            }
        }
        if (head.Length >= 0x206 && head.Slice(0x202, 4).SequenceEqual("HdrS"u8))
            return X86_64;
        if (head.Length >= 0x3c && head.Slice(0x38, 4).SequenceEqual("ARM\x64"u8))
            return Arm64;
        return null;
    }

    /// <summary>The architecture of the kernel file at <paramref name="path"/> (see <see cref="Detect"/>); null when unknown or unreadable.</summary>
    public static KernelArchitecture? DetectFile(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            var head = new byte[HeadBytes];
            var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return Detect(head.AsSpan(0, read));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public override string ToString() => Name;
}
