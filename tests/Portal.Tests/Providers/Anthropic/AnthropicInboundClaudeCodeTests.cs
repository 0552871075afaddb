using System.Text.Json;
using System.Text.Json.Nodes;
using static Portal.Tests.Providers.Anthropic.AnthropicInboundTestKit;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>A request shaped like Claude Code's: cached system blocks, twenty tools, extended thinking, a streamed agent loop.</summary>
public sealed class AnthropicInboundClaudeCodeTests
{
    private static readonly string[] ToolNames =
    [
        "Task", "Bash", "Glob", "Grep", "ExitPlanMode", "Read", "Edit", "Write", "NotebookEdit", "WebFetch",
        "TodoWrite", "WebSearch", "BashOutput", "KillShell", "SlashCommand", "Skill", "LS", "MultiEdit",
        "mcp__browser__screenshot", "mcp__ide__getDiagnostics",
    ];

    private static readonly string Body = $$"""
        {
          "model": "claude-sonnet-4-5-20250929",
          "messages": [
            {
              "role": "user",
              "content": [
                { "type": "text", "text": "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n</system-reminder>" },
                { "type": "text", "text": "Fix the failing test in src/app.ts", "cache_control": { "type": "ephemeral" } }
              ]
            },
            {
              "role": "assistant",
              "content": [
                { "type": "thinking", "thinking": "I should read the file first.", "signature": "ErUBCkYIBxgCIkB3pZ0Zk" },
                { "type": "text", "text": "I'll read the file." },
                { "type": "tool_use", "id": "toolu_01Read", "name": "Read", "input": { "file_path": "/repo/src/app.ts" } }
              ]
            },
            {
              "role": "user",
              "content": [
                { "type": "tool_result", "tool_use_id": "toolu_01Read", "content": "     1\texport const add = (a, b) => a - b;\n" }
              ]
            },
            {
              "role": "assistant",
              "content": [
                { "type": "tool_use", "id": "toolu_01Bash", "name": "Bash", "input": { "command": "npm test", "description": "Run the tests" } },
                { "type": "tool_use", "id": "toolu_01Shot", "name": "mcp__browser__screenshot", "input": {} }
              ]
            },
            {
              "role": "user",
              "content": [
                { "type": "tool_result", "tool_use_id": "toolu_01Bash", "content": "FAIL src/app.test.ts\n  expected 3, received -1", "is_error": true },
                { "type": "tool_result", "tool_use_id": "toolu_01Shot", "content": [
                  { "type": "image", "source": { "type": "base64", "media_type": "image/png", "data": "iVBORw0KGgoAAAANSUhEUg==" } }
                ] },
                { "type": "image", "source": { "type": "url", "url": "https://example.com/expected.png" } },
                { "type": "text", "text": "This is what it should look like.", "cache_control": { "type": "ephemeral" } }
              ]
            }
          ],
          "temperature": 1,
          "system": [
            { "type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.", "cache_control": { "type": "ephemeral" } },
            { "type": "text", "text": "You are an interactive CLI tool that helps users with software engineering tasks.", "cache_control": { "type": "ephemeral" } }
          ],
          "tools": [{{string.Join(",", ToolNames.Select(Tool))}}],
          "metadata": { "user_id": "user_2f1e9c0b_account__session_6c0b4a5e-93f4-4a57-b0a7-1d2b3c4d5e6f" },
          "max_tokens": 32000,
          "thinking": { "type": "enabled", "budget_tokens": 31999 },
          "stream": true
        }
        """;

