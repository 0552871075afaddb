using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Portal.Server.Hosting;

/// <summary>
/// The lines Microsoft's simple console formatter writes with the server's shipped options (one line per record, a UTC
/// time stamp of <see cref="ShippedTimestampFormat"/> or none, no scopes, no colours), made without it: the same
/// characters for a fraction of the CPU.
/// </summary>
/// <remarks>
/// <para>
/// The request line is the one record the server writes per request, and through the formatter it cost about 2% of a
/// streamed request's CPU: a custom date format parsed on every call, the line assembled in a <see cref="StringWriter"/>
/// and copied out of it. Here the time stamp is the round-trip format cut to milliseconds (what the custom format
/// gives under the invariant culture, which the server runs with), and the line is one string made in one copy.
/// </para>
/// <para>
/// <see cref="For"/> gives an instance only when the formatter in use is Microsoft's simple one and its options are
/// those above: any other formatter, option or culture, a record with an exception, and Windows keep Microsoft's
/// formatter. Whether the formatter would colour its output (it does on a terminal, not when the output is redirected)
/// is asked of the formatter itself. The tests compare both formatters' text for the same records.
/// </para>
/// </remarks>
internal sealed class SimpleLineFormat
{
    /// <summary>The time stamp format of the server's shipped settings (<c>appsettings.json</c>).</summary>
    public const string ShippedTimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    private const string SimpleFormatterType = "Microsoft.Extensions.Logging.Console.SimpleConsoleFormatter";

    /// <summary>"yyyy-MM-ddTHH:mm:ss.fff": the round-trip format's first characters.</summary>
    private const int StampDigits = 23;

    private const int MaxEventIdLength = 11; // int.MinValue

    private readonly TimeProvider _time;
    private readonly bool _timestamp;

    private SimpleLineFormat(TimeProvider time, bool timestamp)
    {
        _time = time;
        _timestamp = timestamp;
    }

    /// <summary>
    /// The format that writes what <paramref name="formatter"/> writes with <paramref name="options"/>, or
    /// <see langword="null"/> when those are not the ones it covers.
    /// </summary>
    public static SimpleLineFormat? For(ConsoleFormatter formatter, SimpleConsoleFormatterOptions options, TimeProvider time)
    {
        var timestamp = options.TimestampFormat is not null;
        var covered = formatter.GetType().FullName == SimpleFormatterType
            && options.SingleLine
            && !options.IncludeScopes
            && (!timestamp || (options.TimestampFormat == ShippedTimestampFormat && options.UseUtcTimestamp && InvariantCulture()))
            && options.ColorBehavior != LoggerColorBehavior.Enabled
            && (options.ColorBehavior == LoggerColorBehavior.Disabled || !Colours(formatter));
        return covered ? new SimpleLineFormat(time, timestamp) : null;
    }

    /// <summary>
    /// The line for a record without an exception, or <see langword="null"/> when the formatter writes nothing for it
    /// (no message); a record with an exception is the formatter's to write.
    /// </summary>
    public string? Format(LogLevel level, string category, EventId eventId, string? message)
    {
        if (message is null)
        {
            return null;
        }

        // The formatter writes "{time stamp}{level}: {category}[{event id}] {message}" and a line break, the message's
        // own line breaks replaced by spaces.
        if (message.Contains(Environment.NewLine, StringComparison.Ordinal))
        {
            message = message.Replace(Environment.NewLine, " ", StringComparison.Ordinal);
        }

        Span<char> id = stackalloc char[MaxEventIdLength];
        eventId.Id.TryFormat(id, out var idLength, provider: CultureInfo.InvariantCulture);
        var length = (_timestamp ? ShippedTimestampFormat.Length : 0) + 4 + 2 + category.Length + 1 + idLength + 1
            + (message.Length > 0 ? 1 + message.Length : 0) + Environment.NewLine.Length;
        return string.Create(length, (this, level, category, eventId.Id, message), static (line, record) =>
        {
            var (format, level, category, id, message) = record;
            var at = 0;
            if (format._timestamp)
            {
                Span<char> stamp = stackalloc char[33];
                format._time.GetUtcNow().UtcDateTime.TryFormat(stamp, out _, "O", CultureInfo.InvariantCulture);
                stamp[..StampDigits].CopyTo(line);
                ShippedTimestampFormat.AsSpan(ShippedTimestampFormat.Length - 2).CopyTo(line[StampDigits..]); // "Z "
                at = ShippedTimestampFormat.Length;
            }

            Append(line, ref at, Level(level));
            Append(line, ref at, ": ");
            Append(line, ref at, category);
            line[at++] = '[';
            id.TryFormat(line[at..], out var written, provider: CultureInfo.InvariantCulture);
            at += written;
            line[at++] = ']';
            if (message.Length > 0)
            {
                line[at++] = ' ';
                Append(line, ref at, message);
            }

            Append(line, ref at, Environment.NewLine);
        });
    }

    private static void Append(Span<char> line, ref int at, string text)
    {
        text.CopyTo(line[at..]);
        at += text.Length;
    }

    /// <summary>The formatter's level names.</summary>
    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => throw new ArgumentOutOfRangeException(nameof(level)),
    };

    /// <summary>
    /// Whether the culture the formatter formats time stamps with writes the shipped format as the round-trip one does:
    /// the custom format's <c>:</c> is the culture's time separator and its years those of the culture's calendar. With
    /// invariant globalization (the server's) every culture does.
    /// </summary>
    private static bool InvariantCulture() =>
        AppContext.TryGetSwitch("System.Globalization.Invariant", out var invariant) && invariant;

    /// <summary>Whether <paramref name="formatter"/> colours what it writes (on a terminal, by default), asked with a record of its own.</summary>
    private static bool Colours(ConsoleFormatter formatter)
    {
        using var probe = new StringWriter();
        var entry = new LogEntry<string>(LogLevel.Information, "probe", default, "probe", null, static (state, _) => state);
        formatter.Write(in entry, null, probe);
        return probe.ToString().Contains('\u001b', StringComparison.Ordinal);
    }
}
