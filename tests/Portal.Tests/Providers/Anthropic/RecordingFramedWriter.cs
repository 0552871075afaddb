using System.Text;
using Portal.Relay;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>Records what a Messages relay writes: the start, the body, and the framed events as one text.</summary>
internal sealed class RecordingFramedWriter : IFramedRelayWriter
{
    private readonly StringBuilder _events = new();

    /// <summary>The start's stream flag, once started.</summary>
    public bool? Started { get; private set; }

    /// <summary>The non-streaming body, once written.</summary>
    public byte[]? Body { get; private set; }

    /// <summary>Every framed event written, concatenated.</summary>
    public string Events => _events.ToString();

    /// <summary>How many writes of events there were.</summary>
    public int EventWrites { get; private set; }

    /// <summary>Throws from the next write of events: the client is gone.</summary>
    public bool FailWrites { get; set; }

    public ValueTask StartAsync(bool stream, CancellationToken cancellationToken)
    {
        Assert.Null(Started);
        Started = stream;
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteBodyAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        Assert.NotNull(Started);
        Body = json.ToArray();
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteEventsAsync(ReadOnlyMemory<byte> events, CancellationToken cancellationToken)
    {
        Assert.NotNull(Started);
        if (FailWrites)
        {
            throw new IOException("The client is gone.");
        }

        EventWrites++;
        _events.Append(Encoding.UTF8.GetString(events.Span));
        return ValueTask.CompletedTask;
    }
}
