using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Bootstrap.Tests.Support;

/// <summary>Keeps what the service logs, by category, for the assertions.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, string Message)> _entries = new();

    /// <summary>Every line logged, of every category, as "category: message".</summary>
    public List<string> All() => _entries.Select(e => $"{e.Category}: {e.Message}").ToList();

    public List<string> Lines(string category) => _entries.Where(e => e.Category == category).Select(e => e.Message).ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, formatter(state, exception)));
    }
}
