using System.Text.Json;
using Portal.Contracts;
using Portal.Relay;
using Portal.Testing;
using Portal.Tests.Relay;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Gateway;

/// <summary>The gateway's entry points: every one runs the same attempt loop, so every failure stage is tested through each.</summary>
public enum Entry
{
    /// <summary><see cref="PortalGateway.ChatCompletionAsync(ChatCompletionRequest, CancellationToken)"/>.</summary>
    TypedJson,

    /// <summary><see cref="PortalGateway.StreamChatCompletionAsync(ChatCompletionRequest, CancellationToken)"/>.</summary>
    TypedStream,

    /// <summary><see cref="PortalGateway.RelayChatCompletionAsync(ChatRelayRequest, IChatRelayWriter, CancellationToken)"/> without <c>"stream":true</c>.</summary>
    RelayJson,

    /// <summary><see cref="PortalGateway.RelayChatCompletionAsync(ChatRelayRequest, IChatRelayWriter, CancellationToken)"/> with <c>"stream":true</c>.</summary>
    RelayStream,
}

/// <summary>How a test caller behaves while it receives an answer; the default reads everything.</summary>
/// <remarks>
/// A "part" is what reaches the caller one at a time: a typed stream's chunk, a relayed event (<c>[DONE]</c> included),
/// or the one response of a JSON entry point.
/// </remarks>
internal sealed record Caller
{
    /// <summary>The caller's cancellation token.</summary>
    public CancellationToken Token { get; init; }

    /// <summary>Runs after the caller received part n (1-based).</summary>
    public Action<int>? AfterPart { get; init; }

    /// <summary>
    /// The caller goes away when part n (1-based) is handed to it, before taking it: a typed stream is left (<c>break</c>,
    /// which disposes it); a relay writer throws <see cref="WriterFailure"/> on write n, or on its start when 0.
    /// </summary>
    public int? LeaveAt { get; init; }

    /// <summary>What a relay writer throws when the client goes away: by default an <see cref="IOException"/>, as a socket write to a departed client does.</summary>
    public Func<Exception>? WriterFailure { get; init; }

    /// <summary>
    /// The caller stops reading after this many parts, without going away, until <see cref="StallUntil"/> completes; then it
    /// goes away without reading more. A typed stream is not advanced, then left; a relay writer's next write waits (also
    /// for its token when <see cref="StallHonoursToken"/>), then throws <see cref="WriterFailure"/>.
    /// </summary>
    public int? StallAfter { get; init; }

    /// <summary>Ends a stall (<see cref="StallAfter"/>).</summary>
    public Task StallUntil { get; init; } = Task.CompletedTask;

    /// <summary>Whether a stalled relay write ends when its cancellation token fires, as a real response write does.</summary>
    public bool StallHonoursToken { get; init; }

    /// <summary>Runs when a relay writer is started (for example to note what the upstreams had received by then).</summary>
    public Action? OnStart { get; init; }
}

/// <summary>What a caller got from one entry point: the parts it received, and the exception that ended the call, if any.</summary>
/// <param name="Entry">The entry point used.</param>
/// <param name="Parts">The content of each part received, in order (parts without content left out).</param>
/// <param name="Error">The <see cref="PortalException"/> or <see cref="OperationCanceledException"/> the call ended with; null when it returned.</param>
/// <param name="Writer">The relay writer (relay entry points only).</param>
/// <param name="Result">The relay's result, when it returned.</param>
internal sealed record Sent(Entry Entry, IReadOnlyList<string> Parts, Exception? Error, RecordingRelayWriter? Writer, ChatRelayResult? Result)
{
    /// <summary>The answer's text: every part's content.</summary>
    public string Text => string.Concat(Parts);

    /// <summary>Asserts the call returned <paramref name="text"/>, complete: for the relay, one started writer and one body, or events ending with one <c>[DONE]</c>.</summary>
    public void AssertAnswered(string text)
    {
        Assert.True(Error is null, $"{Entry} should have answered but threw {Error}");
        Assert.Equal(text, Text);
        if (Writer is { } writer)
        {
            RelayTestKit.AssertComplete(writer, Entry.IsStream());
            Assert.Equal(text, writer.Text());
        }
    }

    /// <summary>Asserts the call failed with a <see cref="PortalException"/> of <paramref name="code"/> that has a message.</summary>
    public PortalException AssertFailed(PortalErrorCode code)
    {
        var exception = Assert.IsType<PortalException>(Error);
        Assert.Equal(code, exception.Code);
        Assert.False(string.IsNullOrWhiteSpace(exception.Message));
        return exception;
    }

    /// <summary>Asserts the call ended with an <see cref="OperationCanceledException"/>.</summary>
    public OperationCanceledException AssertCancelled() => Assert.IsAssignableFrom<OperationCanceledException>(Error);

    /// <summary>Asserts nothing reached the caller: no part, and a relay writer never called, so the caller can still answer with an error status.</summary>
    public void AssertNothingSent()
    {
        Assert.Empty(Parts);
        if (Writer is { } writer)
        {
            Assert.Empty(writer.Calls);
        }
    }

    /// <summary>
    /// Asserts the answer had begun and broke off: the caller received exactly <paramref name="parts"/>; a relay writer was
    /// started once, for a stream, and was sent those events only, never <c>[DONE]</c>, so the response is visibly incomplete.
    /// </summary>
    public void AssertBrokenAfter(params string[] parts)
    {
        Assert.Equal(parts, Parts);
        if (Writer is { } writer)
        {
            RelayTestKit.AssertStartedOnce(writer, Entry.IsStream());
            Assert.Equal(parts.Length, writer.Events.Count); // Those events and no other: no [DONE].
        }
    }
}

