using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Portal.Server.Hosting;

namespace Portal.Server.Tests.Hosting;

/// <summary>The server's console logging: the console logger's lines, in order and unchanged, written in batches.</summary>
public sealed partial class BatchedConsoleLoggerProviderTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public void Log_ManyLines_WrittenInOrderAsTheFormatterWritesThemInFewerWrites()
    {
        var output = new RecordingStream();
        using (var provider = Create(output, new RecordingStream(), TimeSpan.FromMilliseconds(50)))
        {
            var logger = provider.CreateLogger("Portal.Server");
            for (var i = 0; i < 200; i++)
            {
                Done(logger, i);
            }
        }

        var expected = string.Concat(Enumerable.Range(0, 200).Select(i => $"info: Portal.Server[1] request {i} done{Environment.NewLine}"));
        Assert.Equal(expected, output.Text);
        Assert.InRange(output.Writes, 1, 20); // One write per batch of lines, not one per line.
    }

    [Fact]
    public async Task Log_LoneLine_WrittenWithoutAnotherToFollow()
    {
        var output = new RecordingStream();
        using var provider = Create(output, new RecordingStream(), BatchedConsoleLoggerProvider.Linger);

        Warn(provider.CreateLogger("Portal.Server"), "alone");

        await output.FirstWrite.WaitAsync(Wait);
        Assert.Equal($"warn: Portal.Server[3] alone{Environment.NewLine}", output.Text);
    }

    [Fact]
    public void Log_AtOrAboveErrorThreshold_GoesToStandardError()
    {
        var output = new RecordingStream();
        var error = new RecordingStream();
        using (var provider = Create(output, error, TimeSpan.Zero, o => o.LogToStandardErrorThreshold = LogLevel.Error))
        {
            var logger = provider.CreateLogger("c");
            Info(logger, "fine");
            Fail(logger, "broken");
            Warn(logger, "hmm");
        }

        Assert.Equal($"info: c[2] fine{Environment.NewLine}warn: c[3] hmm{Environment.NewLine}", output.Text);
        Assert.Equal($"fail: c[4] broken{Environment.NewLine}", error.Text);
    }

    [Fact]
    public void Log_QueueFullAndWaitMode_NoLineLost()
    {
        var output = new RecordingStream();
        using (var provider = Create(output, new RecordingStream(), TimeSpan.FromMilliseconds(5), o => o.MaxQueueLength = 2))
        {
            var logger = provider.CreateLogger("c");
            for (var i = 0; i < 100; i++)
            {
                Info(logger, i.ToString(CultureInfo.InvariantCulture));
            }
        }

        Assert.Equal(string.Concat(Enumerable.Range(0, 100).Select(i => $"info: c[2] {i}{Environment.NewLine}")), output.Text);
    }

    [Fact]
    public void Log_QueueFullAndDropMode_DropsAndSaysHowMany()
    {
        // The writer is held in its first write, so the queue (two lines) fills and the next two lines are dropped.
        var output = new RecordingStream { Hold = new ManualResetEventSlim() };
        var error = new RecordingStream();
        using (var provider = Create(output, error, TimeSpan.Zero, o =>
        {
            o.MaxQueueLength = 2;
            o.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
        }))
        {
            var logger = provider.CreateLogger("c");
            Info(logger, "1");
            Assert.True(output.Entered.Wait(Wait));
            for (var i = 2; i <= 5; i++)
            {
                Info(logger, i.ToString(CultureInfo.InvariantCulture));
            }

            output.Hold.Set();
        }

        Assert.Equal($"info: c[2] 1{Environment.NewLine}info: c[2] 2{Environment.NewLine}info: c[2] 3{Environment.NewLine}", output.Text);
        Assert.StartsWith("2 message(s) dropped", error.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_LinesStillGathering_AllWritten()
    {
        var output = new RecordingStream();
        var provider = Create(output, new RecordingStream(), TimeSpan.FromHours(1));
        Info(provider.CreateLogger("c"), "last words");

        provider.Dispose();

        Assert.Equal($"info: c[2] last words{Environment.NewLine}", output.Text);
    }

    [Theory]
    [InlineData(ConsoleFormatterNames.Simple)]
    [InlineData(ConsoleFormatterNames.Json)]
    [InlineData(ConsoleFormatterNames.Systemd)]
    [InlineData(TwiceRegistered)]
    public void Log_AnyFormatter_SameTextAsMicrosoftsConsoleLogger(string formatterName)
    {
        // The same records, with scopes (a message template and a dictionary), an exception with an inner one and a
        // stack trace, a line break and an event name, through Microsoft's console logger and through the batched one.
        AssertSameTextAsMicrosoftsConsoleLogger(services =>
        {
            services.AddLogging(b => b
                .AddSimpleConsole(o =>
                {
                    o.IncludeScopes = true;
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                })
                .AddJsonConsole(o => o.IncludeScopes = true)
                .AddSystemdConsole(o => o.IncludeScopes = true));
            services.AddSingleton<ConsoleFormatter>(new TaggedFormatter(TwiceRegistered, "first"));
            services.AddSingleton<ConsoleFormatter>(new TaggedFormatter(TwiceRegistered, "second"));
            services.Configure<ConsoleLoggerOptions>(o =>
            {
                o.FormatterName = formatterName;
                o.LogToStandardErrorThreshold = LogLevel.Error;
            });
        });
    }

    /// <summary>The simple formatter's options: the shipped ones (which the batched provider writes without the formatter) and each one changed from them (which it leaves to the formatter).</summary>
    public static TheoryData<string> SimpleOptionCases => ["shipped", "no time stamp", "colours", "colours by default", "local time", "other time stamp", "scopes", "multi-line"];

    [Theory]
    [MemberData(nameof(SimpleOptionCases))]
    public void Log_SimpleFormatterOptions_SameTextAsMicrosoftsConsoleLogger(string change)
    {
        // The server's shipped options (appsettings.json), then one of them changed.
        void Configure(SimpleConsoleFormatterOptions o)
        {
            o.SingleLine = true;
            o.TimestampFormat = SimpleLineFormat.ShippedTimestampFormat;
            o.UseUtcTimestamp = true;
            o.IncludeScopes = false;
            o.ColorBehavior = LoggerColorBehavior.Disabled; // The shipped Default, for a console that is redirected.
            switch (change)
            {
                case "no time stamp": o.TimestampFormat = null; break;
                case "colours": o.ColorBehavior = LoggerColorBehavior.Enabled; break;
                case "colours by default": o.ColorBehavior = LoggerColorBehavior.Default; break;
                case "local time": o.UseUtcTimestamp = false; break;
                case "other time stamp": o.TimestampFormat = "HH:mm:ss "; break;
                case "scopes": o.IncludeScopes = true; break;
                case "multi-line": o.SingleLine = false; break;
            }
        }

        AssertSameTextAsMicrosoftsConsoleLogger(services =>
        {
            services.AddLogging(b => b.AddSimpleConsole(Configure));
            services.Configure<ConsoleLoggerOptions>(o =>
            {
                o.FormatterName = ConsoleFormatterNames.Simple;
                o.LogToStandardErrorThreshold = LogLevel.Error;
            });
        });
    }

    [Fact]
    public void Log_ShippedSimpleOptions_WrittenWithoutTheFormatter()
    {
        // The other half of the test above: with the shipped options the lines it compared came from SimpleLineFormat.
        var output = new RecordingStream();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 23, 59, 58, 999, TimeSpan.Zero).AddTicks(9999));
        using (var provider = Create(output, new RecordingStream(), TimeSpan.Zero, simple: o =>
        {
            o.TimestampFormat = SimpleLineFormat.ShippedTimestampFormat;
            o.UseUtcTimestamp = true;
        }, time: time))
        {
            Assert.True(provider.WritesSimpleLines);
            Info(provider.CreateLogger("Portal.Server"), "from the line format");
        }

        // The time stamp is the fake clock's, which the formatter does not read: only the line format wrote this.
        Assert.Equal($"2026-12-07T23:59:58.999Z info: Portal.Server[2] from the line format{Environment.NewLine}", output.Text);
    }

    [Fact]
    public void Log_ShippedSimpleOptionsAndAnException_WrittenByTheFormatter()
    {
        var output = new RecordingStream();
        var time = new FakeTimeProvider(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using (var provider = Create(output, new RecordingStream(), TimeSpan.Zero, simple: o => o.TimestampFormat = SimpleLineFormat.ShippedTimestampFormat, time: time))
        {
            Broke(provider.CreateLogger("c"), "relay", Thrown());
        }

        // The formatter reads the real clock, not the fake one (which is at 2000-01-01).
        Assert.DoesNotContain("2000-01-01", output.Text, StringComparison.Ordinal);
        Assert.Matches(TimestampPattern(), output.Text);
        Assert.Contains("fail: c[5] relay broke System.InvalidOperationException: relay failed", output.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Reload_SimpleOptionsNoLongerShipped_FormatterWritesAgain()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:Console:FormatterName"] = ConsoleFormatterNames.Simple,
            ["Logging:Console:FormatterOptions:SingleLine"] = "true",
            ["Logging:Console:FormatterOptions:ColorBehavior"] = "Disabled",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddConfiguration(configuration.GetSection("Logging")).AddSimpleConsole());
        using var built = services.BuildServiceProvider();
        var output = new RecordingStream();
        using (var provider = new BatchedConsoleLoggerProvider(built.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), built.GetServices<ConsoleFormatter>(),
            built.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>(), output, new RecordingStream(), new UTF8Encoding(false), TimeSpan.Zero, TimeProvider.System))
        {
            Assert.True(provider.WritesSimpleLines);

            configuration["Logging:Console:FormatterOptions:SingleLine"] = "false";
            configuration.Reload();

            Assert.False(provider.WritesSimpleLines);
            Info(provider.CreateLogger("c"), "two lines now");
        }

        Assert.Equal($"info: c[2]{Environment.NewLine}      two lines now{Environment.NewLine}", output.Text);
    }

    [Theory]
    [InlineData("2026-12-07T23:59:58.9999999Z")]
    [InlineData("2024-02-29T00:00:00.0000000Z")]
    [InlineData("0001-01-01T00:00:00.0010000Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    [InlineData("2026-07-04T09:05:03.0504999Z")]
    public void Format_ShippedTimestamp_SameAsTheFormattersCustomFormat(string instant)
    {
        var at = DateTimeOffset.Parse(instant, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        var format = SimpleLineFormat.For(SimpleFormatter(), new SimpleConsoleFormatterOptions
        {
            SingleLine = true,
            TimestampFormat = SimpleLineFormat.ShippedTimestampFormat,
            UseUtcTimestamp = true,
            ColorBehavior = LoggerColorBehavior.Disabled,
        }, new FakeTimeProvider(at));

        var line = format!.Format(LogLevel.Information, "c", new EventId(1), "m");

        // What the simple formatter writes: DateTimeOffset.UtcNow.ToString(TimestampFormat), in the current culture.
        Assert.Equal($"{at.ToString(SimpleLineFormat.ShippedTimestampFormat, CultureInfo.CurrentCulture)}info: c[1] m{Environment.NewLine}", line);
    }

    private static ConsoleFormatter SimpleFormatter()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole());
        return services.BuildServiceProvider().GetServices<ConsoleFormatter>().Single(f => f.Name == ConsoleFormatterNames.Simple);
    }

    /// <summary>
    /// Logs <see cref="LogScript"/> through Microsoft's console logger and through the batched one, both configured by
    /// <paramref name="configure"/>, and asserts the same text on both streams, time stamps aside (each logger reads
    /// the clock when it writes).
    /// </summary>
    private static void AssertSameTextAsMicrosoftsConsoleLogger(Action<IServiceCollection> configure)
    {
        var exception = Thrown();
        var expectedOut = new StringWriter();
        var expectedError = new StringWriter();
        var services = new ServiceCollection();
        configure(services);
        using (var built = services.BuildServiceProvider())
        {
            // Microsoft's logger writes to the Console.Out and Console.Error it finds when it is made.
            ConsoleLoggerProvider microsoft;
            var (stdout, stderr) = (Console.Out, Console.Error);
            Console.SetOut(expectedOut);
            Console.SetError(expectedError);
            try
            {
                microsoft = new ConsoleLoggerProvider(built.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), built.GetServices<ConsoleFormatter>());
            }
            finally
            {
                Console.SetOut(stdout);
                Console.SetError(stderr);
            }

            using (var factory = new LoggerFactory([microsoft]))
            {
                LogScript(factory.CreateLogger("Portal.Server.Tests"), exception);
            }

            microsoft.Dispose(); // Writes out its queue.
        }

        var output = new RecordingStream();
        var error = new RecordingStream();
        services = new ServiceCollection();
        configure(services);
        using (var built = services.BuildServiceProvider())
        {
            using var batched = new BatchedConsoleLoggerProvider(built.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(),
                built.GetServices<ConsoleFormatter>(), built.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>(),
                output, error, new UTF8Encoding(false), TimeSpan.FromMilliseconds(5), TimeProvider.System);
            using var factory = new LoggerFactory([batched]);
            LogScript(factory.CreateLogger("Portal.Server.Tests"), exception);
        }

        Assert.NotEqual("", expectedOut.ToString());
        Assert.NotEqual("", expectedError.ToString());
        Assert.Equal(WithoutTimestamps(expectedOut.ToString()), WithoutTimestamps(output.Text));
        Assert.Equal(WithoutTimestamps(expectedError.ToString()), WithoutTimestamps(error.Text));
    }

    /// <summary>The text with each time stamp (of any format the tests use) replaced by <c>T</c>.</summary>
    private static string WithoutTimestamps(string text) => TimestampPattern().Replace(text, "T");

    [GeneratedRegex(@"(\d{4}-\d\d-\d\dT)?\d\d:\d\d:\d\d(\.\d{3}Z)? ", RegexOptions.Multiline)]
    private static partial Regex TimestampPattern();

    [Fact]
    public async Task Log_WriteThrows_LaterLinesStillWritten()
    {
        // A failed write loses its batch, as a failed console write loses its line in the console logger; the writer
        // goes on (were it to end, an exception would end the process, and a full queue would block every log call).
        var output = new RecordingStream { FailingWrites = 1 };
        using var provider = Create(output, new RecordingStream(), TimeSpan.Zero);
        var logger = provider.CreateLogger("c");

        Info(logger, "lost");
        await output.FirstFailure.WaitAsync(Wait);
        Info(logger, "kept");

        await output.FirstWrite.WaitAsync(Wait);
        Assert.Equal($"info: c[2] kept{Environment.NewLine}", output.Text);
    }

    [Fact]
    public async Task Log_QueueFullAndDropMode_WrittenAtOnceInsteadOfLingering()
    {
        // Lingering on with a full queue would only drop more lines: the writer writes as soon as one is dropped.
        var output = new RecordingStream();
        using var provider = Create(output, new RecordingStream(), TimeSpan.FromHours(1), o =>
        {
            o.MaxQueueLength = 2;
            o.QueueFullMode = ConsoleLoggerQueueFullMode.DropWrite;
        });
        var logger = provider.CreateLogger("c");

        Info(logger, "1");
        Assert.True(SpinWait.SpinUntil(() => provider.IsLingering, Wait));
        Info(logger, "2"); // The queue is full.
        Info(logger, "3"); // Dropped.

        await output.FirstWrite.WaitAsync(Wait);
        Assert.Equal($"info: c[2] 1{Environment.NewLine}info: c[2] 2{Environment.NewLine}", output.Text);
    }

    [Fact]
    public void Log_AfterDispose_WrittenAtOnce()
    {
        var output = new RecordingStream();
        var provider = Create(output, new RecordingStream(), TimeSpan.FromHours(1));
        var logger = provider.CreateLogger("c");
        provider.Dispose();

        Info(logger, "after the writer stopped");

        Assert.Equal($"info: c[2] after the writer stopped{Environment.NewLine}", output.Text);
    }

    [Fact]
    public void ReplaceConsoleLogger_ConsoleRegistered_TakesItsPlaceAndItsFilters()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:Console:LogLevel:Default"] = "Warning",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddConfiguration(configuration.GetSection("Logging")).AddSimpleConsole());

        BatchedConsoleLoggerProvider.ReplaceConsoleLogger(services);

        using var built = services.BuildServiceProvider();
        var providers = built.GetServices<ILoggerProvider>().ToList();
        Assert.Contains(providers, p => p is BatchedConsoleLoggerProvider);
        Assert.DoesNotContain(providers, p => p is ConsoleLoggerProvider);
        var logger = built.GetRequiredService<ILoggerFactory>().CreateLogger("c");
        Assert.False(logger.IsEnabled(LogLevel.Information)); // Logging:Console:LogLevel applies to it ("Console" alias).
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void Build_Server_LogsThroughTheBatchedProvider()
    {
        var app = PortalServer.Build(["--urls", "http://127.0.0.1:0"]);
        try
        {
            var providers = app.Services.GetServices<ILoggerProvider>().ToList();
            var batched = Assert.Single(providers.OfType<BatchedConsoleLoggerProvider>());
            Assert.DoesNotContain(providers, p => p is ConsoleLoggerProvider);

            // The shipped options (appsettings.json), on a redirected console: the request line skips the formatter.
            Assert.True(batched.WritesSimpleLines);
        }
        finally
        {
            ((IDisposable)app).Dispose();
        }
    }

    private const string TwiceRegistered = "twice";

    private static readonly Func<ILogger, string, IDisposable?> RequestScope = LoggerMessage.DefineScope<string>("request {RequestId}");

    private static void LogScript(ILogger logger, Exception exception)
    {
        using (RequestScope(logger, "r-1"))
        using (logger.BeginScope(new Dictionary<string, object?> { ["Caller"] = "client-1", ["Attempt"] = 2 }))
        {
            Done(logger, 7);
            Broke(logger, "upstream", exception);
        }

        Warn(logger, $"two{Environment.NewLine}lines");
        Fail(logger, "no scope");
        logger.Log(LogLevel.Information, new EventId(-7), "", null, static (state, _) => state);
        logger.Log(LogLevel.Debug, new EventId(int.MinValue), "lowest event id", null, static (state, _) => state);
        logger.Log(LogLevel.Critical, new EventId(12), "no message", null, static (_, _) => null!);
        Done(logger, 8);
    }

    private static InvalidOperationException Thrown()
    {
        try
        {
            try
            {
                throw new IOException("connection reset");
            }
            catch (IOException inner)
            {
                throw new InvalidOperationException("relay failed", inner);
            }
        }
        catch (InvalidOperationException ex)
        {
            return ex;
        }
    }

    [LoggerMessage(5, LogLevel.Error, "{Text} broke", EventName = "Broke")]
    private static partial void Broke(ILogger logger, string text, Exception exception);

    [LoggerMessage(1, LogLevel.Information, "request {Number} done")]
    private static partial void Done(ILogger logger, int number);

    [LoggerMessage(2, LogLevel.Information, "{Text}")]
    private static partial void Info(ILogger logger, string text);

    [LoggerMessage(3, LogLevel.Warning, "{Text}")]
    private static partial void Warn(ILogger logger, string text);

    [LoggerMessage(4, LogLevel.Error, "{Text}")]
    private static partial void Fail(ILogger logger, string text);

    /// <summary>The batched provider with the simple formatter (single line, no colours; <paramref name="simple"/> may change that) and the console logger's options <paramref name="configure"/> sets.</summary>
    private static BatchedConsoleLoggerProvider Create(RecordingStream output, RecordingStream error, TimeSpan linger, Action<ConsoleLoggerOptions>? configure = null,
        Action<SimpleConsoleFormatterOptions>? simple = null, TimeProvider? time = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.ColorBehavior = LoggerColorBehavior.Disabled;
            simple?.Invoke(o);
        }));
        if (configure is not null)
        {
            services.Configure(configure);
        }

        var built = services.BuildServiceProvider();
        return new BatchedConsoleLoggerProvider(built.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), built.GetServices<ConsoleFormatter>(),
            built.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>(), output, error, new UTF8Encoding(false), linger, time ?? TimeProvider.System);
    }


    /// <summary>A formatter that writes a tag and the message: two of one name tell which one a logger picked.</summary>
    private sealed class TaggedFormatter(string name, string tag) : ConsoleFormatter(name)
    {
        public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter) =>
            textWriter.Write($"{tag}: {logEntry.Formatter(logEntry.State, logEntry.Exception)}{Environment.NewLine}");
    }

    /// <summary>Records what is written (UTF-8) and how many writes it took; can hold its writes until released, or fail its first ones.</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly Lock _gate = new();
        private readonly MemoryStream _bytes = new();
        private readonly TaskCompletionSource _firstWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _firstFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _failed;

        public ManualResetEventSlim? Hold { get; init; }

        /// <summary>How many writes, from the first, throw (as a stream that cannot be written to does).</summary>
        public int FailingWrites { get; init; }

        /// <summary>Completes when a write has thrown.</summary>
        public Task FirstFailure => _firstFailure.Task;

        public ManualResetEventSlim Entered { get; } = new();

        public Task FirstWrite => _firstWrite.Task;

        public int Writes { get; private set; }

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return Encoding.UTF8.GetString(_bytes.ToArray());
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Entered.Set();
            Hold?.Wait(Wait);
            if (Interlocked.Increment(ref _failed) <= FailingWrites)
            {
                _firstFailure.TrySetResult();
                throw new NotSupportedException("This stream cannot be written to now.");
            }

            lock (_gate)
            {
                _bytes.Write(buffer, offset, count);
                Writes++;
            }

            _firstWrite.TrySetResult();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
