namespace Portal;

/// <summary>One upstream attempt: what was asked, which channel served it, how long it took and how it ended.</summary>
public sealed record RequestStat
{
    /// <summary>A unique id (a version 7 GUID in "N" format, so ids sort by time).</summary>
    public required string Id { get; init; }

    /// <summary>When the attempt started.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The id of the client request this attempt belongs to, shared by all of its attempts.</summary>
    /// <remarks>
    /// <see langword="null"/> on rows written before request ids were recorded: each such row counts as a request of its own.
    /// The server returns it to the client in the <c>X-Request-Id</c> response header.
    /// </remarks>
    public string? RequestId { get; init; }

    /// <summary>The attempt's number within its client request: 1 for the first channel tried, 2 after one failover, and so on.</summary>
    /// <remarks>0 on rows written before attempt numbers were recorded.</remarks>
    public int Attempt { get; init; }

    /// <summary>The protocol the client request came in as (<see cref="PortalRequestContext.Protocol"/>, one of <see cref="InboundProtocols"/>).</summary>
    /// <remarks><see langword="null"/> on rows written before protocols were recorded.</remarks>
    public string? Protocol { get; init; }

    /// <summary>Who made the client request (<see cref="PortalRequestContext.Caller"/>: the client token's name); <see langword="null"/> when unknown.</summary>
    public string? Caller { get; init; }

    /// <summary>Whether the attempt was a streaming request.</summary>
    public bool IsStream { get; init; }

    /// <summary>The model name the client asked for (a name or an alias).</summary>
    public required string ModelName { get; init; }

    /// <summary>The platform of the channel used.</summary>
    public long PlatformId { get; init; }

    /// <summary>The key of the channel used.</summary>
    public long ApiKeyId { get; init; }

    /// <summary>The model of the channel used.</summary>
    public long ModelId { get; init; }

    /// <summary>From the start of the attempt to its end (for streams, to the last chunk).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>For streams, from the start of the attempt to the first chunk.</summary>
    public TimeSpan? FirstByteTime { get; init; }

    /// <summary>Whether the attempt succeeded.</summary>
    public bool Success { get; init; }

    /// <summary>Why the attempt failed (never contains a key).</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>The upstream HTTP status, when a response arrived.</summary>
    public int? StatusCode { get; init; }

    /// <summary>Prompt tokens, when the upstream reported usage.</summary>
    public int? PromptTokens { get; init; }

    /// <summary>Completion tokens, when the upstream reported usage.</summary>
    public int? CompletionTokens { get; init; }

    /// <summary>Of <see cref="PromptTokens"/>, those read from the platform's prompt cache, when the upstream reported them.</summary>
    /// <remarks>
    /// OpenAI's <c>prompt_tokens_details.cached_tokens</c>, Anthropic's <c>cache_read_input_tokens</c>.
    /// <see cref="PromptTokens"/> always counts every input token, cached or not, whatever the platform's format: for
    /// Anthropic it is <c>input_tokens + cache_read_input_tokens + cache_creation_input_tokens</c>.
    /// </remarks>
    public int? CachedInputTokens { get; init; }

    /// <summary>Of <see cref="PromptTokens"/>, those written to the platform's prompt cache (Anthropic's <c>cache_creation_input_tokens</c>), when reported.</summary>
    public int? CacheWriteTokens { get; init; }

    /// <summary>The format of the platform the attempt went to (<see cref="Platform.Format"/>, such as <c>openai</c> or <c>anthropic</c>).</summary>
    /// <remarks><see langword="null"/> on rows written before formats were recorded.</remarks>
    public string? TargetFormat { get; init; }
}

/// <summary>Filters for querying and counting <see cref="RequestStat"/> rows (upstream attempts).</summary>
public sealed record StatsQuery
{
    /// <summary>Only rows at or after this time.</summary>
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Only rows before this time.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>Only rows for this requested model name.</summary>
    public string? ModelName { get; init; }

    /// <summary>Only successful (<see langword="true"/>) or failed (<see langword="false"/>) rows.</summary>
    public bool? Success { get; init; }

    /// <summary>Only rows served by this platform.</summary>
    public long? PlatformId { get; init; }

    /// <summary>Only rows served with this key.</summary>
    public long? ApiKeyId { get; init; }

    /// <summary>Only streaming (<see langword="true"/>) or non-streaming (<see langword="false"/>) rows.</summary>
    public bool? IsStream { get; init; }

    /// <summary>Only the attempts of this client request (<see cref="RequestStat.RequestId"/>); queries then return them in attempt order, first attempt first.</summary>
    public string? RequestId { get; init; }

    /// <summary>Only rows of client requests that came in as this protocol (<see cref="RequestStat.Protocol"/>, one of <see cref="InboundProtocols"/>; ordinal).</summary>
    public string? Protocol { get; init; }

    /// <summary>Only rows of client requests made by this caller (<see cref="RequestStat.Caller"/>, such as the server's <c>client-1</c>; ordinal).</summary>
    public string? Caller { get; init; }

    /// <summary>Only rows of attempts sent to platforms of this format (<see cref="RequestStat.TargetFormat"/>, such as <c>anthropic</c>; ordinal).</summary>
    public string? TargetFormat { get; init; }

    /// <summary>At most this many rows (newest first); ignored by counts.</summary>
    /// <value>The default is 100.</value>
    public int Limit { get; init; } = 100;

    /// <summary>Rows to skip (newest first); ignored by counts.</summary>
    public int Offset { get; init; }
}

/// <summary>Counts of the stats matching a <see cref="StatsQuery"/>, as client requests and as upstream attempts.</summary>
/// <remarks>
/// Every row is one upstream attempt. A client request is counted once however many of its attempts match: rows that
/// share a <see cref="RequestStat.RequestId"/> are one request, and a row without one (written before request ids were
/// recorded) is a request of its own. A request counts when any of its attempts matches the filters, and is served when
/// a matching attempt succeeded; the gateway stops at the first attempt that succeeds, so a request has at most one.
/// </remarks>
public sealed record StatsSummary
{
    /// <summary>Client requests with at least one matching attempt.</summary>
    public long TotalRequests { get; init; }

    /// <summary>Client requests served: one of their matching attempts succeeded.</summary>
    public long SuccessRequests { get; init; }

    /// <summary>Matching rows: upstream attempts, one per channel tried.</summary>
    public long TotalAttempts { get; init; }

    /// <summary>Matching attempts that succeeded.</summary>
    public long SuccessAttempts { get; init; }
}
