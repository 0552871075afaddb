using System.Diagnostics;

namespace Portal.Storage.Internal;

/// <summary>Lets a long CPU-bound loop on a busy core give way to waiting threads without starving itself.</summary>
/// <remarks>
/// Call <see cref="Step"/> after each unit of work. It yields the thread while the loop has spent more time working
/// than it has spent yielded: on an idle core a yield returns at once and costs a system call; on a busy core the
/// threads that were waiting (requests) run first, yet the loop keeps at least about half of the time it asks for, so
/// it still finishes under sustained load. Not thread-safe: one instance per loop.
/// </remarks>
internal sealed class FairShareYield
{
    private readonly Func<long> _timestamp;
    private readonly Action _yield;
    private readonly long _start;
    private long _yielded;

    /// <summary>Starts measuring now, with the system's clock and <see cref="Thread.Yield"/>.</summary>
    public FairShareYield()
        : this(Stopwatch.GetTimestamp, static () => Thread.Yield())
    {
    }

    /// <summary>Starts measuring now, with the given clock (in any unit) and way to yield (for tests).</summary>
    public FairShareYield(Func<long> timestamp, Action yield)
    {
        _timestamp = timestamp;
        _yield = yield;
        _start = timestamp();
    }

    /// <summary>Yields once, unless the loop has already yielded as long as it has worked.</summary>
    /// <returns>Whether it yielded.</returns>
    public bool Step()
    {
        var before = _timestamp();
        var worked = before - _start - _yielded;
        if (_yielded >= worked)
        {
            return false;
        }

        _yield();
        _yielded += _timestamp() - before;
        return true;
    }
}
