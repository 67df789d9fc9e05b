namespace Bootstrap.Tests.Support;

/// <summary>Files of /proc, read by tests that look for a process they started.</summary>
public static class ProcFile
{
    /// <summary>The file's text, or "" when its process exited between the listing of /proc and this read (other tests start and end processes all the time).</summary>
    public static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
