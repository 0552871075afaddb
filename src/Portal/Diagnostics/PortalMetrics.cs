using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Portal.Diagnostics;

/// <summary>The names of Portal's meter, activity source and instruments.</summary>
/// <remarks>Where an OpenTelemetry GenAI semantic convention exists, its name is used.</remarks>
public static class PortalTelemetry
{
    /// <summary>The name of the <see cref="Meter"/> and the <see cref="ActivitySource"/>.</summary>
    public const string Name = "Portal";

    /// <summary>Counter: client requests, tagged <c>portal.outcome</c> (<c>success</c> or a <see cref="PortalErrorCode"/>) and <c>portal.stream</c>.</summary>
    public const string Requests = "portal.requests";

    /// <summary>Counter: upstream attempts, tagged <c>portal.outcome</c> and <c>portal.platform.id</c>.</summary>
    public const string Attempts = "portal.attempts";

    /// <summary>Counter: failed upstream attempts by the resource blamed, tagged <c>portal.failure.class</c> (<c>platform</c>, <c>api_key</c>, <c>model</c>, <c>none</c>, <c>cancelled</c>).</summary>
    public const string Failures = "portal.failures";

    /// <summary>Histogram (seconds): a client request from start to end, GenAI convention name.</summary>
    public const string OperationDuration = "gen_ai.client.operation.duration";

    /// <summary>Histogram (seconds): time to the first streamed chunk, GenAI convention name.</summary>
    public const string TimeToFirstToken = "gen_ai.client.time_to_first_token";

    /// <summary>Histogram (tokens): tokens used per request, tagged <c>gen_ai.token.type</c> (<c>input</c> or <c>output</c>), GenAI convention name.</summary>
    public const string TokenUsage = "gen_ai.client.token.usage";

    /// <summary>Counter: request stats dropped because the stats queue was full.</summary>
    public const string StatsDropped = "portal.stats.dropped";
}

/// <summary>The instruments of the <c>Portal</c> meter.</summary>
internal sealed class PortalMetrics : IDisposable
{
    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _failures;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _timeToFirstToken;
    private readonly Histogram<long> _tokens;
    private readonly Counter<long> _statsDropped;

    public PortalMetrics(IMeterFactory? meterFactory)
    {
        _meter = meterFactory?.Create(PortalTelemetry.Name) ?? new Meter(PortalTelemetry.Name);
        _requests = _meter.CreateCounter<long>(PortalTelemetry.Requests, "{request}", "Client requests handled by the gateway.");
        _attempts = _meter.CreateCounter<long>(PortalTelemetry.Attempts, "{attempt}", "Upstream attempts.");
        _failures = _meter.CreateCounter<long>(PortalTelemetry.Failures, "{attempt}", "Failed upstream attempts by the resource blamed.");
        _duration = _meter.CreateHistogram<double>(PortalTelemetry.OperationDuration, "s", "Duration of client requests.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });
        _timeToFirstToken = _meter.CreateHistogram<double>(PortalTelemetry.TimeToFirstToken, "s", "Time to the first streamed chunk.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0] });
        _tokens = _meter.CreateHistogram<long>(PortalTelemetry.TokenUsage, "{token}", "Tokens used per request.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576] });
        _statsDropped = _meter.CreateCounter<long>(PortalTelemetry.StatsDropped, "{stat}", "Request stats dropped because the stats queue was full.");
    }

    public void Request(string outcome, bool stream, string model, TimeSpan duration)
    {
        var tags = new TagList
        {
            { "portal.outcome", outcome },
            { "portal.stream", stream },
            { "gen_ai.request.model", model },
        };
        _requests.Add(1, tags);
        _duration.Record(duration.TotalSeconds, tags);
    }

    public void Attempt(string outcome, long platformId) =>
        _attempts.Add(1, new KeyValuePair<string, object?>("portal.outcome", outcome), new KeyValuePair<string, object?>("portal.platform.id", platformId));

    public void Failure(string failureClass) =>
        _failures.Add(1, new KeyValuePair<string, object?>("portal.failure.class", failureClass));

    public void FirstToken(TimeSpan elapsed, string model) =>
        _timeToFirstToken.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("gen_ai.request.model", model));

    public void Tokens(int? input, int? output, string model)
    {
        if (input is { } i)
        {
            _tokens.Record(i, new KeyValuePair<string, object?>("gen_ai.token.type", "input"), new KeyValuePair<string, object?>("gen_ai.request.model", model));
        }

        if (output is { } o)
        {
            _tokens.Record(o, new KeyValuePair<string, object?>("gen_ai.token.type", "output"), new KeyValuePair<string, object?>("gen_ai.request.model", model));
        }
    }

    public void StatDropped() => _statsDropped.Add(1);

    public void Dispose() => _meter.Dispose();
}
