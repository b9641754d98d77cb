using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SaeWorkbench.Tests.Shared;

/// <summary>Collects every log line, at every level, with its formatted message and arguments.</summary>
public sealed class CapturingLogger : ILogger, ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull { Lines.Enqueue($"scope {state}"); return null; }
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel} {formatter(state, exception)} {state} {exception}");
    public ILogger CreateLogger(string categoryName) => this;
    public void Dispose() { }
}

