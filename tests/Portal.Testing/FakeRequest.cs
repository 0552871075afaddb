using System.Text;
using System.Text.Json;

namespace Portal.Testing;

/// <summary>A request received by <see cref="FakeUpstream"/>, recorded before its response was chosen.</summary>
/// <remarks>Immutable except for the abort state, which the server sets when the client disconnects early.</remarks>
public sealed class FakeRequest
{
    private readonly TaskCompletionSource _aborted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lazy<string> _bodyText;
    private readonly Lazy<JsonElement> _bodyJson;

    internal FakeRequest(string method, string path, IReadOnlyDictionary<string, string> headers, byte[] body)
    {
        Method = method;
        Path = path;
        Headers = headers;
        Body = body;
        _bodyText = new Lazy<string>(() => Encoding.UTF8.GetString(Body));
        _bodyJson = new Lazy<JsonElement>(() =>
        {
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.Clone();
        });
    }

    /// <summary>Gets the HTTP method, for example <c>POST</c>.</summary>
    public string Method { get; }

    /// <summary>Gets the request path without the query string, for example <c>/v1/chat/completions</c>.</summary>
    public string Path { get; }

    /// <summary>Gets the request headers; keys are case-insensitive and multiple values are joined with <c>,</c>.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Gets the full request body as received.</summary>
    public byte[] Body { get; }

    /// <summary>Gets the request body decoded as UTF-8.</summary>
    public string BodyText => _bodyText.Value;

    /// <summary>Gets the request body parsed as JSON.</summary>
    /// <exception cref="JsonException">The body is not valid JSON.</exception>
    public JsonElement BodyJson => _bodyJson.Value;

    /// <summary>Gets a value indicating whether the client disconnected before the response completed.</summary>
    public bool ClientAborted => _aborted.Task.IsCompleted;

    /// <summary>Gets a task that completes when the client disconnects before the response completed.</summary>
    /// <remarks>Never completes for a request whose response was delivered in full.</remarks>
    public Task Aborted => _aborted.Task;

    /// <summary>Gets a task that completes when the server has finished with the request: its response was sent in full, or the client aborted, or the connection was reset.</summary>
    /// <remarks>From then on <see cref="ClientAborted"/> no longer changes, so a test can assert that a request was not aborted.</remarks>
    public Task Finished => _finished.Task;

    internal void MarkAborted() => _aborted.TrySetResult();

    internal void MarkFinished() => _finished.TrySetResult();
}
