using System;
using System.ComponentModel;
using System.Threading;

namespace ChainRule;

/// <summary>
/// One scratch buffer per calling thread for one model's inference, so that threads sharing the model never write
/// each other's activations: the generated <c>Predict</c> and <c>PredictBatch</c> take <see cref="Current"/>, run the
/// forward pass in it over the model's read-only parameters, and copy the output out.
/// </summary>
/// <remarks>
/// <para>
/// Per thread rather than a pool of a few shared buffers: a thread's buffer is created on its first prediction with
/// this model and reused by every later one, so zero allocation after warm-up holds for every thread however many
/// share the model, with no Interlocked, lock or retry on the hot path (<see cref="ThreadLocal{T}.Value"/> reads a
/// thread-static slot). A bounded pool either allocates or makes callers wait when more threads than slots predict at
/// once, and a lock-free pool's racing scans can miss a free buffer and allocate anyway. The price is memory: one
/// buffer (<see cref="Length"/> elements) per thread that has predicted with the model; it is released when the thread
/// ends or the model is collected.
/// </para>
/// <para>Used by generated code; there is no reason to create one by hand.</para>
/// </remarks>
/// <typeparam name="T">The model's element type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ThreadWorkspaces<T>
    where T : unmanaged
{
    private readonly ThreadLocal<T[]> _workspaces;

    /// <summary>Creates the set; no buffer exists until a thread asks for one.</summary>
    /// <param name="length">Elements in each thread's buffer.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public ThreadWorkspaces(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _workspaces = new ThreadLocal<T[]>(() => new T[length]);
    }

    /// <summary>Elements in each thread's buffer.</summary>
    public int Length { get; }

    /// <summary>
    /// The calling thread's buffer, created on its first call. Its contents are whatever this thread's last use left
    /// there: a forward pass writes every value before reading it.
    /// </summary>
    public T[] Current => _workspaces.Value!;
}
