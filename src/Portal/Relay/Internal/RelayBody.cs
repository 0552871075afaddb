using System.Text.Json;

namespace Portal.Relay.Internal;

/// <summary>The upstream body of a relayed request: the client's bytes with only <c>model</c> (and, for streams, the usage option) changed.</summary>
internal static class RelayBody
{
    private static readonly byte[] True = "true"u8.ToArray();
    private static readonly byte[] UsageObject = """{"include_usage":true}"""u8.ToArray();
    private static readonly byte[] UsageProperty = "\"include_usage\":true"u8.ToArray();
    private static readonly byte[] UsagePropertyComma = "\"include_usage\":true,"u8.ToArray();
    private static readonly byte[] OptionsProperty = "\"stream_options\":{\"include_usage\":true},"u8.ToArray();

    /// <summary>Builds the body for <paramref name="upstreamModel"/>; returns the client's bytes as they are when nothing changes.</summary>
    /// <param name="request">The parsed client request.</param>
    /// <param name="upstreamModel">The model name the upstream knows.</param>
    /// <param name="requestUsage">Whether a stream should ask for a final usage chunk when the client did not.</param>
    public static ReadOnlyMemory<byte> Build(ChatRelayRequest request, string upstreamModel, bool requestUsage)
    {
        var at = request.Locations;
        var model = ModelEdit(at.ModelStart, at.ModelEnd, request.Model, upstreamModel);
        Edit? usage = null;

        if (requestUsage && request.Stream && !request.IncludeUsage)
        {
            usage = at switch
            {
                { UsageStart: >= 0 } => new Edit(at.UsageStart, at.UsageEnd, True),
                { OptionsStart: >= 0 } => new Edit(at.OptionsStart + 1, at.OptionsStart + 1, at.OptionsEmpty ? UsageProperty : UsagePropertyComma),
                { OptionsNullStart: >= 0 } => new Edit(at.OptionsNullStart, at.OptionsNullEnd, UsageObject),
                _ => new Edit(at.RootStart + 1, at.RootStart + 1, OptionsProperty),
            };
        }

        return (model, usage) switch
        {
            (null, null) => request.Body,
            ({ } m, null) => Apply(request.Body.Span, m, null),
            (null, { } u) => Apply(request.Body.Span, u, null),
            ({ } m, { } u) => m.Start < u.Start ? Apply(request.Body.Span, m, u) : Apply(request.Body.Span, u, m),
        };
    }

    /// <summary>A body with only the JSON string at <paramref name="start"/>..<paramref name="end"/> (the client's <c>model</c>) replaced by <paramref name="upstreamModel"/>; the body as it is when the name does not change.</summary>
    /// <param name="body">The client's body.</param>
    /// <param name="start">Where the model's JSON string starts.</param>
    /// <param name="end">Where it ends (exclusive).</param>
    /// <param name="model">The model the client asked for.</param>
    /// <param name="upstreamModel">The model name the upstream knows.</param>
    public static ReadOnlyMemory<byte> WithModel(ReadOnlyMemory<byte> body, int start, int end, string model, string upstreamModel) =>
        ModelEdit(start, end, model, upstreamModel) is { } edit ? Apply(body.Span, edit, null) : body;

    /// <summary>The edit that puts <paramref name="upstreamModel"/> in place of the client's model string; none when the names are the same.</summary>
    private static Edit? ModelEdit(int start, int end, string model, string upstreamModel) =>
        string.Equals(upstreamModel, model, StringComparison.Ordinal)
            ? null
            : new Edit(start, end, JsonSerializer.SerializeToUtf8Bytes(upstreamModel, RelayJson.Default.String));

    /// <summary>Applies one or two non-overlapping edits, in order of position.</summary>
    private static byte[] Apply(ReadOnlySpan<byte> source, Edit first, Edit? second)
    {
        var length = source.Length + first.Growth + (second?.Growth ?? 0);
        var result = new byte[length];
        var written = Copy(source, 0, first, result, 0);
        var read = first.End;
        if (second is { } next)
        {
            written = Copy(source, read, next, result, written);
            read = next.End;
        }

        source[read..].CopyTo(result.AsSpan(written));
        return result;
    }

    /// <summary>Copies the source from <paramref name="read"/> up to the edit, then the replacement; returns the new write position.</summary>
    private static int Copy(ReadOnlySpan<byte> source, int read, Edit edit, byte[] result, int written)
    {
        source[read..edit.Start].CopyTo(result.AsSpan(written));
        written += edit.Start - read;
        edit.Replacement.CopyTo(result.AsSpan(written));
        return written + edit.Replacement.Length;
    }

    private readonly record struct Edit(int Start, int End, byte[] Replacement)
    {
        public int Growth => Replacement.Length - (End - Start);
    }
}
