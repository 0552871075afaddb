using System.Diagnostics;

namespace Portal.Storage.Internal;

/// <summary>Lets a long CPU-bound loop on a busy core give way to waiting threads without starving itself.</summary>
/// <remarks>
/// Call <see cref="Step"/> after each unit of work. It yields the thread once the loop has worked a quantum since its last
/// yield, as long as the loop has spent more time working than it has spent yielded: on a busy core the threads that
/// were waiting (requests) run first, and wait at most about a quantum, yet the loop keeps at least about half of the time
/// it asks for, so it still finishes under sustained load. A yield on an idle core returns at once but still costs a
/// system call, which the quantum keeps to one per quantum of work, not one per unit. Not thread-safe: one instance per
/// loop.
/// </remarks>
internal sealed class FairShareYield
{
    /// <summary>The work between yields with the system's clock: 200 µs, a small part of a request's latency budget.</summary>
    public static readonly long DefaultQuantum = Stopwatch.Frequency / 5_000;

    private readonly Func<long> _timestamp;
    private readonly Action _yield;
    private readonly long _quantum;
    private readonly long _start;
    private long _yielded;
    private long _workedAtLastYield;

    /// <summary>Starts measuring now, with the system's clock, <see cref="Thread.Yield"/> and <see cref="DefaultQuantum"/>.</summary>
    public FairShareYield()
        : this(Stopwatch.GetTimestamp, static () => Thread.Yield(), DefaultQuantum)
    {
    }

    /// <summary>Starts measuring now, with the given clock (in any unit), way to yield and quantum of work between yields (for tests).</summary>
    public FairShareYield(Func<long> timestamp, Action yield, long quantum)
    {
        _timestamp = timestamp;
        _yield = yield;
        _quantum = quantum;
        _start = timestamp();
    }

    /// <summary>Yields once, unless the loop has worked less than a quantum since its last yield or has already yielded as long as it has worked.</summary>
    /// <returns>Whether it yielded.</returns>
    public bool Step()
    {
        var before = _timestamp();
        var worked = before - _start - _yielded;
        if (_yielded >= worked || worked - _workedAtLastYield < _quantum)
        {
            return false;
        }

        _yield();
        _workedAtLastYield = worked;
        _yielded += _timestamp() - before;
        return true;
    }
}
