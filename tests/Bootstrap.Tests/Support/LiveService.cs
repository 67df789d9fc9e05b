using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Bootstrap.Tests.Support;

/// <summary>
/// The real service as a separate process on 127.0.0.1 (a random free port), for clients that
/// need a TCP socket: QEMU guests reach it through a guestfwd, load tools connect to it.
/// </summary>
public sealed partial class LiveService : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    public Uri BaseAddress { get; }
    public int Port => BaseAddress.Port;
    public Process Process => _process;

    /// <param name="extraUrls">More listeners after the HTTP one on a free port (e.g. "https://127.0.0.1:PORT").</param>
    public LiveService(string configFile, string? extraUrls = null)
        : this(new ProcessStartInfo("dotnet", [Api, "--config", configFile, "--urls", "http://127.0.0.1:0" + (extraUrls == null ? "" : ";" + extraUrls)]))
    {
    }

    /// <summary>
    /// The service as a boot server on <paramref name="lan"/>: no --urls, so it listens where its
    /// config says (every interface, <c>http-port</c>), and is reached at the LAN's service address.
    /// </summary>
    public LiveService(string configFile, LanNetwork lan)
        : this(lan.Inside("dotnet", [Api, "--config", configFile]), $"http://{LanNetwork.ServiceAddress}")
    {
    }

    private static string Api => Path.Combine(AppContext.BaseDirectory, "Bootstrap.Api.dll");

    private LiveService(ProcessStartInfo start, string? reachedAt = null)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["DOTNET_gcServer"] = "0";
        _process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(object _, DataReceivedEventArgs e)
        {
            if (e.Data == null)
                return;
            lock (_output)
                _output.Add(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m)
                listening.TrySetResult(new Uri(m.Groups[1].Value));
        }
        _process.OutputDataReceived += Collect;
        _process.ErrorDataReceived += Collect;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (!listening.Task.Wait(TimeSpan.FromSeconds(60)))
            throw new InvalidOperationException("the service did not start:\n" + Log);
        BaseAddress = reachedAt == null ? listening.Task.Result : new Uri($"{reachedAt}:{listening.Task.Result.Port}");
    }

    [GeneratedRegex(@"Now listening on: (http://(?:127\.0\.0\.1|0\.0\.0\.0|\[::\]):\d+)")]
    private static partial Regex Listening();

    public string Log
    {
        get
        {
            lock (_output)
                return string.Join('\n', _output);
        }
    }

    public HttpClient Client() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>A client that sends the test site's admin token.</summary>
    public HttpClient AdminClient()
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new("Bearer", TestSite.Token);
        return client;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
