using System.Text;

namespace Bootstrap.Builder.Images.Formats.Iso;

/// <summary>Where the builder put things, in 2048-byte logical blocks (LBAs).</summary>
public sealed record IsoLayout(long VolumeBlocks, long BootCatalogLba, long BiosBootFileLba, long EfiImageLba, long EfiImageBytes)
{
    /// <summary>Bytes of the whole image: the ISO 9660 volume plus the appended EFI image.</summary>
    public long TotalBytes => (VolumeBlocks + (EfiImageBytes + IsoImageBuilder.BlockSize - 1) / IsoImageBuilder.BlockSize) * IsoImageBuilder.BlockSize;
}

/// <summary>
/// Builds an ISO 9660 image (ECMA-119, 4th edition; interchange level 2 names, no Rock Ridge or
/// Joliet) with El Torito boot entries (El Torito Bootable CD-ROM Format Specification 1.0):
/// a BIOS no-emulation entry for a file of the image, and an EFI no-emulation entry for a FAT
/// image appended after the ISO 9660 volume, where a hybrid MBR's second partition can point too.
/// Shaped after DiscUtils' <c>CDBuilder</c> (<c>AddFile</c>, <c>SetBootImage</c>,
/// <c>UpdateIsolinuxBootTable</c>, <c>Build</c>) so that package can replace it.
/// </summary>
/// <remarks>
/// Deterministic: every date is <see cref="Timestamp"/>. The first 32 KiB (ECMA-119 6.2.1 "System
/// Area") are <see cref="SystemArea"/>, which is where a hybrid image's MBR goes; call
/// <see cref="Plan"/> first to learn the LBAs that MBR needs.
/// </remarks>
public sealed class IsoImageBuilder
{
    public const int BlockSize = 2048;
    private const int SystemAreaBlocks = 16;
    private const int PvdLba = 16;

    public static readonly DateTime Timestamp = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly Dir _root = new("", null);
    private string? _biosBootFile;
    private int _biosLoadSectors;
    private (long Length, Action<Stream> Write)? _efiImage;

    /// <summary>ECMA-119 8.4.6: up to 32 d-characters.</summary>
    public string VolumeIdentifier { get; init; } = "CDROM";

    /// <summary>Patch the 56-byte isolinux boot information table (offset 8 of the BIOS boot file), as mkisofs -boot-info-table does.</summary>
    public bool UpdateIsolinuxBootTable { get; init; }

    /// <summary>Bytes for the system area (at most 32 KiB); zeros if unset.</summary>
    public byte[] SystemArea { get; set; } = [];

