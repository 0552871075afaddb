using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json.Serialization;
using Portal.Contracts.Internal;

namespace Portal.Contracts;

/// <summary>The content of a message: a string, or an array of <see cref="ContentPart"/>s on the wire.</summary>
/// <remarks>Written back in the shape it was read or created with: a string stays a string, an array stays an array.</remarks>
[JsonConverter(typeof(MessageContentConverter))]
public sealed class MessageContent
{
    private readonly string? _text;

    /// <summary>Initializes content that is a plain string.</summary>
    /// <param name="text">The text.</param>
    public MessageContent(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        _text = text;
    }

    /// <summary>Initializes content that is an array of parts.</summary>
    /// <param name="parts">The parts; the list is used as is, not copied.</param>
    public MessageContent(IList<ContentPart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        Parts = parts;
    }

    /// <summary>Whether the content is a plain string rather than an array of parts.</summary>
    public bool IsText => Parts is null;

    /// <summary>The parts, or <see langword="null"/> when the content is a plain string.</summary>
    public IList<ContentPart>? Parts { get; }

    /// <summary>The string, or the concatenation of the text parts; <see langword="null"/> when the parts hold no text.</summary>
    public string? Text => Parts is null ? _text : ConcatenateText(Parts);

    /// <summary>Converts a string to content that is a plain string.</summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    [return: NotNullIfNotNull(nameof(text))]
    public static implicit operator MessageContent?(string? text) => FromString(text);

    /// <summary>Creates content that is a plain string; <see langword="null"/> for <see langword="null"/> text.</summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <returns>The content, or <see langword="null"/>.</returns>
    [return: NotNullIfNotNull(nameof(text))]
    public static MessageContent? FromString(string? text) => text is null ? null : new MessageContent(text);

    /// <summary>Gives the content's text (see <see cref="Text"/>), so <c>string? s = message.Content;</c> works.</summary>
    /// <param name="content">The content.</param>
    public static implicit operator string?(MessageContent? content) => content?.Text;

    /// <summary>Returns <see cref="Text"/>, or an empty string when there is no text.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Text ?? "";

    private static string? ConcatenateText(IList<ContentPart> parts)
    {
        StringBuilder? builder = null;
        foreach (var part in parts)
        {
            if (part is { Type: ContentPart.TextType, Text: { } text })
            {
                (builder ??= new StringBuilder()).Append(text);
            }
        }

        return builder?.ToString();
    }
}
