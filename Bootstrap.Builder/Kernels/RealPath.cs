using System.Runtime.InteropServices;

namespace Bootstrap.Builder.Kernels;

/// <summary>POSIX <c>realpath(3)</c>: the absolute path with every symlink and <c>..</c> resolved.</summary>
internal static partial class RealPath
{
    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr NativeRealPath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(IntPtr pointer);

    /// <summary>Returns null when the path (or a link on the way) does not exist.</summary>
    public static string? Of(string path)
    {
        var result = NativeRealPath(path, IntPtr.Zero);
        if (result == IntPtr.Zero)
            return null;
        try
        {
            return Marshal.PtrToStringUTF8(result);
        }
        finally
        {
            Free(result);
        }
    }
}
