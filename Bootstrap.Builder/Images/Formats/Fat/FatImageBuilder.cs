using System.Text;

namespace Bootstrap.Builder.Images.Formats.Fat;

/// <summary>
/// Builds a FAT12 or FAT16 volume image holding the files added to it, in one pass, with VFAT long
/// names where a name is not a plain 8.3 name. Shaped after DiscUtils' <c>FatFileSystem</c> usage
/// (<c>AddFile(path, bytes)</c> then <c>Build(stream)</c>) so that package can replace it.
/// Implements "Microsoft Extensible Firmware Initiative FAT32 File System Specification" v1.03
/// (the "FAT spec"): boot sector/BPB (section 3), FAT type by cluster count (section 3.5), FAT
/// entries (section 4), directory entries (section 6) and long names (section 7).
/// </summary>
/// <remarks>
/// Deterministic: every timestamp is <see cref="Timestamp"/> and the volume serial is whatever the
/// caller derives from the content, so the same files always give the same bytes.
/// </remarks>
public sealed class FatImageBuilder
{
    public const int SectorSize = 512;
    private const int DirEntrySize = 32;
    private const int RootEntries = 64;
    private const int ReservedSectors = 1;
    private const int FatCount = 2;

    /// <summary>The one time written everywhere: 2020-01-01 00:00:00.</summary>
    public static readonly DateTime Timestamp = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly Dir _root = new("", null);

    /// <summary>Up to 11 characters, stored upper-case in the boot sector and as the root's label entry.</summary>
    public string VolumeLabel { get; init; } = "NO NAME";

    public uint VolumeSerial { get; init; }

    /// <summary>Sectors before this volume on its disk (BPB_HiddSec): the partition's start LBA, 0 for a bare image.</summary>
    public uint HiddenSectors { get; init; }

    /// <summary>The total size is rounded up to a multiple of this many bytes (e.g. 2048 for a CD sector).</summary>
    public int SizeMultiple { get; init; } = SectorSize;

