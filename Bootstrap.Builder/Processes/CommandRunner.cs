using System.Text;
using CliWrap;

namespace Bootstrap.Builder.Processes;

/// <summary>What a finished command printed (the last <see cref="CommandRunner.OutputLimit"/> characters of each stream) and how it ended.</summary>
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
public sealed class CommandFailedException(string command, BufferedCommandResult result)
    : Exception($"{command} exited {result.ExitCode}:\n{result.Tail()}")
{
    public BufferedCommandResult Result { get; } = result;
}

/// <summary>A command ran longer than its timeout and was killed.</summary>
public sealed class CommandTimeoutException(string command, TimeSpan timeout)
    : Exception($"{command} did not finish within {timeout.TotalSeconds:F0} s and was stopped");

/// <summary>
/// Runs external programs through CliWrap, with what the service needs on top of it: output kept
/// bounded (a chatty make cannot grow memory), a timeout, the error carrying the tail of stderr,
/// and on timeout or cancellation the whole process tree killed (CliWrap's forceful cancellation
/// kills the tree).
/// </summary>
public static class CommandRunner
{
    public const int OutputLimit = 64 * 1024;

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs <paramref name="command"/> to its end with no standard input. A non-zero exit throws
    /// <see cref="CommandFailedException"/> unless <paramref name="validateExitCode"/> is false;
    /// running past <paramref name="timeout"/> throws <see cref="CommandTimeoutException"/>;
    /// <paramref name="cancel"/> throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<BufferedCommandResult> RunAsync(this Command command, TimeSpan? timeout = null,
        bool validateExitCode = true, CancellationToken cancel = default)
    {
        var limit = timeout ?? DefaultTimeout;
        var (stdout, stderr) = (new TailBuffer(), new TailBuffer());
        using var timer = new CancellationTokenSource(limit);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancel, timer.Token);
        CommandResult result;
        try
        {
            result = await command
                .WithStandardInputPipe(PipeSource.Null)
                .WithStandardOutputPipe(PipeTarget.Create(stdout.ReadAsync))
                .WithStandardErrorPipe(PipeTarget.Create(stderr.ReadAsync))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(either.Token);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            throw new CommandTimeoutException(Describe(command), limit);
        }
        var buffered = new BufferedCommandResult(result.ExitCode, stdout.ToString(), stderr.ToString(), result.RunTime);
        if (validateExitCode && result.ExitCode != 0)
            throw new CommandFailedException(Describe(command), buffered);
        return buffered;
    }

    /// <summary>The command line as CliWrap passes it (arguments quoted where needed), for messages.</summary>
    public static string Describe(Command command) => $"{command.TargetFilePath} {command.Arguments}".TrimEnd();

    /// <summary>Reads a stream to its end as UTF-8, keeping only the last <see cref="OutputLimit"/> characters.</summary>
    private sealed class TailBuffer
    {
        private readonly StringBuilder _kept = new();

        public async Task ReadAsync(Stream stream, CancellationToken cancel)
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var buffer = new char[8192];
            int read;
            while ((read = await reader.ReadAsync(buffer, cancel)) > 0)
            {
                _kept.Append(buffer, 0, read);
                if (_kept.Length > 2 * OutputLimit)
                    _kept.Remove(0, _kept.Length - OutputLimit);
            }
        }

        public override string ToString() =>
            _kept.Length > OutputLimit ? _kept.ToString(_kept.Length - OutputLimit, OutputLimit) : _kept.ToString();
    }
}
