using System.Text.Json;
using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>Writes the contract's function tools and tool choice as Anthropic's <c>tools</c> and <c>tool_choice</c>.</summary>
/// <remarks>
/// Only function tools are written; <c>custom</c> tools and other types have no Anthropic counterpart and are dropped, and
/// so is a function's <c>strict</c>. With no function tool left, neither <c>tools</c> nor <c>tool_choice</c> is written.
/// </remarks>
internal static class AnthropicOutboundTools
{
    /// <summary>Writes <c>tools</c> and <c>tool_choice</c> when the request has function tools.</summary>
    /// <param name="writer">The writer, inside the request object.</param>
    /// <param name="request">The request.</param>
    /// <exception cref="PortalException">A function tool has no function or name, its parameters are not an object, or the tool choice mode is unknown.</exception>
    public static void Write(Utf8JsonWriter writer, ChatCompletionRequest request)
    {
        var functions = Functions(request.Tools);
        if (functions.Count == 0)
        {
            return;
        }

        writer.WriteStartArray("tools");
        for (var i = 0; i < functions.Count; i++)
        {
            WriteTool(writer, functions[i], $"tools[{i}]");
        }

        writer.WriteEndArray();
        WriteChoice(writer, request.ToolChoice, request.ParallelToolCalls == false);
    }

    private static List<FunctionDefinition> Functions(IList<ChatTool>? tools)
    {
        var functions = new List<FunctionDefinition>();
        if (tools is null)
        {
            return functions;
        }

        for (var i = 0; i < tools.Count; i++)
        {
            var tool = tools[i];
            if (tool.Type != "function")
            {
                continue;
            }

            functions.Add(tool.Function is { Name.Length: > 0 } function
                ? function
                : throw AnthropicOutboundMapping.InvalidRequest($"tools[{i}]: a function tool must have a function with a name."));
        }

        return functions;
    }

    private static void WriteTool(Utf8JsonWriter writer, FunctionDefinition function, string where)
    {
        writer.WriteStartObject();
        writer.WriteString("name", function.Name);
        if (function.Description is { } description)
        {
            writer.WriteString("description", description);
        }

        writer.WritePropertyName("input_schema");
        switch (function.Parameters)
        {
            case { ValueKind: JsonValueKind.Object } parameters:
                parameters.WriteTo(writer);
                break;
            case null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined }:
                // OpenAI allows a function without parameters; Anthropic requires a schema: one that takes no arguments.
                writer.WriteStartObject();
                writer.WriteString("type", "object");
                writer.WriteStartObject("properties");
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            default:
                throw AnthropicOutboundMapping.InvalidRequest($"{where}.function.parameters: must be a JSON schema object.");
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes <c>tool_choice</c>: <c>auto</c>, <c>none</c>, <c>any</c> (for <c>required</c>) or <c>tool</c> with a name.
    /// An object form other than a named function (<c>allowed_tools</c>, <c>custom</c>) is written as <c>auto</c>.
    /// </summary>
    private static void WriteChoice(Utf8JsonWriter writer, ToolChoice? choice, bool disableParallel)
    {
        string type;
        string? name = null;
        switch (choice)
        {
            case null:
                if (!disableParallel)
                {
                    return;
                }

                type = "auto";
                break;
            case { Mode: { } mode }:
                type = mode switch
                {
                    "auto" => "auto",
                    "none" => "none",
                    "required" => "any",
                    _ => throw AnthropicOutboundMapping.InvalidRequest($"tool_choice: the mode '{mode}' is not one of none, auto or required."),
                };
                break;
            case { Type: "function", Function.Name: { Length: > 0 } function }:
                type = "tool";
                name = function;
                break;
            case { Type: "function" }:
                throw AnthropicOutboundMapping.InvalidRequest("tool_choice: a function choice must name the function.");
            default:
                type = "auto";
                break;
        }

        writer.WriteStartObject("tool_choice");
        writer.WriteString("type", type);
        if (name is not null)
        {
            writer.WriteString("name", name);
        }

        // Anthropic's "none" takes no other field: no tool is called, in parallel or not.
        if (disableParallel && type != "none")
        {
            writer.WriteBoolean("disable_parallel_tool_use", true);
        }

        writer.WriteEndObject();
    }
}
