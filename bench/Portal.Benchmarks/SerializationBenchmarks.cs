using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Portal.Contracts;

namespace Portal.Benchmarks;

/// <summary>Writing and reading a typical ~2 KB chat completion request (system and user messages, two tools) with the source-generated context.</summary>
[MemoryDiagnoser]
public class SerializationBenchmarks
{
    private const string RequestJson = """
        {
          "model": "gpt-4o-mini",
          "messages": [
            {
              "role": "system",
              "content": "You are a helpful travel assistant for an airline. Answer briefly and politely. When the user asks about a booking, call get_booking with the booking reference; when they ask about the weather at a destination, call get_weather with the city and the date. Never invent booking details, flight numbers or prices. If a tool fails, apologise and ask the user to try again later. Reply in the language the user writes in."
            },
            {
              "role": "user",
              "content": "Hi! I'm flying to Lisbon next Tuesday with booking reference QX7P2L. Can you tell me my seat and whether I need a jacket there? Also, is my checked bag included, and can I still change my return flight to the Sunday evening departure if there is one?"
            }
          ],
          "tools": [
            {
              "type": "function",
              "function": {
                "name": "get_booking",
                "description": "Looks up a booking by its six-character reference and returns the passenger's flights, seats and baggage allowance.",
                "parameters": {
                  "type": "object",
                  "properties": {
                    "reference": { "type": "string", "description": "The six-character booking reference, for example QX7P2L.", "pattern": "^[A-Z0-9]{6}$" },
                    "include_baggage": { "type": "boolean", "description": "Whether to include the baggage allowance." }
                  },
                  "required": ["reference"],
                  "additionalProperties": false
                },
                "strict": true
              }
            },
            {
              "type": "function",
              "function": {
                "name": "get_weather",
                "description": "Returns the forecast for a city on a date: temperature range in Celsius, chance of rain and a one-line summary.",
                "parameters": {
                  "type": "object",
                  "properties": {
                    "city": { "type": "string", "description": "The city name, for example Lisbon." },
                    "date": { "type": "string", "format": "date", "description": "The date in ISO 8601 form, for example 2025-06-10." },
                    "units": { "type": "string", "enum": ["metric", "imperial"] }
                  },
                  "required": ["city", "date"],
                  "additionalProperties": false
                },
                "strict": true
              }
            }
          ],
          "tool_choice": "auto",
          "parallel_tool_calls": true,
          "temperature": 0.2,
          "max_completion_tokens": 512,
          "stream": true,
          "stream_options": { "include_usage": true },
          "user": "user-4711"
        }
        """;

    private ChatCompletionRequest _request = null!;
    private byte[] _utf8 = [];

    [GlobalSetup]
    public void Setup()
    {
        _request = JsonSerializer.Deserialize(RequestJson, PortalJsonContext.Default.ChatCompletionRequest)
            ?? throw new InvalidOperationException("The sample request did not deserialize.");
        _utf8 = JsonSerializer.SerializeToUtf8Bytes(_request, PortalJsonContext.Default.ChatCompletionRequest);
        if (_request.Tools is not { Count: 2 } || _utf8.Length is < 1_500 or > 3_000)
        {
            throw new InvalidOperationException($"The sample request is not the intended ~2 KB request with two tools ({_utf8.Length} bytes).");
        }
    }

    /// <summary>Writes the request as UTF-8 JSON.</summary>
    [Benchmark]
    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(_request, PortalJsonContext.Default.ChatCompletionRequest);

    /// <summary>Reads the request from UTF-8 JSON.</summary>
    [Benchmark]
    public ChatCompletionRequest? Deserialize() => JsonSerializer.Deserialize(_utf8, PortalJsonContext.Default.ChatCompletionRequest);
}
