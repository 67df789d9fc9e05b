using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging.Console;

namespace Bootstrap.Api.Observability;

/// <summary>
/// Writes the per-request log (category <c>Bootstrap.Requests</c>) to standard output in batches:
/// lines gather in memory and go out in one write every 100 ms, or at once past 64 KiB, and at
/// shutdown. The console logger wakes its writer thread and makes a write(2) for every line, which
/// on a booting farm's request rate costs more than the request itself; this is why the request
/// log stays on by default. The lines have the console logger's simple format, and every other
/// category still goes through the console logger.
/// </summary>
public sealed class BatchedRequestLog : ILoggerProvider
{
    public const string Category = "Bootstrap.Requests";
    private const int FlushBytes = 64 * 1024;

    private readonly Stream _output;
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _pending = new();   // lock-free: request threads never wait on each other here
    private readonly Lock _writing = new();
    private readonly Timer _timer;
    private int _pendingChars;

    public BatchedRequestLog(Stream? output = null)
    {
        _output = output ?? Console.OpenStandardOutput();
        _timer = new Timer(_ => Flush(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Adds the provider and keeps the console logger off its category, so no line is written twice.</summary>
    public static void AddTo(ILoggingBuilder logging)
    {
        // Made by the container, so that it is disposed (and its last lines flushed) at shutdown.
        logging.Services.AddSingleton<ILoggerProvider>(_ => new BatchedRequestLog());
        logging.AddFilter<ConsoleLoggerProvider>(Category, LogLevel.None);
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName == Category ? new Logger(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    private void Append(LogLevel level, string message)
    {
        _pending.Enqueue((level, message));
        if (Interlocked.Add(ref _pendingChars, message.Length) >= FlushBytes)
            Flush();
    }

    /// <summary>Writes what has gathered, in one write; the writer lock keeps batches whole and in order.</summary>
    public void Flush()
    {
        lock (_writing)
        {
            if (_pending.IsEmpty)
                return;
            var batch = new StringBuilder();
            while (_pending.TryDequeue(out var entry))
            {
                batch.Append(Level(entry.Level)).Append(": ").Append(Category).Append("[0]\n      ").Append(entry.Message).Append('\n');
                Interlocked.Add(ref _pendingChars, -entry.Message.Length);
            }
            try
            {
                _output.Write(Encoding.UTF8.GetBytes(batch.ToString()));
                _output.Flush();
            }
            catch (IOException)
            {
                // Standard output is gone (a closed pipe): there is nobody left to read the log.
            }
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    public void Dispose()
    {
        _timer.Dispose();
        Flush();
    }

    private sealed class Logger(BatchedRequestLog sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
                sink.Append(logLevel, formatter(state, exception));
        }
    }
}