/// <summary>Sends one chat request through any <see cref="Entry"/> and reports what the caller got.</summary>
internal static class EntryPoints
{
    /// <summary>Every entry point.</summary>
    public static TheoryData<Entry> All => new() { Entry.TypedJson, Entry.TypedStream, Entry.RelayJson, Entry.RelayStream };

    /// <summary>Whether the entry point streams its answer.</summary>
    public static bool IsStream(this Entry entry) => entry is Entry.TypedStream or Entry.RelayStream;

    /// <summary>Whether the entry point relays bytes to an <see cref="IChatRelayWriter"/>.</summary>
    public static bool IsRelay(this Entry entry) => entry is Entry.RelayJson or Entry.RelayStream;

    /// <summary>Every entry point with each of <paramref name="values"/>.</summary>
    public static TheoryData<Entry, T> With<T>(params T[] values)
    {
        var data = new TheoryData<Entry, T>();
        foreach (var value in values)
        {
            foreach (var entry in Enum.GetValues<Entry>())
            {
                data.Add(entry, value);
            }
        }

        return data;
    }

    /// <summary>
    /// Sends a one-message request for <paramref name="model"/> through <paramref name="entry"/> and returns what the caller
    /// got. A <see cref="PortalException"/> or <see cref="OperationCanceledException"/> is returned in <see cref="Sent.Error"/>;
    /// any other exception fails the test.
    /// </summary>
    public static async Task<Sent> SendAsync(PortalGateway gateway, Entry entry, Caller? caller = null, string model = Alias)
    {
        caller ??= new Caller();
        return entry switch
        {
            Entry.TypedJson => await TypedJsonAsync(gateway, entry, caller, model),
            Entry.TypedStream => await TypedStreamAsync(gateway, entry, caller, model),
            _ => await RelayAsync(gateway, entry, caller, model),
        };
    }

    private static async Task<Sent> TypedJsonAsync(PortalGateway gateway, Entry entry, Caller caller, string model)
    {
        try
        {
            var response = await gateway.ChatCompletionAsync(RepositorySeed.Chat(model), caller.Token);
            caller.AfterPart?.Invoke(1);
            return new Sent(entry, [response.Choices[0].Message!.Content!.Text!], null, null, null);
        }
        catch (Exception ex) when (ex is PortalException or OperationCanceledException)
        {
            return new Sent(entry, [], ex, null, null);
        }
    }

    private static async Task<Sent> TypedStreamAsync(PortalGateway gateway, Entry entry, Caller caller, string model)
    {
        var parts = new List<string>();
        var received = 0;
        try
        {
            await foreach (var chunk in gateway.StreamChatCompletionAsync(RepositorySeed.Chat(model), caller.Token))
            {
                if (++received == caller.LeaveAt)
                {
                    break;
                }

                if (chunk.Choices is [{ Delta.Content: { } content }, ..])
                {
                    parts.Add(content);
                }

                caller.AfterPart?.Invoke(received);
                if (received == caller.StallAfter)
                {
                    // Holds the stream without asking for more, as a caller that stopped reading does; then leaves it.
                    await caller.StallUntil;
                    break;
                }
            }

            return new Sent(entry, parts, null, null, null);
        }
        catch (Exception ex) when (ex is PortalException or OperationCanceledException)
        {
            return new Sent(entry, parts, ex, null, null);
        }
    }

    private static async Task<Sent> RelayAsync(PortalGateway gateway, Entry entry, Caller caller, string model)
    {
        var failure = caller.WriterFailure ?? (() => new IOException("The client closed the connection."));
        var writer = new RecordingRelayWriter
        {
            ThrowOnStart = caller.LeaveAt == 0,
            ThrowOnWrite = caller.LeaveAt > 0 ? caller.LeaveAt : null,
            Failure = failure,
            AfterEvent = caller.AfterPart,
            OnStart = caller.OnStart,
            BeforeWrite = caller.StallAfter is { } stall
                ? (number, token) => number == stall + 1 ? StallAsync(caller, failure, token) : Task.CompletedTask
                : null,
        };
        try
        {
            var result = await RelayTestKit.RelayAsync(gateway, RelayTestKit.ChatBody(entry.IsStream(), model), writer, caller.Token);
            if (!entry.IsStream())
            {
                caller.AfterPart?.Invoke(1);
            }

            return new Sent(entry, Contents(writer), null, writer, result);
        }
        catch (Exception ex) when (ex is PortalException or OperationCanceledException)
        {
            return new Sent(entry, Contents(writer), ex, writer, null);
        }
    }

    private static async Task StallAsync(Caller caller, Func<Exception> failure, CancellationToken token)
    {
        await (caller.StallHonoursToken ? caller.StallUntil.WaitAsync(token) : caller.StallUntil);

        // The client never read again: its connection is closed.
        throw failure();
    }

    /// <summary>The content of each body or event the writer received, as <see cref="Sent.Parts"/> has it.</summary>
    private static List<string> Contents(RecordingRelayWriter writer)
    {
        var parts = new List<string>();
        foreach (var body in writer.Bodies)
        {
            using var document = JsonDocument.Parse(body);
            parts.Add(document.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() ?? "");
        }

        foreach (var data in writer.EventTexts.Where(e => e != "[DONE]"))
        {
            using var document = JsonDocument.Parse(data);
            if (document.RootElement.TryGetProperty("choices", out var choices)
                && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("delta", out var delta)
                && delta.TryGetProperty("content", out var content)
                && content.ValueKind == JsonValueKind.String)
            {
                parts.Add(content.GetString()!);
            }
        }

        return parts;
    }
}