    /// <summary>Adds a file; folders on its path are created. Names become upper-case level 2 identifiers.</summary>
    public void AddFile(string path, byte[] content)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var dir = _root;
        foreach (var folder in parts[..^1])
        {
            var id = Identifier(folder, isFile: false);
            var next = dir.Dirs.FirstOrDefault(d => d.Id == id);
            if (next == null)
                dir.Dirs.Add(next = new Dir(id, dir));
            dir = next;
        }
        var fileId = Identifier(parts[^1], isFile: true);
        if (dir.Files.Any(f => f.Id == fileId))
            throw new ArgumentException($"'{path}' was added twice");
        dir.Files.Add(new FileItem(fileId, content, path));
    }

    /// <summary>El Torito initial entry: BIOS, no emulation, loads <paramref name="loadSectors"/> 512-byte sectors of an added file.</summary>
    public void SetBootImage(string path, int loadSectors = 4)
    {
        _biosBootFile = path;
        _biosLoadSectors = loadSectors;
    }

    /// <summary>El Torito section entry for platform 0xEF (EFI), no emulation: a FAT image appended after the volume.</summary>
    public void SetEfiBootImage(byte[] fatImage) => SetEfiBootImage(fatImage.Length, output => output.Write(fatImage));

    /// <summary>The same, for an image written when the ISO is (<paramref name="write"/> writes exactly <paramref name="length"/> bytes).</summary>
    public void SetEfiBootImage(long length, Action<Stream> write)
    {
        if (length % 512 != 0 || length / 512 > ushort.MaxValue)
            throw new ArgumentException("the EFI image must be whole 512-byte sectors, at most 65535 of them", nameof(length));
        _efiImage = (length, write);
    }

    public IsoLayout Plan()
    {
        var lba = PvdLba + 1L;
        if (HasBoot)
            lba++;                                   // El Torito boot record volume descriptor (El Torito 2.0)
        lba++;                                       // volume descriptor set terminator (ECMA-119 8.3)
        var dirs = DirsInPathTableOrder();
        var pathTableBytes = dirs.Sum(d => PathTableRecordLength(d));
        var pathTableBlocks = Blocks(pathTableBytes);
        _pathTableL = lba;
        lba += pathTableBlocks;
        _pathTableM = lba;
        lba += pathTableBlocks;
        foreach (var d in dirs)
        {
            d.Lba = lba;
            d.Size = DirectoryBytes(d).Length;
            lba += Blocks(d.Size);
        }
        var catalogLba = 0L;
        if (HasBoot)
            catalogLba = lba++;
        foreach (var f in AllFiles())
        {
            f.Lba = lba;
            lba += Blocks(f.Content.Length);
        }
        var biosLba = _biosBootFile == null ? 0 : FindFile(_biosBootFile).Lba;
        return new IsoLayout(lba, catalogLba, biosLba, _efiImage == null ? 0 : lba, _efiImage?.Length ?? 0);
    }

    /// <summary>
    /// The image in one array of its planned size: a growing MemoryStream would leave copies of
    /// every doubling, and the last one again for ToArray, on the large-object heap per build.
    /// </summary>
    public byte[] Build()
    {
        var image = new byte[Size];
        using var stream = new MemoryStream(image);
        Build(stream);
        if (stream.Position != image.Length)
            throw new InvalidOperationException($"the ISO wrote {stream.Position} bytes of the {image.Length} it planned");
        return image;
    }

    /// <summary>The image's size in bytes: the EFI image follows the ISO 9660 volume (Plan places it at VolumeBlocks).</summary>
    public long Size => (Plan().VolumeBlocks + (_efiImage is { } efi ? Blocks(efi.Length) : 0)) * BlockSize;

    public void Build(Stream output)
    {
        if (SystemArea.Length > SystemAreaBlocks * BlockSize)
            throw new InvalidOperationException("the system area is 32 KiB");
        var layout = Plan();
        var dirs = DirsInPathTableOrder();
        Write(output, SystemArea, SystemAreaBlocks * BlockSize);
        Write(output, PrimaryVolumeDescriptor(layout, dirs), BlockSize);
        if (HasBoot)
            Write(output, BootRecord(layout), BlockSize);
        Write(output, Terminator(), BlockSize);
        Write(output, PathTable(dirs, bigEndian: false), (_pathTableM - _pathTableL) * BlockSize);
        Write(output, PathTable(dirs, bigEndian: true), (_pathTableM - _pathTableL) * BlockSize);
        foreach (var d in dirs)
            Write(output, DirectoryBytes(d), Blocks(d.Size) * BlockSize);
        if (HasBoot)
            Write(output, BootCatalog(layout), BlockSize);
        foreach (var f in AllFiles())
        {
            var content = f.Content;
            if (UpdateIsolinuxBootTable && f.Path == _biosBootFile)
                content = WithBootInfoTable(content, f.Lba);
            Write(output, content, Blocks(content.Length) * BlockSize);
        }
        if (_efiImage is { } efi)
        {
            var start = output.Position;
            efi.Write(output);
            if (output.Position - start != efi.Length)
                throw new InvalidOperationException($"the EFI image wrote {output.Position - start} bytes of the {efi.Length} it planned");
            Zeros.Write(output, Blocks(efi.Length) * BlockSize - efi.Length);
        }
    }

    private long _pathTableL, _pathTableM;

    private bool HasBoot => _biosBootFile != null || _efiImage != null;

    private static long Blocks(long bytes) => Math.Max(1, (bytes + BlockSize - 1) / BlockSize);

    private static void Write(Stream output, byte[] bytes, long paddedLength)
    {
        output.Write(bytes);
        Zeros.Write(output, paddedLength - bytes.Length);
    }

    /// <summary>ECMA-119 8.4: the primary volume descriptor.</summary>
    private byte[] PrimaryVolumeDescriptor(IsoLayout layout, List<Dir> dirs)
    {
        var b = new byte[BlockSize];
        b[0] = 1;                                                        // 8.4.1 volume descriptor type
        Fields.Text(b, 1, 5, "CD001");                                   // 8.4.2 standard identifier
        b[6] = 1;                                                        // 8.4.3 version
        Fields.Text(b, 8, 32, "");                                       // 8.4.5 system identifier
        Fields.Text(b, 40, 32, VolumeIdentifier.ToUpperInvariant());     // 8.4.6 volume identifier
        Fields.U32Both(b, 80, layout.VolumeBlocks);                      // 8.4.8 volume space size
        Fields.U16Both(b, 120, 1);                                       // 8.4.10 volume set size
        Fields.U16Both(b, 124, 1);                                       // 8.4.11 volume sequence number
        Fields.U16Both(b, 128, BlockSize);                               // 8.4.12 logical block size
        Fields.U32Both(b, 132, dirs.Sum(d => PathTableRecordLength(d))); // 8.4.13 path table size
        Fields.U32(b, 140, _pathTableL);                                 // 8.4.14 type L path table
        Fields.U32Be(b, 148, _pathTableM);                               // 8.4.16 type M path table
        DirectoryRecord(_root, [0]).CopyTo(b, 156);                      // 8.4.18 root directory record
        Fields.Text(b, 190, 128, "");                                    // 8.4.19 volume set identifier
        Fields.Text(b, 318, 128, "");                                    // 8.4.20 publisher
        Fields.Text(b, 446, 128, "");                                    // 8.4.21 data preparer
        Fields.Text(b, 574, 128, "BOOTSTRAP");                           // 8.4.22 application
        Fields.Text(b, 702, 37 * 3, "");                                 // 8.4.23-25 copyright, abstract, bibliographic files
        VolumeDate(Timestamp).CopyTo(b, 813);                            // 8.4.26 creation
        VolumeDate(Timestamp).CopyTo(b, 830);                            // 8.4.27 modification
        VolumeDate(null).CopyTo(b, 847);                                 // 8.4.28 expiration: not specified
        VolumeDate(null).CopyTo(b, 864);                                 // 8.4.29 effective: not specified
        b[881] = 1;                                                      // 8.4.31 file structure version
        return b;
    }

    /// <summary>El Torito 1.0 section 2.0: the boot record volume descriptor pointing at the boot catalog.</summary>
    private static byte[] BootRecord(IsoLayout layout)
    {
        var b = new byte[BlockSize];
        b[0] = 0;
        Fields.Text(b, 1, 5, "CD001");
        b[6] = 1;
        Fields.Text(b, 7, 32, "EL TORITO SPECIFICATION", pad: 0);
        Fields.U32(b, 0x47, layout.BootCatalogLba);
        return b;
    }

    /// <summary>ECMA-119 8.3: volume descriptor set terminator.</summary>
    private static byte[] Terminator()
    {
        var b = new byte[BlockSize];
        b[0] = 255;
        Fields.Text(b, 1, 5, "CD001");
        b[6] = 1;
        return b;
    }

    /// <summary>
    /// El Torito 1.0 section 2.1–2.4: validation entry, initial (BIOS) entry, then a final section
    /// header for platform 0xEF with one section entry (the EFI image).
    /// </summary>
    private byte[] BootCatalog(IsoLayout layout)
    {
        var b = new byte[BlockSize];
        b[0] = 1;                                          // 2.1 header ID
        b[1] = 0;                                          // platform: 80x86
        Fields.Text(b, 4, 24, "", pad: 0);                 // ID string
        b[30] = 0x55; b[31] = 0xAA;                        // key bytes
        var sum = 0;
        for (var i = 0; i < 32; i += 2)
            sum += b[i] | (b[i + 1] << 8);
        Fields.U16(b, 28, -sum & 0xFFFF);                  // checksum: all words sum to 0

        var e = b.AsSpan(32, 32);                          // 2.2 initial/default entry
        if (_biosBootFile != null)
        {
            e[0] = 0x88;                                   // bootable
            e[1] = 0;                                      // no emulation
            Fields.U16(e, 2, 0);                           // load segment 0 = traditional 0x7C0
            Fields.U16(e, 6, _biosLoadSectors);            // sector count (512-byte virtual sectors)
            Fields.U32(e, 8, layout.BiosBootFileLba);      // load RBA
        }

        if (_efiImage != null)
        {
            var h = b.AsSpan(64, 32);                      // 2.3 section header
            h[0] = 0x91;                                   // final header
            h[1] = 0xEF;                                   // platform: EFI
            Fields.U16(h, 2, 1);                           // one section entry follows
            var s = b.AsSpan(96, 32);                      // 2.4 section entry
            s[0] = 0x88;
            s[1] = 0;                                      // no emulation
            Fields.U16(s, 6, (int)(_efiImage.Value.Length / 512));      // the whole FAT image, in 512-byte sectors
            Fields.U32(s, 8, layout.EfiImageLba);
        }
        return b;
    }

    /// <summary>
    /// isolinux's boot information table (56 bytes at offset 8, as mkisofs -boot-info-table writes
    /// it): LBA of the primary volume descriptor, LBA of the boot file, its length, and the 32-bit
    /// sum of its little-endian dwords from offset 64 on.
    /// </summary>
    internal static byte[] WithBootInfoTable(byte[] file, long fileLba)
    {
        var patched = (byte[])file.Clone();
        uint sum = 0;
        for (var i = 64; i < patched.Length; i += 4)
        {
            uint word = 0;
            for (var k = 0; k < 4 && i + k < patched.Length; k++)
                word |= (uint)patched[i + k] << (8 * k);
            sum += word;
        }
        Fields.U32(patched, 8, PvdLba);
        Fields.U32(patched, 12, fileLba);
        Fields.U32(patched, 16, patched.Length);
        Fields.U32(patched, 20, sum);
        patched.AsSpan(24, 40).Clear();
        return patched;
    }

    /// <summary>ECMA-119 9.4: path table records, root first, then by level, parent number and identifier.</summary>
    private static byte[] PathTable(List<Dir> dirs, bool bigEndian)
    {
        var b = new byte[dirs.Sum(d => PathTableRecordLength(d))];
        var at = 0;
        foreach (var d in dirs)
        {
            var id = d.Parent == null ? new byte[] { 0 } : Encoding.ASCII.GetBytes(d.Id);
            b[at] = (byte)id.Length;                                      // 9.4.1 length of identifier
            b[at + 1] = 0;                                                // 9.4.2 extended attribute length
            var parentNumber = d.Parent == null ? 1 : dirs.IndexOf(d.Parent) + 1;
            if (bigEndian)
            {
                Fields.U32Be(b, at + 2, d.Lba);                           // 9.4.3 extent location
                Fields.U16Be(b, at + 6, parentNumber);                    // 9.4.4 parent directory number
            }
            else
            {
                Fields.U32(b, at + 2, d.Lba);
                Fields.U16(b, at + 6, parentNumber);
            }
            id.CopyTo(b, at + 8);
            at += PathTableRecordLength(d);
        }
        return b;
    }

    private static int PathTableRecordLength(Dir d)
    {
        var idLength = d.Parent == null ? 1 : d.Id.Length;
        return 8 + idLength + (idLength % 2);
    }

    /// <summary>ECMA-119 6.8.1.1, 9.3: "." and "..", then the children by identifier; no record crosses a block.</summary>
    private byte[] DirectoryBytes(Dir d)
    {
        var records = new List<byte[]>
        {
            DirectoryRecord(d, [0]),
            DirectoryRecord(d.Parent ?? d, [1]),
        };
        foreach (var child in d.Dirs.Cast<Item>().Concat(d.Files).OrderBy(i => i.Id, IdentifierOrder.Instance))
            records.Add(DirectoryRecord(child, Encoding.ASCII.GetBytes(child.Id)));
        var bytes = new List<byte>();
        foreach (var r in records)
        {
            var room = BlockSize - bytes.Count % BlockSize;
            if (r.Length > room)
                bytes.AddRange(new byte[room]);
            bytes.AddRange(r);
        }
        return bytes.ToArray();
    }

    /// <summary>ECMA-119 9.1: a directory record.</summary>
    private static byte[] DirectoryRecord(Item item, byte[] id)
    {
        var length = 33 + id.Length + (id.Length % 2 == 0 ? 1 : 0);
        var r = new byte[length];
        r[0] = (byte)length;                                   // 9.1.1 length of directory record
        Fields.U32Both(r, 2, item.Lba);                        // 9.1.3 location of extent
        Fields.U32Both(r, 10, item is Dir d ? Blocks(d.Size) * BlockSize : ((FileItem)item).Content.Length); // 9.1.4 data length
        RecordingDate(Timestamp).CopyTo(r, 18);                // 9.1.5 recording date and time
        r[25] = (byte)(item is Dir ? 0x02 : 0x00);             // 9.1.6 file flags: directory
        Fields.U16Both(r, 28, 1);                              // 9.1.9 volume sequence number
        r[32] = (byte)id.Length;                               // 9.1.10 length of file identifier
        id.CopyTo(r, 33);                                      // 9.1.11 file identifier (+ 9.1.12 padding)
        return r;
    }

    /// <summary>ECMA-119 9.1.5: years since 1900, month, day, hour, minute, second, GMT offset.</summary>
    private static byte[] RecordingDate(DateTime t) =>
        [(byte)(t.Year - 1900), (byte)t.Month, (byte)t.Day, (byte)t.Hour, (byte)t.Minute, (byte)t.Second, 0];

    /// <summary>ECMA-119 8.4.26.1: "YYYYMMDDHHMMSScc" digits and a GMT offset byte; all zeros means "not specified".</summary>
    private static byte[] VolumeDate(DateTime? t)
    {
        var text = t is { } v ? v.ToString("yyyyMMddHHmmss") + "00" : "0000000000000000";
        return [.. Encoding.ASCII.GetBytes(text), 0];
    }

    /// <summary>
    /// An interchange level 2 identifier (ECMA-119 7.5, 7.6): d-characters A–Z 0–9 _, up to 31
    /// characters; files get ";1". Other characters become '_'.
    /// </summary>
    internal static string Identifier(string name, bool isFile)
    {
        var upper = new string(name.ToUpperInvariant().Select(c => c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '.' ? c : '_').ToArray());
        if (!isFile)
            upper = upper.Replace('.', '_');
        else if (!upper.Contains('.'))
            upper += ".";
        var limit = isFile ? 29 : 31;
        if (upper.Length > limit)
            throw new ArgumentException($"'{name}' is longer than an ISO 9660 level 2 name allows");
        return isFile ? upper + ";1" : upper;
    }

    private List<Dir> DirsInPathTableOrder()
    {
        var result = new List<Dir> { _root };
        for (var i = 0; i < result.Count; i++)
            result.AddRange(result[i].Dirs.OrderBy(d => d.Id, IdentifierOrder.Instance));
        return result;
    }

    private IEnumerable<FileItem> AllFiles() => DirsInPathTableOrder().SelectMany(d => d.Files);

    private FileItem FindFile(string path) =>
        AllFiles().FirstOrDefault(f => f.Path == path) ?? throw new InvalidOperationException($"boot file '{path}' was not added");

    /// <summary>ECMA-119 9.3: identifiers compare as if padded with spaces (0x20).</summary>
    private sealed class IdentifierOrder : IComparer<string>
    {
        public static readonly IdentifierOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var length = Math.Max(x!.Length, y!.Length);
            return string.CompareOrdinal(x.PadRight(length), y.PadRight(length));
        }
    }

    private abstract class Item(string id)
    {
        public string Id { get; } = id;
        public long Lba { get; set; }
    }

    private sealed class Dir(string id, Dir? parent) : Item(id)
    {
        public Dir? Parent { get; } = parent;
        public List<Dir> Dirs { get; } = [];
        public List<FileItem> Files { get; } = [];
        public long Size { get; set; }
    }

    private sealed class FileItem(string id, byte[] content, string path) : Item(id)
    {
        public byte[] Content { get; } = content;
        public string Path { get; } = path;
    }
}
