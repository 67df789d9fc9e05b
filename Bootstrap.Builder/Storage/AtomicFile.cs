namespace Bootstrap.Builder.Storage;

/// <summary>
/// Replaces files so that a reader sees the whole old one or the whole new one, never a part: the
/// new content goes to a hidden temp file in the same folder (same file system) and rename(2)
/// moves it into place, which is atomic. On any failure, a cancelled write included, the temp
/// file is removed and the old file is untouched.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; returns the bytes written.</summary>
    public static async Task<long> WriteAsync(string path, Func<FileStream, Task> write, bool flushToDisk = false)
    {
        var temp = TempBeside(path);
        try
        {
            long length;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await write(file);
                // Flushed before the rename so a crash cannot leave the new name on an empty file.
                file.Flush(flushToDisk);
                length = file.Length;
            }
            File.Move(temp, path, overwrite: true);
            return length;
        }
        catch
        {
            DeleteQuietly(temp);
            throw;
        }
    }

    /// <summary>Points the symlink <paramref name="path"/> at <paramref name="target"/>, replacing what was there; the link is never missing.</summary>
    public static void ReplaceWithSymlink(string path, string target)
    {
        var temp = TempBeside(path);
        File.CreateSymbolicLink(temp, target);
        try
        {
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temp);
            throw;
        }
    }

    private static string TempBeside(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The folder refuses even that (read-only, gone): nothing was left that a reader could see.
        }
    }
}
