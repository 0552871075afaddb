namespace Portal.Providers.Anthropic;

/// <summary>
/// Where a value sits in an Anthropic request (<c>model</c>, <c>system.0</c>, <c>tools.3</c>, <c>messages.1.content.0</c>,
/// <c>messages.1.content.0.content.2</c>), named in the messages of the errors a client gets.
/// </summary>
/// <remarks>A value type formatted only when an error is reported, so reading a valid request builds no path strings.</remarks>
internal readonly struct AnthropicInboundPath
{
    /// <summary>The top level of the request body.</summary>
    public static readonly AnthropicInboundPath Root = new("", -1, -1, -1);

    private readonly string _root;
    private readonly int _index;
    private readonly int _block;
    private readonly int _inner;

    private AnthropicInboundPath(string root, int index, int block, int inner)
    {
        _root = root;
        _index = index;
        _block = block;
        _inner = inner;
    }

    /// <summary>A top-level field, such as <c>tool_choice</c>.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The path.</returns>
    public static AnthropicInboundPath Of(string name) => new(name, -1, -1, -1);

    /// <summary>An item of a top-level list, such as <c>tools.3</c> or <c>messages.1</c>.</summary>
    /// <param name="name">The list's field name.</param>
    /// <param name="index">The item's position.</param>
    /// <returns>The path.</returns>
    public static AnthropicInboundPath Of(string name, int index) => new(name, index, -1, -1);

    /// <summary>A content block of this message: <c>messages.1.content.0</c>.</summary>
    /// <param name="block">The block's position in the message's <c>content</c>.</param>
    /// <returns>The path.</returns>
    public AnthropicInboundPath Block(int block) => new(_root, _index, block, -1);

    /// <summary>A block inside this tool result's content: <c>messages.1.content.0.content.2</c>.</summary>
    /// <param name="inner">The block's position in the tool result's <c>content</c>.</param>
    /// <returns>The path.</returns>
    public AnthropicInboundPath Inner(int inner) => new(_root, _index, _block, inner);

    /// <summary>Names a field of the value at this path: <c>messages.1.content.0.source.type</c>.</summary>
    /// <param name="field">The field name, or a dotted chain of names.</param>
    /// <returns>The field's path as text.</returns>
    public string Field(string field)
    {
        var self = ToString();
        return self.Length == 0 ? field : $"{self}.{field}";
    }

    /// <summary>The path as Anthropic writes it in validation errors.</summary>
    /// <returns>The path; empty for <see cref="Root"/>.</returns>
    public override string ToString()
    {
        var text = _root ?? "";
        if (_index >= 0)
        {
            text = $"{text}.{_index}";
        }

        if (_block >= 0)
        {
            text = $"{text}.content.{_block}";
        }

        if (_inner >= 0)
        {
            text = $"{text}.content.{_inner}";
        }

        return text;
    }
}
