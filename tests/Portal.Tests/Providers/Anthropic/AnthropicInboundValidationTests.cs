using static Portal.Tests.Providers.Anthropic.AnthropicInboundTestKit;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>Requests the client got wrong: each fails with an invalid-request error naming the field, as Anthropic does.</summary>
public sealed class AnthropicInboundValidationTests
{
    private const string Hi = """[{"role":"user","content":"Hi"}]""";

    [Theory]
    [InlineData("", "The request body is not valid JSON.")]
    [InlineData("{", "The request body is not valid JSON.")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[]} {}""", "The request body is not valid JSON.")]
    [InlineData("[]", "The request body must be a JSON object.")]
    [InlineData("\"hello\"", "The request body must be a JSON object.")]
    public void ToChat_BodyNotAJsonObject_Throws(string body, string message) => AssertInvalid(body, message);

    [Fact]
    public void ToChat_MalformedJson_KeepsTheParserErrorAsInner()
    {
        var e = AssertInvalid("{\"model\":", "The request body is not valid JSON.");

        Assert.IsAssignableFrom<System.Text.Json.JsonException>(e.InnerException);
    }

    [Theory]
    [InlineData("""{"max_tokens":1,"messages":[{"role":"user","content":"Hi"}]}""", "model: Field required")]
    [InlineData("""{"model":null,"max_tokens":1,"messages":[{"role":"user","content":"Hi"}]}""", "model: Field required")]
    [InlineData("""{"model":5,"max_tokens":1,"messages":[{"role":"user","content":"Hi"}]}""", "model: Input should be a valid string")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"m","max_tokens":null,"messages":[{"role":"user","content":"Hi"}]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"m","max_tokens":"1024","messages":[{"role":"user","content":"Hi"}]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"m","max_tokens":1.5,"messages":[{"role":"user","content":"Hi"}]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"m","max_tokens":4294967296,"messages":[{"role":"user","content":"Hi"}]}""", "max_tokens: Input should be a valid integer")]
    [InlineData("""{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"Hi"}]}""", "max_tokens: Input should be greater than or equal to 1")]
    [InlineData("""{"model":"m","max_tokens":-5,"messages":[{"role":"user","content":"Hi"}]}""", "max_tokens: Input should be greater than or equal to 1")]
    [InlineData("""{"model":"m","max_tokens":1}""", "messages: Field required")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":{}}""", "messages: Input should be a valid list")]
    [InlineData("""{"model":"m","max_tokens":1,"messages":[]}""", "messages: at least one message is required")]
    public void ToChat_RequiredTopLevelFieldMissingOrMalformed_Throws(string body, string message) => AssertInvalid(body, message);

    [Theory]
    [InlineData("""{"stream":"yes"}""", "stream: Input should be a valid boolean")]
    [InlineData("""{"temperature":"hot"}""", "temperature: Input should be a valid number")]
    [InlineData("""{"top_p":[0.9]}""", "top_p: Input should be a valid number")]
    [InlineData("""{"stop_sequences":"END"}""", "stop_sequences: Input should be a valid list")]
    [InlineData("""{"stop_sequences":["END",1]}""", "stop_sequences.1: Input should be a valid string")]
    [InlineData("""{"metadata":"user-1"}""", "metadata: Input should be a valid dictionary")]
    [InlineData("""{"metadata":{"user_id":5}}""", "metadata.user_id: Input should be a valid string")]
    [InlineData("""{"system":5}""", "system: Input should be a valid string or list")]
    [InlineData("""{"system":["text"]}""", "system.0: Input should be a valid dictionary")]
    [InlineData("""{"system":[{"text":"x"}]}""", "system.0.type: Field required")]
    [InlineData("""{"system":[{"type":"text","text":"a"},{"type":"image","source":{}}]}""", "system.1.type: Input should be 'text'")]
    [InlineData("""{"system":[{"type":"text"}]}""", "system.0.text: Field required")]
    [InlineData("""{"tools":{}}""", "tools: Input should be a valid list")]
    [InlineData("""{"tools":["get_weather"]}""", "tools.0: Input should be a valid dictionary")]
    [InlineData("""{"tools":[{"type":5,"name":"f"}]}""", "tools.0.type: Input should be a valid string")]
    [InlineData("""{"tools":[{"description":"x","input_schema":{}}]}""", "tools.0.name: Field required")]
    [InlineData("""{"tools":[{"name":"f","input_schema":{}},{"name":"g"}]}""", "tools.1.input_schema: Field required")]
    [InlineData("""{"tools":[{"name":"f","input_schema":"object"}]}""", "tools.0.input_schema: Input should be a valid dictionary")]
    [InlineData("""{"tools":[{"name":"f","description":5,"input_schema":{}}]}""", "tools.0.description: Input should be a valid string")]
    [InlineData("""{"tool_choice":"auto"}""", "tool_choice: Input should be a valid dictionary")]
    [InlineData("""{"tool_choice":{}}""", "tool_choice.type: Field required")]
    [InlineData("""{"tool_choice":{"type":"sometimes"}}""", "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")]
    [InlineData("""{"tool_choice":{"type":"tool"}}""", "tool_choice.name: Field required")]
    [InlineData("""{"tool_choice":{"type":"auto","disable_parallel_tool_use":"yes"}}""", "tool_choice.disable_parallel_tool_use: Input should be a valid boolean")]
    public void ToChat_OptionalFieldMalformed_Throws(string fields, string message) =>
        AssertInvalid($$"""{"model":"m","max_tokens":1,"messages":{{Hi}},{{fields[1..]}}""", message);

    [Theory]
    [InlineData("""[1]""", "messages.0: Input should be a valid dictionary")]
    [InlineData("""[{"content":"Hi"}]""", "messages.0.role: Field required")]
    [InlineData("""[{"role":"user","content":"Hi"},{"role":"tool","content":"Hi"}]""", "messages.1.role: Input should be 'user', 'assistant' or 'system'")]
    [InlineData("""[{"role":"user","content":"Hi"},{"role":"system","content":[{"type":"image"}]}]""", "messages.1.content.0.type: Input should be 'text'")]
    [InlineData("""[{"role":"user"}]""", "messages.0.content: Field required")]
    [InlineData("""[{"role":"user","content":5}]""", "messages.0.content: Input should be a valid string or list")]
    [InlineData("""[{"role":"user","content":["Hi"]}]""", "messages.0.content.0: Input should be a valid dictionary")]
    [InlineData("""[{"role":"user","content":[{"text":"Hi"}]}]""", "messages.0.content.0.type: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"text","text":"a"},{"type":"text"}]}]""", "messages.0.content.1.text: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"text","text":["a"]}]}]""", "messages.0.content.0.text: Input should be a valid string")]
    [InlineData("""[{"role":"user","content":[{"type":"image"}]}]""", "messages.0.content.0.source: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"image","source":"https://example.com/a.png"}]}]""", "messages.0.content.0.source: Input should be a valid dictionary")]
    [InlineData("""[{"role":"user","content":[{"type":"image","source":{"data":"x"}}]}]""", "messages.0.content.0.source.type: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png"}}]}]""", "messages.0.content.0.source.data: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"x"}}]}]""", "messages.0.content.0.source.media_type: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"image","source":{"type":"url","url":5}}]}]""", "messages.0.content.0.source.url: Input should be a valid string")]
    [InlineData("""[{"role":"user","content":[{"type":"document","source":{"type":"base64","data":"JVBE"}}]}]""", "messages.0.content.0.source.media_type: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"document","source":{"type":"text","media_type":"text/plain"}}]}]""", "messages.0.content.0.source.data: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"document","title":5,"source":{"type":"base64","media_type":"application/pdf","data":"JVBE"}}]}]""", "messages.0.content.0.title: Input should be a valid string")]
    [InlineData("""[{"role":"user","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]}]""", "messages.0.content.0: tool_use blocks are only allowed in assistant messages")]
    [InlineData("""[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"toolu_1"}]}]""", "messages.1.content.0: tool_result blocks are only allowed in user messages")]
    [InlineData("""[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}]""", "messages.1.content.0.id: Field required")]
    [InlineData("""[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","input":{}}]}]""", "messages.1.content.0.name: Field required")]
    [InlineData("""[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f"}]}]""", "messages.1.content.0.input: Field required")]
    [InlineData("""[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":"{}"}]}]""", "messages.1.content.0.input: Input should be a valid dictionary")]
    [InlineData("""[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"text"}]}]""", "messages.1.content.0.text: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"tool_result","content":"ok"}]}]""", "messages.0.content.0.tool_use_id: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","is_error":"yes"}]}]""", "messages.0.content.0.is_error: Input should be a valid boolean")]
    [InlineData("""[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":5}]}]""", "messages.0.content.0.content: Input should be a valid string or list")]
    [InlineData("""[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":["ok"]}]}]""", "messages.0.content.0.content.0: Input should be a valid dictionary")]
    [InlineData("""[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"a"},{"type":"text"}]}]}]""", "messages.0.content.0.content.1.text: Field required")]
    [InlineData("""[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"image","source":{"type":"base64","media_type":"image/png"}}]}]}]""", "messages.0.content.0.content.0.source.data: Field required")]
    [InlineData("""[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"text","text":"a"}]},{"role":"user","content":[{"type":"text","text":"b"},{"type":7}]}]""", "messages.2.content.1.type: Input should be a valid string")]
    public void ToChat_MessageOrKnownBlockMalformed_ThrowsNamingItsPath(string messages, string message) =>
        AssertInvalid($$"""{"model":"m","max_tokens":1,"messages":{{messages}}}""", message);
}
