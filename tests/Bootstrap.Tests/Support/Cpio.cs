using System.Globalization;
using System.Text;

namespace Bootstrap.Tests.Support;

/// <summary>
/// A minimal initramfs: regular files in the cpio "newc" format the Linux kernel unpacks
/// (Documentation/driver-api/early-userspace/buffer-format.rst): a 110-byte ASCII header of
/// "070701" and 13 eight-digit hex fields, the name with its NUL, the data, each padded to 4 bytes,
/// closed by the entry "TRAILER!!!".
/// </summary>
public static class Cpio
{
    public static byte[] Newc(params (string Name, byte[] Data)[] files)
    {
        var output = new MemoryStream();
        var inode = 1;
        foreach (var (name, data) in files)
            Entry(output, name, data, mode: 0x81A4 /* S_IFREG | 0644 */, inode++);
        Entry(output, "TRAILER!!!", [], mode: 0, inode: 0);
        return output.ToArray();
    }

    private static void Entry(MemoryStream output, string name, byte[] data, int mode, int inode)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        int[] fields = [inode, mode, 0, 0, 1, 0, data.Length, 0, 0, 0, 0, nameBytes.Length, 0];
        var header = "070701" + string.Concat(fields.Select(f => f.ToString("X8", CultureInfo.InvariantCulture)));
        output.Write(Encoding.ASCII.GetBytes(header));
        output.Write(nameBytes);
        Pad(output);
        output.Write(data);
        Pad(output);
    }

    private static void Pad(MemoryStream output)
    {
        while (output.Length % 4 != 0)
            output.WriteByte(0);
    }
}