    /// <summary>Adds a file; folders on its path are created. Paths use '/' or '\'.</summary>
    public void AddFile(string path, byte[] content)
    {
        var parts = path.Split('/', '\\', StringSplitOptions.RemoveEmptyEntries);
        var dir = _root;
        foreach (var folder in parts[..^1])
        {
            var next = dir.Dirs.FirstOrDefault(d => string.Equals(d.Name, folder, StringComparison.OrdinalIgnoreCase));
            if (next == null)
                dir.Dirs.Add(next = new Dir(folder, dir));
            dir = next;
        }
        if (dir.Files.Any(f => string.Equals(f.Name, parts[^1], StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException($"'{path}' was added twice");
        dir.Files.Add(new FileItem(parts[^1], content));
    }

    /// <summary>The image's size in bytes, known before writing (what an MBR or El Torito entry needs).</summary>
    public long Size => Plan().TotalSectors * (long)SectorSize;

    /// <summary>The image in one array of its planned size (no growing MemoryStream's copies on the large-object heap).</summary>
    public byte[] Build()
    {
        var image = new byte[Size];
        using var stream = new MemoryStream(image);
        Build(stream);
        if (stream.Position != image.Length)
            throw new InvalidOperationException($"the FAT image wrote {stream.Position} bytes of the {image.Length} it planned");
        return image;
    }

    public void Build(Stream output)
    {
        var layout = Plan();
        var clusterBytes = layout.SectorsPerCluster * SectorSize;
        // Assign clusters: directories (other than the root) then files, depth-first, in insertion order.
        var next = 2;
        var chains = new List<(int First, int Count)>();
        foreach (var item in Items(_root))
        {
            var count = Math.Max(1, (int)((item.Length(this) + clusterBytes - 1) / clusterBytes));
            if (item.Length(this) == 0 && item is FileItem)
                count = 0;
            item.FirstCluster = count == 0 ? 0 : next;
            if (count > 0)
                chains.Add((next, count));
            next += count;
        }

        output.Write(BootSector(layout));
        var fat = FatTable(layout, chains);
        for (var i = 0; i < FatCount; i++)
            output.Write(fat);
        output.Write(DirectoryBytes(_root, RootEntries * DirEntrySize, isRoot: true));
        foreach (var item in Items(_root))
        {
            var bytes = item is Dir d ? DirectoryBytes(d, item.Length(this), isRoot: false) : ((FileItem)item).Content;
            output.Write(bytes);
            var pad = item.FirstCluster == 0 ? 0 : (int)(-bytes.Length % clusterBytes + clusterBytes) % clusterBytes;
            Zeros.Write(output, pad);
        }
        var written = layout.FirstDataSector + (long)(next - 2) * layout.SectorsPerCluster;
        Zeros.Write(output, (layout.TotalSectors - written) * SectorSize);
    }

    private sealed record Layout(bool Fat16, int SectorsPerCluster, int FatSectors, int RootSectors, long TotalSectors)
    {
        public int FirstDataSector => ReservedSectors + FatCount * FatSectors + RootSectors;
    }

    /// <summary>
    /// Chooses FAT type and cluster size so the cluster count lands in the type's range (FAT spec
    /// 3.5: fewer than 4085 clusters is FAT12, fewer than 65525 FAT16) and sizes the FATs to match.
    /// </summary>
    private Layout Plan()
    {
        const int rootSectors = RootEntries * DirEntrySize / SectorSize;
        foreach (var fat16 in new[] { false, true })
        {
            // FAT12 only up to 4 KiB clusters (16 MiB): past that FAT16's smaller clusters waste less.
            for (var spc = 1; spc <= (fat16 ? 64 : 8); spc *= 2)
            {
                var clusterBytes = spc * SectorSize;
                long needed = Items(_root).Sum(i => i is FileItem { Content.Length: 0 } ? 0 : Math.Max(1, (i.Length(this) + clusterBytes - 1) / clusterBytes));
                var clusters = Math.Max(needed, fat16 ? 4085 : 1);
                if (clusters > (fat16 ? 65524 : 4084))
                    continue;
                for (var attempt = 0; attempt < 4; attempt++)
                {
                    var fatBytes = fat16 ? (clusters + 2) * 2 : ((clusters + 2) * 3 + 1) / 2;
                    var fatSectors = (int)((fatBytes + SectorSize - 1) / SectorSize);
                    var dataStart = ReservedSectors + FatCount * fatSectors + rootSectors;
                    var total = dataStart + clusters * spc;
                    var multiple = SizeMultiple / SectorSize;
                    var rounded = (total + multiple - 1) / multiple * multiple;
                    // Rounding adds whole clusters only when they fit the same FAT; otherwise the slack stays unused.
                    var finalClusters = (rounded - dataStart) / spc;
                    if (finalClusters > (fat16 ? 65524 : 4084) || (fat16 ? (finalClusters + 2) * 2 : ((finalClusters + 2) * 3 + 1) / 2) > fatSectors * SectorSize)
                    {
                        clusters = finalClusters;
                        continue;
                    }
                    return new Layout(fat16, spc, fatSectors, rootSectors, rounded);
                }
            }
        }
        throw new InvalidOperationException("the files do not fit a FAT16 volume");
    }

    /// <summary>FAT spec section 3.1 (BPB common part) and 3.2 (FAT12/16 extended BPB).</summary>
    private byte[] BootSector(Layout l)
    {
        var b = new byte[SectorSize];
        b[0] = 0xEB; b[1] = 0x3C; b[2] = 0x90;                   // BS_jmpBoot
        Fields.Text(b, 3, 8, "BOOTSTRP");                         // BS_OEMName
        Fields.U16(b, 11, SectorSize);                            // BPB_BytsPerSec
        b[13] = (byte)l.SectorsPerCluster;                        // BPB_SecPerClus
        Fields.U16(b, 14, ReservedSectors);                       // BPB_RsvdSecCnt
        b[16] = FatCount;                                         // BPB_NumFATs
        Fields.U16(b, 17, RootEntries);                           // BPB_RootEntCnt
        Fields.U16(b, 19, l.TotalSectors < 0x10000 ? (int)l.TotalSectors : 0); // BPB_TotSec16
        b[21] = 0xF8;                                             // BPB_Media: fixed disk
        Fields.U16(b, 22, l.FatSectors);                          // BPB_FATSz16
        Fields.U16(b, 24, 32);                                    // BPB_SecPerTrk
        Fields.U16(b, 26, 64);                                    // BPB_NumHeads
        Fields.U32(b, 28, HiddenSectors);                         // BPB_HiddSec
        Fields.U32(b, 32, l.TotalSectors < 0x10000 ? 0 : l.TotalSectors); // BPB_TotSec32
        b[36] = 0x80;                                             // BS_DrvNum
        b[38] = 0x29;                                             // BS_BootSig: the next three fields are present
        Fields.U32(b, 39, VolumeSerial);                          // BS_VolID
        Fields.Text(b, 43, 11, Label);                            // BS_VolLab
        Fields.Text(b, 54, 8, l.Fat16 ? "FAT16" : "FAT12");       // BS_FilSysType
        // No boot code: a BIOS that tries this volume gets "int 18h" (boot next device).
        b[62] = 0xCD; b[63] = 0x18;
        b[510] = 0x55; b[511] = 0xAA;
        return b;
    }

    private string Label => VolumeLabel.ToUpperInvariant() is var l && l.Length > 11 ? l[..11] : VolumeLabel.ToUpperInvariant();

    /// <summary>FAT spec section 4: entries 0 and 1 reserved (media byte, end-of-chain), then one chain per item.</summary>
    private static byte[] FatTable(Layout l, List<(int First, int Count)> chains)
    {
        var fat = new byte[l.FatSectors * SectorSize];
        var eoc = l.Fat16 ? 0xFFFF : 0xFFF;
        void Set(int cluster, int value)
        {
            if (l.Fat16)
            {
                Fields.U16(fat, cluster * 2, value);
                return;
            }
            // FAT12: 12-bit entries packed in pairs over 3 bytes (FAT spec 4.1).
            var at = cluster + cluster / 2;
            if (cluster % 2 == 0)
            {
                fat[at] = (byte)value;
                fat[at + 1] = (byte)((fat[at + 1] & 0xF0) | ((value >> 8) & 0x0F));
            }
            else
            {
                fat[at] = (byte)((fat[at] & 0x0F) | ((value << 4) & 0xF0));
                fat[at + 1] = (byte)(value >> 4);
            }
        }
        Set(0, (eoc & ~0xFF) | 0xF8);
        Set(1, eoc);
        foreach (var (first, count) in chains)
            for (var c = first; c < first + count; c++)
                Set(c, c == first + count - 1 ? eoc : c + 1);
        return fat;
    }

    /// <summary>FAT spec section 6: directory entries; "." and ".." lead every directory but the root.</summary>
    private byte[] DirectoryBytes(Dir dir, long size, bool isRoot)
    {
        var bytes = new byte[size];
        var at = 0;
        void Put(ReadOnlySpan<byte> entry)
        {
            entry.CopyTo(bytes.AsSpan(at));
            at += DirEntrySize;
        }
        if (isRoot)
            Put(ShortEntry(Encoding.ASCII.GetBytes(Label.PadRight(11)), 0x08, 0, 0));
        else
        {
            Put(ShortEntry(Encoding.ASCII.GetBytes(".          "), 0x10, dir.FirstCluster, 0));
            Put(ShortEntry(Encoding.ASCII.GetBytes("..         "), 0x10, dir.Parent!.Parent == null ? 0 : dir.Parent.FirstCluster, 0));
        }
        var used = new HashSet<string>();
        foreach (var item in dir.Dirs.Cast<Item>().Concat(dir.Files))
        {
            var (shortName, needsLong) = ShortName(item.Name, used);
            if (needsLong)
                foreach (var entry in LongEntries(item.Name, shortName))
                    Put(entry);
            Put(ShortEntry(shortName, (byte)(item is Dir ? 0x10 : 0x20), item.FirstCluster, item is FileItem f ? f.Content.Length : 0));
        }
        return bytes;
    }

    private static byte[] ShortEntry(byte[] name11, byte attributes, int firstCluster, long size)
    {
        var e = new byte[DirEntrySize];
        name11.CopyTo(e, 0);                                      // DIR_Name
        e[11] = attributes;                                       // DIR_Attr
        var (date, time) = DosTime(Timestamp);
        Fields.U16(e, 14, time);                                  // DIR_CrtTime
        Fields.U16(e, 16, date);                                  // DIR_CrtDate
        Fields.U16(e, 18, date);                                  // DIR_LstAccDate
        Fields.U16(e, 20, firstCluster >> 16);                    // DIR_FstClusHI
        Fields.U16(e, 22, time);                                  // DIR_WrtTime
        Fields.U16(e, 24, date);                                  // DIR_WrtDate
        Fields.U16(e, 26, firstCluster & 0xFFFF);                 // DIR_FstClusLO
        Fields.U32(e, 28, size);                                  // DIR_FileSize
        return e;
    }

    /// <summary>FAT spec 6.3: date = years since 1980, month, day; time = hours, minutes, seconds/2.</summary>
    private static (int Date, int Time) DosTime(DateTime t) =>
        (((t.Year - 1980) << 9) | (t.Month << 5) | t.Day, (t.Hour << 11) | (t.Minute << 5) | (t.Second / 2));

    private const string ShortNameChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789$%'-_@~`!(){}^#&";

    /// <summary>
    /// The 8.3 name of <paramref name="name"/> (FAT spec 6.1) and whether it needs long-name
    /// entries: a name that is not already upper-case 8.3 gets a "BASIS~N" short name (7.4).
    /// </summary>
    internal static (byte[] Name11, bool NeedsLong) ShortName(string name, HashSet<string> used)
    {
        var dot = name.LastIndexOf('.');
        var (baseName, ext) = dot > 0 ? (name[..dot], name[(dot + 1)..]) : (name, "");
        var fits = baseName.Length is > 0 and <= 8 && ext.Length <= 3 && name.Count(c => c == '.') <= 1
                   && (baseName + ext).All(c => ShortNameChars.Contains(c));
        string result;
        if (fits)
            result = baseName.PadRight(8) + ext.PadRight(3);
        else
        {
            string Clean(string s) => new(s.ToUpperInvariant().Where(c => ShortNameChars.Contains(c)).ToArray());
            var basis = Clean(baseName.Replace(".", ""));
            var extension = Clean(ext);
            extension = extension.Length > 3 ? extension[..3] : extension;
            result = "";
            for (var n = 1; n < 1000; n++)
            {
                var tail = $"~{n}";
                var head = basis.Length > 8 - tail.Length ? basis[..(8 - tail.Length)] : basis;
                result = (head + tail).PadRight(8) + extension.PadRight(3);
                if (!used.Contains(result))
                    break;
            }
        }
        used.Add(result);
        return (Encoding.ASCII.GetBytes(result), !fits);
    }

    /// <summary>FAT spec 7: long-name entries, last part first, each with 13 UCS-2 characters and the short name's checksum.</summary>
    private static IEnumerable<byte[]> LongEntries(string name, byte[] shortName)
    {
        byte sum = 0;
        foreach (var c in shortName)
            sum = (byte)(((sum & 1) << 7) + (sum >> 1) + c);
        var chars = name.Select(c => (int)c).Append(0).ToList();   // NUL-terminated unless it fills the last entry
        var parts = (name.Length + 12) / 13;
        while (chars.Count < parts * 13)
            chars.Add(0xFFFF);
        for (var p = parts; p >= 1; p--)
        {
            var e = new byte[DirEntrySize];
            e[0] = (byte)(p | (p == parts ? 0x40 : 0));             // LDIR_Ord
            e[11] = 0x0F;                                           // LDIR_Attr: ATTR_LONG_NAME
            e[13] = sum;                                            // LDIR_Chksum
            int[] offsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];  // LDIR_Name1, Name2, Name3
            for (var i = 0; i < 13; i++)
                Fields.U16(e, offsets[i], chars[(p - 1) * 13 + i]);
            yield return e;
        }
    }

    private static IEnumerable<Item> Items(Dir dir)
    {
        foreach (var sub in dir.Dirs)
        {
            yield return sub;
            foreach (var inner in Items(sub))
                yield return inner;
        }
        foreach (var file in dir.Files)
            yield return file;
    }

    private abstract class Item(string name)
    {
        public string Name { get; } = name;
        public int FirstCluster { get; set; }
        public abstract long Length(FatImageBuilder fs);
    }

    private sealed class Dir(string name, Dir? parent) : Item(name)
    {
        public Dir? Parent { get; } = parent;
        public List<Dir> Dirs { get; } = [];
        public List<FileItem> Files { get; } = [];

        /// <summary>".", "..", then each child's long-name entries and short entry.</summary>
        public override long Length(FatImageBuilder fs) =>
            (2 + Dirs.Cast<Item>().Concat(Files).Sum(i => 1 + (i.Name.Length + 12) / 13)) * DirEntrySize;
    }

    private sealed class FileItem(string name, byte[] content) : Item(name)
    {
        public byte[] Content { get; } = content;
        public override long Length(FatImageBuilder fs) => Content.Length;
    }
}
