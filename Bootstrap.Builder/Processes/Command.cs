using System.Diagnostics;
using System.Text;

namespace Bootstrap.Builder.Processes;

/// <summary>What a finished command printed and how it ended.</summary>
public sealed record BufferedCommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan RunTime)
{
    /// <summary>The last lines of stderr (or stdout when stderr is empty): what an error message shows.</summary>
    public string Tail(int lines = 20)
    {
        var text = StandardError.Trim().Length > 0 ? StandardError : StandardOutput;
        return string.Join('\n', text.TrimEnd().Split('\n').TakeLast(lines));
    }
}

/// <summary>A command exited non-zero; the message carries the tail of its output.</summary>
public sealed class CommandExecutionException(string command, BufferedCommandResult result)
    : Exception($"{command} exited {result.ExitCode}:\n{result.Tail()}")
{
    public BufferedCommandResult Result { get; } = result;
}

/// <summary>A command ran longer than its timeout and was killed.</summary>
public sealed class CommandTimeoutException(string command, TimeSpan timeout)
    : Exception($"{command} did not finish within {timeout.TotalSeconds:F0} s and was stopped");

/// <summary>
/// An external program to run, immutable and built fluently, shaped after CliWrap's <c>Command</c>
/// (<c>WithArguments</c>, <c>WithWorkingDirectory</c>, <c>ExecuteBufferedAsync</c>) so that
/// package can replace it. Runs asynchronously, captures stdout and stderr (the last
/// <see cref="OutputLimit"/> characters of each), and kills the whole process tree on timeout or
/// cancellation.
/// </summary>
public sealed record Command(string TargetFilePath)
{
    public const int OutputLimit = 64 * 1024;

    public IReadOnlyList<string> Arguments { get; init; } = [];
    public string? WorkingDirPath { get; init; }
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);
    public bool ValidateZeroExitCode { get; init; } = true;
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public Command WithArguments(IEnumerable<string> arguments) => this with { Arguments = arguments.ToList() };
    public Command WithWorkingDirectory(string path) => this with { WorkingDirPath = path };
    public Command WithTimeout(TimeSpan timeout) => this with { Timeout = timeout };
    public Command WithValidation(bool zeroExitCode) => this with { ValidateZeroExitCode = zeroExitCode };
    public Command WithEnvironmentVariables(IReadOnlyDictionary<string, string> variables) => this with { Environment = variables };

    public override string ToString() => string.Join(' ', Arguments.Prepend(TargetFilePath));

    public async Task<BufferedCommandResult> ExecuteBufferedAsync(CancellationToken cancel = default)
    {
        var start = new ProcessStartInfo(TargetFilePath, Arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirPath ?? "",
        };
        foreach (var (name, value) in Environment)
            start.Environment[name] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{TargetFilePath} did not start");
        process.StandardInput.Close();
        var stdout = Collect(process.StandardOutput);
        var stderr = Collect(process.StandardError);
        using var timeout = new CancellationTokenSource(Timeout);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
        try
        {
            await process.WaitForExitAsync(either.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            if (timeout.IsCancellationRequested && !cancel.IsCancellationRequested)
                throw new CommandTimeoutException(ToString(), Timeout);
            throw;
        }
        var result = new BufferedCommandResult(process.ExitCode, await stdout, await stderr, clock.Elapsed);
        if (ValidateZeroExitCode && result.ExitCode != 0)
            throw new CommandExecutionException(ToString(), result);
        return result;
    }

    /// <summary>Reads a stream to its end, keeping only the last <see cref="OutputLimit"/> characters.</summary>
    private static async Task<string> Collect(StreamReader reader)
    {
        var kept = new StringBuilder();
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            kept.Append(buffer, 0, read);
            if (kept.Length > 2 * OutputLimit)
                kept.Remove(0, kept.Length - OutputLimit);
        }
        return kept.Length > OutputLimit ? kept.ToString(kept.Length - OutputLimit, OutputLimit) : kept.ToString();
    }
}
