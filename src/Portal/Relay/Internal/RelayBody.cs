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
        Edit? model = null, usage = null;
        if (!string.Equals(upstreamModel, request.Model, StringComparison.Ordinal))
        {
            model = new Edit(at.ModelStart, at.ModelEnd, JsonSerializer.SerializeToUtf8Bytes(upstreamModel, RelayJson.Default.String));
        }

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
