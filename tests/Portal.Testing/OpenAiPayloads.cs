using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Portal.Testing;

/// <summary>Builds OpenAI-shaped JSON payloads for <see cref="FakeResponse"/>.</summary>
internal static class OpenAiPayloads
{
    public const string Id = "chatcmpl-fake";
    public const long Created = 1700000000;

    // Relaxed escaping writes non-ASCII text as raw UTF-8, as real platforms do, so SplitEvery can split characters.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] ChatCompletion(string content, string model, int promptTokens, int completionTokens, string finishReason) =>
        Write(writer =>
        {
            WriteHeader(writer, "chat.completion", model);
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("message");
            writer.WriteString("role", "assistant");
            writer.WriteString("content", content);
            writer.WriteEndObject();
            writer.WriteString("finish_reason", finishReason);
            writer.WriteEndObject();
            writer.WriteEndArray();
            WriteUsage(writer, promptTokens, completionTokens);
            writer.WriteEndObject();
        });

    public static byte[] Error(string message, string type, string? code) =>
        Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            writer.WriteNull("param");
            if (code is null)
            {
                writer.WriteNull("code");
            }
            else
            {
                writer.WriteString("code", code);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        });

    /// <summary>Builds the SSE events of a streamed chat completion.</summary>
    public static string[] StreamEvents(IReadOnlyList<string> deltas, string model, int promptTokens, int completionTokens, bool complete)
    {
        var events = new List<string>(deltas.Count + 2);
        for (var i = 0; i < deltas.Count; i++)
        {
            var first = i == 0;
            var delta = deltas[i];
            events.Add(Event(Write(writer =>
            {
                WriteHeader(writer, "chat.completion.chunk", model);
                writer.WriteStartArray("choices");
                writer.WriteStartObject();
                writer.WriteNumber("index", 0);
                writer.WriteStartObject("delta");
                if (first)
                {
                    writer.WriteString("role", "assistant");
                }

                writer.WriteString("content", delta);
                writer.WriteEndObject();
                writer.WriteNull("finish_reason");
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteEndObject();
            })));
        }

        if (complete)
        {
            events.Add(Event(Write(writer =>
            {
                WriteHeader(writer, "chat.completion.chunk", model);
                writer.WriteStartArray("choices");
                writer.WriteStartObject();
                writer.WriteNumber("index", 0);
                writer.WriteStartObject("delta");
                writer.WriteEndObject();
                writer.WriteString("finish_reason", "stop");
                writer.WriteEndObject();
                writer.WriteEndArray();
                WriteUsage(writer, promptTokens, completionTokens);
                writer.WriteEndObject();
            })));
            events.Add("data: [DONE]\n\n");
        }

        return [.. events];
    }

    private static string Event(byte[] json) => "data: " + Encoding.UTF8.GetString(json) + "\n\n";

    private static void WriteHeader(Utf8JsonWriter writer, string objectType, string model)
    {
        writer.WriteStartObject();
        writer.WriteString("id", Id);
        writer.WriteString("object", objectType);
        writer.WriteNumber("created", Created);
        writer.WriteString("model", model);
    }

    private static void WriteUsage(Utf8JsonWriter writer, int promptTokens, int completionTokens)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", promptTokens);
        writer.WriteNumber("completion_tokens", completionTokens);
        writer.WriteNumber("total_tokens", promptTokens + completionTokens);
        writer.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
