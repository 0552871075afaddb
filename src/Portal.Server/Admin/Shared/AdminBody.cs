using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Portal.Server.Errors;

namespace Portal.Server.Admin.Shared;

/// <summary>Reads a JSON request body: a typo or a wrong type is a 400 that names the field, never a silently ignored property.</summary>
internal static class AdminBody
{
    /// <summary>The most a body may hold: configuration rows are small.</summary>
    private const int MaxBytes = 64 * 1024;

    /// <summary>Reads the body as <typeparamref name="T"/>.</summary>
    /// <param name="request">The request.</param>
    /// <param name="typeInfo">The type's source-generated metadata.</param>
    /// <param name="readOnly">Properties of the resource that responses show but writes ignore (so a read object can be sent back).</param>
    /// <param name="optional">Whether an empty body is allowed (then <see langword="null"/> is returned).</param>
    public static async Task<T?> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, IReadOnlyCollection<string> readOnly, bool optional = false)
        where T : class
    {
        JsonDocument document;
        try
        {
            // Read at most one byte more than allowed, so an oversized body is refused without buffering it.
            var buffer = new byte[MaxBytes + 1];
            var length = 0;
            int read;
            while (length < buffer.Length
                && (read = await request.Body.ReadAsync(buffer.AsMemory(length), request.HttpContext.RequestAborted).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            if (length > MaxBytes)
            {
                throw AdminException.BadRequest("body", $"The request body is larger than {MaxBytes / 1024} KB.");
            }

            if (buffer.AsSpan(0, length).Trim(" \t\r\n"u8).IsEmpty)
            {
                return optional ? null : throw AdminException.BadRequest("body", "The request body is empty; send a JSON object.", AdminErrorCodes.MissingValue);
            }

            document = JsonDocument.Parse(buffer.AsMemory(0, length));
        }
        catch (JsonException ex)
        {
            throw AdminException.BadRequest("body", $"The request body is not valid JSON: {ex.Message}", AdminErrorCodes.InvalidJson);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw AdminException.BadRequest("body", "The request body must be a JSON object.", AdminErrorCodes.InvalidJson);
            }

            CheckText(document.RootElement);
            CheckProperties(document.RootElement, typeInfo, readOnly, prefix: "");
            try
            {
                return document.RootElement.Deserialize(typeInfo)
                    ?? throw AdminException.BadRequest("body", "The request body must be a JSON object.", AdminErrorCodes.InvalidJson);
            }
            catch (JsonException ex)
            {
                var param = ToParam(ex.Path);
                throw AdminException.BadRequest(param, $"'{ClientText.Echo(param)}' has a value of the wrong type: {Expected(typeInfo, param)}.");
            }
        }
    }

    /// <summary>Refuses a body whose property names or strings are not valid Unicode text.</summary>
    /// <remarks>
    /// JsonDocument checks syntax, not the text inside strings: a name or value that is not valid UTF-8, or escapes a
    /// lone surrogate (<c>\ud800</c>), fails only when decoded, which here would be a 500.
    /// </remarks>
    private static void CheckText(JsonElement root)
    {
        try
        {
            Decode(root);
        }
        catch (InvalidOperationException)
        {
            throw AdminException.BadRequest("body",
                "The request body holds text that is not valid Unicode (invalid UTF-8, or a lone surrogate escape such as \\ud800).", AdminErrorCodes.InvalidJson);
        }

        static void Decode(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        Decode(property.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Decode(item);
                    }

                    break;
                case JsonValueKind.String:
                    _ = element.GetString();
                    break;
            }
        }
    }

    /// <summary>Rejects properties the type does not have (nested objects too), suggesting the right spelling.</summary>
    private static void CheckProperties(JsonElement element, JsonTypeInfo typeInfo, IReadOnlyCollection<string> readOnly, string prefix)
    {
        foreach (var property in element.EnumerateObject())
        {
            var param = prefix + property.Name;
            var known = typeInfo.Properties.FirstOrDefault(p => p.Name == property.Name);
            if (known is null)
            {
                if (prefix.Length == 0 && readOnly.Contains(property.Name))
                {
                    continue;
                }

                var hint = typeInfo.Properties.FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
                var names = string.Join(", ", typeInfo.Properties.Select(p => prefix + p.Name));
                throw AdminException.BadRequest(param, hint is null
                    ? $"Unknown property '{ClientText.Echo(param)}'; expected one of: {names}."
                    : $"Unknown property '{ClientText.Echo(param)}'; did you mean '{prefix}{hint.Name}'?", AdminErrorCodes.UnknownParameter);
            }

            if (property.Value.ValueKind == JsonValueKind.Object
                && typeInfo.Options.TryGetTypeInfo(known.PropertyType, out var nested)
                && nested.Kind == JsonTypeInfoKind.Object)
            {
                CheckProperties(property.Value, nested, [], param + ".");
            }
        }
    }

    /// <summary>What a property expects, in JSON words.</summary>
    private static string Expected(JsonTypeInfo typeInfo, string param)
    {
        var type = typeInfo.Type;
        JsonTypeInfo? current = typeInfo;
        foreach (var part in param.Split('.'))
        {
            var property = current?.Properties.FirstOrDefault(p => p.Name == part);
            if (property is null)
            {
                return "see the API reference";
            }

            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            current = typeInfo.Options.TryGetTypeInfo(property.PropertyType, out var next) ? next : null;
        }

        return type == typeof(string) ? "expected a string"
            : type == typeof(bool) ? "expected true or false"
            : type == typeof(int) || type == typeof(long) ? "expected an integer"
            : "expected an object";
    }

    /// <summary><c>$.rateLimit.rpm</c> → <c>rateLimit.rpm</c>.</summary>
    private static string ToParam(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path;
}
