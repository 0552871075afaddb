using System.Text;
using System.Text.Json;
using Portal.Relay;

namespace Portal.Tests.Relay;

/// <summary>
/// A hand-written <see cref="IChatRelayWriter"/> that records what the gateway writes: each start (with its stream flag), each
/// body and each event's data, copied, in call order. It can be told to throw on the start or on the Nth write, to hold a
/// write (as a client that stopped reading holds it), and to run a callback on the start and after each event (for
/// example to cancel the caller's token mid-stream).
/// </summary>
internal sealed class RecordingRelayWriter : IChatRelayWriter
{
    private readonly Lock _gate = new();
    private readonly List<string> _calls = [];
    private readonly List<bool> _starts = [];
    private readonly List<byte[]> _bodies = [];
    private readonly List<byte[]> _events = [];
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstWrite = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _writes;

    /// <summary>Throw <see cref="Failure"/> from <see cref="StartAsync"/>.</summary>
    public bool ThrowOnStart { get; init; }

    /// <summary>Throw <see cref="Failure"/> on this write (1-based, bodies and events counted together); the failed write is not recorded.</summary>
    public int? ThrowOnWrite { get; init; }

    /// <summary>What a failing call throws: by default an <see cref="IOException"/>, as a socket write to a departed client does.</summary>
    public Func<Exception> Failure { get; init; } = () => new IOException("The client closed the connection.");

    /// <summary>Runs after an event has been recorded, with its 1-based number.</summary>
    public Action<int>? AfterEvent { get; init; }

    /// <summary>Runs when <see cref="StartAsync"/> is called, before it is recorded.</summary>
    public Action? OnStart { get; init; }

    /// <summary>Awaited before each write, with the write's 1-based number (bodies and events counted together) and the write's token.</summary>
    public Func<int, CancellationToken, Task>? BeforeWrite { get; init; }

    /// <summary>Every call in order: <c>start:True</c>, <c>body</c>, <c>event</c>.</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>The stream flag of every <see cref="StartAsync"/> call.</summary>
    public IReadOnlyList<bool> Starts
    {
        get
        {
            lock (_gate)
            {
                return [.. _starts];
            }
        }
    }

    public IReadOnlyList<byte[]> Bodies
    {
        get
        {
            lock (_gate)
            {
                return [.. _bodies];
            }
        }
    }

    public IReadOnlyList<byte[]> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The events' data decoded as UTF-8.</summary>
    public IReadOnlyList<string> EventTexts => [.. Events.Select(e => Encoding.UTF8.GetString(e))];

    /// <summary>Completes when <see cref="StartAsync"/> has been called.</summary>
    public Task Started => _started.Task;

    /// <summary>Completes when the first body or event has been recorded.</summary>
    public Task FirstWrite => _firstWrite.Task;

    /// <summary>The answer's text: the message content of the body, or the concatenated delta contents of the events.</summary>
    public string Text()
    {
        var bodies = Bodies;
        if (bodies.Count > 0)
        {
            using var document = JsonDocument.Parse(Assert.Single(bodies));
            return document.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "";
        }

        var text = new StringBuilder();
        foreach (var data in Events.Where(e => !e.AsSpan().SequenceEqual("[DONE]"u8)))
        {
            using var document = JsonDocument.Parse(data);
            foreach (var choice in document.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }
            }
        }

        return text.ToString();
    }

    public ValueTask StartAsync(bool stream, CancellationToken cancellationToken)
    {
        OnStart?.Invoke();
        lock (_gate)
        {
            _calls.Add("start:" + stream);
            _starts.Add(stream);
        }

        _started.TrySetResult();
        if (ThrowOnStart)
        {
            throw Failure();
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask WriteBodyAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        await WaitBeforeWriteAsync(cancellationToken);
        Write("body", _bodies, json);
    }

    public async ValueTask WriteEventAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await WaitBeforeWriteAsync(cancellationToken);
        var number = Write("event", _events, data);
        AfterEvent?.Invoke(number);
    }

    private Task WaitBeforeWriteAsync(CancellationToken cancellationToken)
    {
        if (BeforeWrite is not { } wait)
        {
            return Task.CompletedTask;
        }

        int next;
        lock (_gate)
        {
            next = _writes + 1;
        }

        return wait(next, cancellationToken);
    }

    private int Write(string kind, List<byte[]> into, ReadOnlyMemory<byte> data)
    {
        int number;
        lock (_gate)
        {
            number = ++_writes;
            if (number == ThrowOnWrite)
            {
                _calls.Add(kind + ":threw");
            }
            else
            {
                _calls.Add(kind);

                // The data is valid only during the call: keep a copy.
                into.Add(data.ToArray());
            }
        }

        if (number == ThrowOnWrite)
        {
            throw Failure();
        }

        _firstWrite.TrySetResult();
        return into.Count;
    }
}
