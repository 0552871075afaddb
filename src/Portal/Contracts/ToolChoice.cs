using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using Portal.Contracts.Internal;

namespace Portal.Contracts;

/// <summary>Which tool the model must call: a mode string, or an object naming a tool, on the wire.</summary>
/// <remarks>
/// Written back in the shape it was read with. When <see cref="Mode"/> is set the value is the string;
/// otherwise it is an object of <see cref="Type"/>, <see cref="Function"/> and <see cref="AdditionalProperties"/>
/// (which keeps other object forms such as <c>allowed_tools</c> and <c>custom</c>).
/// </remarks>
[JsonConverter(typeof(ToolChoiceConverter))]
public sealed class ToolChoice
{
    /// <summary>A new choice that lets the model call no tool.</summary>
    public static ToolChoice None => new() { Mode = "none" };

    /// <summary>A new choice that lets the model decide.</summary>
    public static ToolChoice Auto => new() { Mode = "auto" };

    /// <summary>A new choice that makes the model call at least one tool.</summary>
    public static ToolChoice Required => new() { Mode = "required" };

    /// <summary>The string form: <c>none</c>, <c>auto</c> or <c>required</c>; <see langword="null"/> for the object form.</summary>
    public string? Mode { get; set; }

    /// <summary>The object form's tool type, such as <c>function</c>.</summary>
    public string? Type { get; set; }

    /// <summary>The object form's named function.</summary>
    public ToolChoiceFunction? Function { get; set; }

    /// <summary>The object form's other fields, written back unchanged.</summary>
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }

    /// <summary>Whether this is the string form.</summary>
    public bool IsMode => Mode is not null;

    /// <summary>Converts a mode string to the string form.</summary>
    /// <param name="mode">The mode, or <see langword="null"/>.</param>
    [return: NotNullIfNotNull(nameof(mode))]
    public static implicit operator ToolChoice?(string? mode) => FromMode(mode);

    /// <summary>Creates the string form; <see langword="null"/> for a <see langword="null"/> mode.</summary>
    /// <param name="mode">The mode: <c>none</c>, <c>auto</c> or <c>required</c>.</param>
    /// <returns>The choice, or <see langword="null"/>.</returns>
    [return: NotNullIfNotNull(nameof(mode))]
    public static ToolChoice? FromMode(string? mode) => mode is null ? null : new ToolChoice { Mode = mode };

    /// <summary>Creates the object form that forces a call to the named function.</summary>
    /// <param name="name">The function name.</param>
    /// <returns>The choice.</returns>
    public static ToolChoice ForFunction(string name) =>
        new() { Type = "function", Function = new ToolChoiceFunction { Name = name } };
}
