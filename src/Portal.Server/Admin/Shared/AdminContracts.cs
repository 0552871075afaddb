using System.Text.Json.Serialization;

namespace Portal.Server.Admin.Shared;

/// <summary>The answer to a delete, in the OpenAI shape (<c>{"id","object","deleted"}</c>).</summary>
internal sealed class DeletedResponse
{
    public long Id { get; init; }

    /// <summary><c>platform</c>, <c>model</c> or <c>key</c>.</summary>
    public required string Object { get; init; }

    public bool Deleted { get; init; }

    /// <summary>For a platform: how many of its models and keys went with it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DeletedModels { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DeletedKeys { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Warning { get; init; }
}

/// <summary>A list in the OpenAI shape, <c>{"object":"list","data":[...]}</c>.</summary>
internal sealed class ListResponse<T>
{
    public string Object { get; init; } = "list";

    public required IReadOnlyList<T> Data { get; init; }
}
