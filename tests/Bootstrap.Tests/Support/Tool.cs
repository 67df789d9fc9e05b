using Bootstrap.Builder.Processes;
using CliWrap;

namespace Bootstrap.Tests.Support;

/// <summary>Runs a command-line tool (the oracles: xorriso, isoinfo, mtools, fsck.fat, fdisk) and returns what it printed.</summary>
public static class Tool
{
    public static (int Code, string Out, string Err) Run(string file, params string[] args)
    {
        var result = Cli.Wrap(file).WithArguments(args)
            .WithEnvironmentVariables(new Dictionary<string, string?> { ["LC_ALL"] = "C", ["MTOOLS_SKIP_CHECK"] = "1" })
            .RunAsync(validateExitCode: false).GetAwaiter().GetResult();
        return (result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>Runs the tool and fails the test with its output unless it exits 0.</summary>
    public static string Ok(string file, params string[] args)
    {
        var (code, stdout, stderr) = Run(file, args);
        Assert.True(code == 0, $"{file} {string.Join(' ', args)} exited {code}:\n{stdout}\n{stderr}");
        return stdout;
    }

    /// <summary>The raw bytes of one PE section, as binutils' objcopy reads them.</summary>
    public static byte[] PeSection(string pe, string section)
    {
        var output = Path.GetTempFileName();
        Ok("objcopy", "-O", "binary", "--only-section=" + section, pe, output);
        return File.ReadAllBytes(output);
    }

    /// <summary>A TCP port free on 127.0.0.1 now (for a listener the test starts next).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string TempFile(byte[] bytes, string extension = ".img")
    {
        var path = Path.Combine(Path.GetTempPath(), $"bootstrap-test-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
