using System.Text;
using Microsoft.Extensions.AI;
using Portal.Contracts;

namespace Portal.Extensions.AI.Internal;

/// <summary>Accumulates streamed tool call fragments by choice and call index until the choice finishes.</summary>
internal sealed class StreamingToolCalls
{
    private readonly SortedDictionary<(int Choice, int Index), Pending> _pending = [];

    public bool HasPending => _pending.Count > 0;

    public void Add(int choice, ToolCall delta)
    {
        var key = (choice, delta.Index ?? 0);
        if (!_pending.TryGetValue(key, out var pending))
        {
            pending = new Pending();
            _pending.Add(key, pending);
        }

        pending.Id ??= delta.Id;
        pending.Name ??= delta.Function?.Name;
        if (delta.Function?.Arguments is { } arguments)
        {
            pending.Arguments.Append(arguments);
        }
    }

    /// <summary>Moves the finished calls of <paramref name="choice"/> (every choice when <see langword="null"/>) into <paramref name="contents"/>.</summary>
    public void Complete(int? choice, IList<AIContent> contents)
    {
        foreach (var key in _pending.Keys.Where(k => choice is null || k.Choice == choice).ToList())
        {
            var pending = _pending[key];
            _pending.Remove(key);
            if (pending.Name is not null)
            {
                contents.Add(ChatMapper.ToFunctionCall(pending.Id ?? "", pending.Name, pending.Arguments.ToString()));
            }
        }
    }

    private sealed class Pending
    {
        public string? Id { get; set; }

        public string? Name { get; set; }

        public StringBuilder Arguments { get; } = new();
    }
}
