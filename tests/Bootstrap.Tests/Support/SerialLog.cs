using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Bootstrap.Tests.Support;

/// <summary>Waiting on a guest's serial console that a file collects, for guests a BMC starts (no <see cref="Qemu.Guest"/> to ask).</summary>
public static class SerialLog
{
    /// <summary>The first line of <paramref name="read"/>'s text matching <paramref name="wanted"/>; fails with the console's tail and <paramref name="more"/> on timeout.</summary>
    public static async Task<string> WaitForAsync(Func<string> read, Regex wanted, TimeSpan timeout, Func<string>? more = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (wanted.Match(read()) is { Success: true } m)
                return m.Value.TrimEnd('\r');
            await Task.Delay(250);
        }
        var serial = read();
        throw new Xunit.Sdk.XunitException($"the guest showed no '{wanted}' in {timeout.TotalSeconds:F0} s\nserial:\n{serial[^Math.Min(serial.Length, 3000)..]}\n{more?.Invoke()}");
    }
}
