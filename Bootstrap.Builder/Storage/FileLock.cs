namespace Bootstrap.Builder.Storage;

/// <summary>The lock file is held by another process for longer than the caller waits.</summary>
public sealed class FileLockTimeoutException(string path, TimeSpan waited)
    : IOException($"{path} stayed locked by another process for {waited.TotalSeconds:F0} s");

/// <summary>
/// A lock between processes on one machine: an open file held exclusively. .NET takes an
/// advisory flock(2) for <see cref="FileShare.None"/> on Unix, which the kernel drops when the
/// holder exits, so a crashed holder never leaves the lock taken.
/// </summary>
public static class FileLock
{
    public static IDisposable Take(string path, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < timeout && File.Exists(path))
            {
                Thread.Sleep(50);
            }
            catch (IOException) when (File.Exists(path))
            {
                throw new FileLockTimeoutException(path, timeout);
            }
        }
    }
}
