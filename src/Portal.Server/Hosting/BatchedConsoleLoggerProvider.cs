using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Portal.Server.Hosting;

/// <summary>
/// The server's console logging: Microsoft's console logger, with its lines written in batches instead of one by one.
/// </summary>
/// <remarks>
/// <para>
/// Microsoft's console logger hands each record to a writer thread and wakes that thread for it, so a busy gateway
/// paid a thread switch and a write system call per request line: measured on one core, about a sixth of the CPU a
/// request costs. This provider formats each record on the calling thread exactly as that logger does (the formatter
/// chosen by <c>Logging:Console:FormatterName</c> with its options, the scopes, the time stamp, standard error from
/// <c>LogToStandardErrorThreshold</c> up), then queues the text without waking anyone: the writer thread, once woken by
/// the first line, lets lines gather for <see cref="Linger"/> and writes them all at once, in one write to the process's
/// standard output (or error). So the output is the same, in the same order, at most <see cref="Linger"/> later; the
/// writer wakes at most once per <see cref="Linger"/>.
/// </para>
/// <para>
/// With the simple formatter and the server's shipped options, records are written by <see cref="SimpleLineFormat"/>
/// instead of the formatter: the same text, at a fraction of the cost of the request line it is there for.
/// </para>
/// <para>
/// The queue holds at most <c>MaxQueueLength</c> lines; when full, a log call waits for room or drops its line, as
/// <c>QueueFullMode</c> says (the console logger's settings and defaults). A failed write loses its batch and nothing
/// else, as a failed console write loses its line. Disposing (the host does when the server stops) writes what is queued;
/// a record logged after that is written at once. On Windows the console logger stays as it is (it translates colours
/// for consoles without ANSI support).
/// </para>
/// <para>
/// Two differences from the console logger, neither reachable in the server: it writes to the process's standard
/// streams, not to a writer set with <see cref="Console.SetOut"/>; and with no <c>FormatterName</c> at all (the server's
/// builder always sets one) it ignores the obsolete formatting settings on <see cref="ConsoleLoggerOptions"/>.
/// </para>
/// </remarks>
[ProviderAlias("Console")]
internal sealed class BatchedConsoleLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    /// <summary>How long the writer lets lines gather once woken, before it writes them.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentDictionary<string, BatchedConsoleLogger> _loggers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConsoleFormatter> _formatters;
    private readonly IOptionsMonitor<SimpleConsoleFormatterOptions> _simpleOptions;
    private readonly TimeProvider _time;
    private readonly IDisposable? _reload;
    private readonly IDisposable? _simpleReload;
    private readonly object _gate = new(); // Monitor.Wait and Pulse: the writer parks on it, full-queue callers wait on it.
    private readonly Thread _writer;
    private readonly Stream _out;
    private readonly Stream _error;
    private readonly Encoding _encoding;
    private readonly TimeSpan _linger;
    private Queue<(string Text, bool Error)> _queue = new();
    private Queue<(string Text, bool Error)> _spare = new();
    private IExternalScopeProvider? _scopes;
    private ConsoleLoggerOptions _options;
    private Formatting _formatting;
    private bool _writerParked;
    private bool _lingering;
    private bool _stopping;
    private int _dropped;

    public BatchedConsoleLoggerProvider(IOptionsMonitor<ConsoleLoggerOptions> options, IEnumerable<ConsoleFormatter> formatters,
        IOptionsMonitor<SimpleConsoleFormatterOptions> simpleOptions)
        : this(options, formatters, simpleOptions, Console.OpenStandardOutput(), Console.OpenStandardError(), Console.OutputEncoding, Linger, TimeProvider.System)
    {
    }

    /// <summary>Writes to the given streams, in <paramref name="encoding"/>, after <paramref name="linger"/>; <paramref name="time"/> gives the time stamps <see cref="SimpleLineFormat"/> writes.</summary>
    /// <remarks>
    /// Bytes go to the standard streams in one write per batch: the console's own writer flushes every 256 characters,
    /// which would make a batch as many system calls as lines.
    /// </remarks>
    internal BatchedConsoleLoggerProvider(IOptionsMonitor<ConsoleLoggerOptions> options, IEnumerable<ConsoleFormatter> formatters,
        IOptionsMonitor<SimpleConsoleFormatterOptions> simpleOptions, Stream output, Stream error, Encoding encoding, TimeSpan linger, TimeProvider time)
    {
        // The first formatter of a name wins, as in the console logger.
        _formatters = formatters.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
        _out = output;
        _error = error;
        _encoding = encoding;
        _linger = linger;
        _simpleOptions = simpleOptions;
        _time = time;
        _options = options.CurrentValue;
        _formatting = PickFormatting(_options);
        _reload = options.OnChange(Reload);
        _simpleReload = simpleOptions.OnChange(_ => _formatting = PickFormatting(_options));
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "Console logger batch writer" };
        _writer.Start();
    }

    /// <summary>Puts this provider in the place of the console logger's, when the console logger is registered and the system is not Windows.</summary>
    public static void ReplaceConsoleLogger(IServiceCollection services)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var console = services.FirstOrDefault(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        if (console is not null)
        {
            services.Remove(console);
            services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, BatchedConsoleLoggerProvider>());
        }
    }

    /// <summary>Whether the writer is letting lines gather (for tests that act while it does).</summary>
    internal bool IsLingering
    {
        get
        {
            lock (_gate)
            {
                return _lingering;
            }
        }
    }

    /// <summary>Whether records without an exception are written by <see cref="SimpleLineFormat"/> instead of the formatter (for tests).</summary>
    internal bool WritesSimpleLines => _formatting.Line is not null;

    public ILogger CreateLogger(string categoryName) => _loggers.GetOrAdd(categoryName, static (name, provider) => new BatchedConsoleLogger(name, provider), this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <summary>Writes what is queued and stops the writer; later records are written at once.</summary>
    public void Dispose()
    {
        _reload?.Dispose();
        _simpleReload?.Dispose();
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        // As the console logger does: wait a while for the writer, not for ever (a console nobody reads blocks it).
        _writer.Join(TimeSpan.FromMilliseconds(1500));
    }

    /// <summary>Formats a record as the console logger does and queues its text.</summary>
    private void Log<TState>(string category, LogLevel level, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var formatting = _formatting;
        if (exception is null && formatting.Line is { } format)
        {
            if (format.Format(level, category, eventId, formatter(state, null)) is { } formatted)
            {
                Enqueue(formatted, level);
            }

            return;
        }

        var writer = t_text ??= new StringWriter();
        var entry = new LogEntry<TState>(level, category, eventId, state, exception, formatter);
        formatting.Formatter.Write(in entry, _scopes, writer);
        var text = writer.GetStringBuilder();
        if (text.Length == 0)
        {
            return;
        }

        var line = text.ToString();
        text.Clear();
        if (text.Capacity > 1024)
        {
            text.Capacity = 1024;
        }

        Enqueue(line, level);
    }

    /// <summary>Queues a record's text for standard output, or for standard error from <c>LogToStandardErrorThreshold</c> up.</summary>
    private void Enqueue(string text, LogLevel level)
    {
        var error = level >= _options.LogToStandardErrorThreshold;
        lock (_gate)
        {
            while (!_stopping && _queue.Count >= _options.MaxQueueLength)
            {
                if (_options.QueueFullMode == ConsoleLoggerQueueFullMode.DropWrite)
                {
                    // A lingering writer writes now: lingering on would only drop more lines.
                    _dropped++;
                    Monitor.PulseAll(_gate);
                    return;
                }

                Monitor.PulseAll(_gate); // A lingering writer writes now.
                Monitor.Wait(_gate);
            }

            if (!_stopping)
            {
                _queue.Enqueue((text, error));
                if (_writerParked)
                {
                    // The first line after a quiet spell wakes the writer; the lines after it gather without a wake.
                    _writerParked = false;
                    Monitor.PulseAll(_gate);
                }

                return;
            }
        }

        // Stopped: nobody writes any more, so the caller does (the console logger does the same).
        Write(text, error);
    }

    private void WriteLoop()
    {
        var output = new EncodedBatch(_encoding);
        var errors = new EncodedBatch(_encoding);
        while (true)
        {
            Queue<(string Text, bool Error)> batch;
            int dropped;
            bool stopping;
            lock (_gate)
            {
                while (_queue.Count == 0 && _dropped == 0 && !_stopping)
                {
                    _writerParked = true;
                    Monitor.Wait(_gate);
                }

                _writerParked = false;

                // Woken by a line: let more gather, unless the queue fills or the provider stops meanwhile.
                var until = Environment.TickCount64 + (long)_linger.TotalMilliseconds;
                long left;
                while (!_stopping && _queue.Count < _options.MaxQueueLength && (left = until - Environment.TickCount64) > 0)
                {
                    _lingering = true;
                    Monitor.Wait(_gate, TimeSpan.FromMilliseconds(left));
                }

                _lingering = false;

                batch = _queue;
                _queue = _spare;
                _spare = batch;
                dropped = _dropped;
                _dropped = 0;
                stopping = _stopping;

                // Callers waiting for room (QueueFullMode.Wait) may go on.
                Monitor.PulseAll(_gate);
            }

            if (dropped > 0)
            {
                errors.Append(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{dropped} message(s) dropped because of the console logger's queue size limit (Logging:Console:MaxQueueLength); increase it, log less, or set Logging:Console:QueueFullMode to Wait.{Environment.NewLine}"));
            }

            // Each line is encoded straight into the batch's bytes: no joined string to build and copy first.
            while (batch.TryDequeue(out var line))
            {
                (line.Error ? errors : output).Append(line.Text);
            }

            Write(output, _out);
            Write(errors, _error);
            if (stopping)
            {
                return; // Callers write themselves from now on; nothing was queued after the stop.
            }
        }
    }

    private static void Write(EncodedBatch batch, Stream stream)
    {
        if (batch.Length == 0)
        {
            return;
        }

        try
        {
            stream.Write(batch.Bytes);
            stream.Flush();
        }
        catch (Exception)
        {
            // As in Write(string, bool): the batch is lost, the writer goes on.
        }

        batch.Clear();
    }

    private void Write(string text, bool error)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(_encoding.GetMaxByteCount(text.Length));
        try
        {
            var length = _encoding.GetBytes(text, bytes);
            var stream = error ? _error : _out;
            stream.Write(bytes, 0, length);
            stream.Flush();
        }
        catch (Exception)
        {
            // A console that is gone (a closed pipe, or closed at process exit) cannot be logged to, and the writer
            // thread must outlive any failure: were it to end, a full queue would block every log call for good (and
            // an exception on it would end the process). The console logger ignores every write failure too.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private void Reload(ConsoleLoggerOptions options)
    {
        _formatting = PickFormatting(options);
        _options = options;
    }

    /// <summary>The formatter <paramref name="options"/> pick, and <see cref="SimpleLineFormat"/> when it writes the same.</summary>
    private Formatting PickFormatting(ConsoleLoggerOptions options)
    {
        var formatter = PickFormatter(options);
        return new Formatting(formatter, SimpleLineFormat.For(formatter, _simpleOptions.CurrentValue, _time));
    }

    /// <summary>The formatter named by <c>FormatterName</c>; like the console logger, the simple one (or systemd's, by the obsolete <c>Format</c>) when there is none of that name.</summary>
    private ConsoleFormatter PickFormatter(ConsoleLoggerOptions options)
    {
        if (options.FormatterName is { } name && _formatters.TryGetValue(name, out var named))
        {
            return named;
        }

#pragma warning disable CS0618 // Format is obsolete, but it still picks the formatter when FormatterName names none, as in the console logger.
        var fallback = options.Format == ConsoleLoggerFormat.Systemd ? ConsoleFormatterNames.Systemd : ConsoleFormatterNames.Simple;
#pragma warning restore CS0618
        return _formatters[fallback];
    }

    /// <summary>How records are formatted: by <see cref="Formatter"/>, or by <see cref="Line"/> when it is not null and the record has no exception.</summary>
    private sealed record Formatting(ConsoleFormatter Formatter, SimpleLineFormat? Line);

    [ThreadStatic]
    private static StringWriter? t_text;

    /// <summary>Lines encoded one after another into one growing buffer, written with one call.</summary>
    private sealed class EncodedBatch(Encoding encoding)
    {
        private const int KeptBytes = 64 * 1024;

        private byte[] _bytes = new byte[16 * 1024];

        public int Length { get; private set; }

        public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, Length);

        public void Append(string text)
        {
            var needed = Length + encoding.GetMaxByteCount(text.Length);
            if (needed > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(needed, _bytes.Length * 2));
            }

            Length += encoding.GetBytes(text, _bytes.AsSpan(Length));
        }

        /// <summary>Empties the batch; a buffer grown by a burst beyond <see cref="KeptBytes"/> is let go.</summary>
        public void Clear()
        {
            Length = 0;
            if (_bytes.Length > KeptBytes)
            {
                _bytes = new byte[KeptBytes];
            }
        }
    }

    private sealed class BatchedConsoleLogger(string category, BatchedConsoleLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider._scopes?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                ArgumentNullException.ThrowIfNull(formatter);
                provider.Log(category, logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