    [Fact]
    public void ToChat_ClaudeCodeRequest_ConvertsTheConversation()
    {
        var converted = Convert(Body);
        var wire = JsonNode.Parse(ToWire(converted.Request))!;

        AssertSameJson("""
            [
              { "role": "system", "content": "You are Claude Code, Anthropic's official CLI for Claude.\n\nYou are an interactive CLI tool that helps users with software engineering tasks." },
              { "role": "user", "content": "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n</system-reminder>\n\nFix the failing test in src/app.ts" },
              {
                "role": "assistant",
                "content": "I'll read the file.",
                "tool_calls": [{ "id": "toolu_01Read", "type": "function", "function": { "name": "Read", "arguments": "{\"file_path\":\"/repo/src/app.ts\"}" } }]
              },
              { "role": "tool", "tool_call_id": "toolu_01Read", "content": "     1\texport const add = (a, b) => a - b;\n" },
              {
                "role": "assistant",
                "tool_calls": [
                  { "id": "toolu_01Bash", "type": "function", "function": { "name": "Bash", "arguments": "{\"command\":\"npm test\",\"description\":\"Run the tests\"}" } },
                  { "id": "toolu_01Shot", "type": "function", "function": { "name": "mcp__browser__screenshot", "arguments": "{}" } }
                ]
              },
              { "role": "tool", "tool_call_id": "toolu_01Bash", "content": "Error: FAIL src/app.test.ts\n  expected 3, received -1" },
              { "role": "tool", "tool_call_id": "toolu_01Shot", "content": "" },
              {
                "role": "user",
                "content": [
                  { "type": "text", "text": "Content returned by tool call toolu_01Shot:" },
                  { "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==" } },
                  { "type": "image_url", "image_url": { "url": "https://example.com/expected.png" } },
                  { "type": "text", "text": "This is what it should look like." }
                ]
              }
            ]
            """, wire["messages"]!.ToJsonString());
        Assert.Equal("claude-sonnet-4-5-20250929", (string?)wire["model"]);
        Assert.Equal(32000, (int?)wire["max_completion_tokens"]);
        Assert.Null(wire["max_tokens"]);
        Assert.Equal(1.0, (double?)wire["temperature"]);
        Assert.True((bool?)wire["stream"]);
        Assert.True((bool?)wire["stream_options"]!["include_usage"]);
        Assert.Equal("user_2f1e9c0b_account__session_6c0b4a5e-93f4-4a57-b0a7-1d2b3c4d5e6f", (string?)wire["user"]);
        Assert.Null(wire["tool_choice"]);
        Assert.Null(wire["parallel_tool_calls"]);
        Assert.Equal(["thinking", "cache_control", "content: thinking"], converted.Dropped);
    }

    [Fact]
    public void ToChat_ClaudeCodeRequest_EveryToolBecomesAFunctionWithItsSchema()
    {
        var converted = Convert(Body);

        using var original = JsonDocument.Parse(Body);
        var sent = original.RootElement.GetProperty("tools").EnumerateArray().ToList();
        var tools = converted.Request.Tools!;
        Assert.Equal(20, tools.Count);
        for (var i = 0; i < tools.Count; i++)
        {
            Assert.Equal("function", tools[i].Type);
            Assert.Equal(ToolNames[i], tools[i].Function!.Name);
            Assert.Equal(sent[i].GetProperty("description").GetString(), tools[i].Function!.Description);
            Assert.True(JsonElement.DeepEquals(sent[i].GetProperty("input_schema"), tools[i].Function!.Parameters!.Value), ToolNames[i]);
            Assert.Null(tools[i].Function!.Strict);
        }
    }

    private static string Tool(string name) => name switch
    {
        "Read" => """
            {
              "name": "Read",
              "description": "Reads a file from the local filesystem.",
              "input_schema": {
                "type": "object",
                "properties": {
                  "file_path": { "type": "string", "description": "The absolute path to the file to read" },
                  "offset": { "type": "number", "description": "The line number to start reading from" },
                  "limit": { "type": "number", "description": "The number of lines to read" }
                },
                "required": ["file_path"],
                "additionalProperties": false,
                "$schema": "http://json-schema.org/draft-07/schema#"
              }
            }
            """,
        "Bash" => """
            {
              "name": "Bash",
              "description": "Executes a given bash command in a persistent shell session.",
              "input_schema": {
                "type": "object",
                "properties": {
                  "command": { "type": "string", "description": "The command to execute" },
                  "timeout": { "type": "number", "description": "Optional timeout in milliseconds (max 600000)" },
                  "description": { "type": "string", "description": "Clear, concise description of what this command does in 5-10 words" },
                  "run_in_background": { "type": "boolean" }
                },
                "required": ["command"],
                "additionalProperties": false,
                "$schema": "http://json-schema.org/draft-07/schema#"
              }
            }
            """,
        _ => $$"""
            {
              "name": "{{name}}",
              "description": "The {{name}} tool.",
              "input_schema": {
                "type": "object",
                "properties": { "input": { "type": "string", "description": "What {{name}} works on" } },
                "required": ["input"],
                "additionalProperties": false,
                "$schema": "http://json-schema.org/draft-07/schema#"
              }
            }
            """,
    };
}
