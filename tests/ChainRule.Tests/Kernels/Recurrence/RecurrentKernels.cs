using System;
using System.Numerics;
using ChainRule.Kernels;

namespace ChainRule.Tests.Kernels.Recurrence;

/// <summary>The three kernels behind one signature, so each test runs for every cell kind.</summary>
internal static class RecurrentKernels
{
    public static int CacheLength(CellKind kind, int batch, int steps, int inputs, int hidden) => kind switch
    {
        CellKind.Lstm => Lstm.CacheLength(batch, steps, inputs, hidden),
        CellKind.Gru => Gru.CacheLength(batch, steps, inputs, hidden),
        CellKind.RnnTanh or CellKind.RnnRelu => Rnn.CacheLength(batch, steps, inputs, hidden),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static void Forward<T>(CellKind kind, Span<T> y, Span<T> cache, ReadOnlySpan<T> x, ReadOnlySpan<T> weightIH, ReadOnlySpan<T> weightHH,
        ReadOnlySpan<T> biasIH, ReadOnlySpan<T> biasHH, int batch, int steps, int inputs, int hidden, bool returnSequences)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case CellKind.Lstm: Lstm.Forward(y, cache, x, weightIH, weightHH, biasIH, biasHH, batch, steps, inputs, hidden, returnSequences); break;
            case CellKind.Gru: Gru.Forward(y, cache, x, weightIH, weightHH, biasIH, biasHH, batch, steps, inputs, hidden, returnSequences); break;
            case CellKind.RnnTanh or CellKind.RnnRelu:
                Rnn.Forward(y, cache, x, weightIH, weightHH, biasIH, biasHH, batch, steps, inputs, hidden, Activation(kind), returnSequences); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    public static void Backward<T>(CellKind kind, Span<T> dx, Span<T> dweightIH, Span<T> dweightHH, Span<T> dbiasIH, Span<T> dbiasHH, Span<double> norms,
        ReadOnlySpan<T> dy, Span<T> cache, ReadOnlySpan<T> weightIH, ReadOnlySpan<T> weightHH, int batch, int steps, int inputs, int hidden, bool returnSequences, int truncate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case CellKind.Lstm: Lstm.Backward(dx, dweightIH, dweightHH, dbiasIH, dbiasHH, norms, dy, cache, weightIH, weightHH, batch, steps, inputs, hidden, returnSequences, truncate); break;
            case CellKind.Gru: Gru.Backward(dx, dweightIH, dweightHH, dbiasIH, dbiasHH, norms, dy, cache, weightIH, weightHH, batch, steps, inputs, hidden, returnSequences, truncate); break;
            case CellKind.RnnTanh or CellKind.RnnRelu:
                Rnn.Backward(dx, dweightIH, dweightHH, dbiasIH, dbiasHH, norms, dy, cache, weightIH, weightHH, batch, steps, inputs, hidden, Activation(kind), returnSequences, truncate); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static Activation Activation(CellKind kind) => kind == CellKind.RnnRelu ? ChainRule.Activation.ReLU : ChainRule.Activation.Tanh;

    /// <summary>Forward in <typeparamref name="T"/> from double weights and input, returning the output in double.</summary>
    public static double[] Run<T>(CellKind kind, RecurrentWeights w, double[] x, int batch, int steps, int inputs, int hidden, bool returnSequences)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[returnSequences ? batch * steps * hidden : batch * hidden];
        var cache = new T[CacheLength(kind, batch, steps, inputs, hidden)];
        Forward<T>(kind, y, cache, Convert<T>(x), Convert<T>(w.WeightIH), Convert<T>(w.WeightHH), Convert<T>(w.BiasIH), Convert<T>(w.BiasHH),
            batch, steps, inputs, hidden, returnSequences);
        return NumericAssert.ToDouble<T>(y);
    }

    public static T[] Convert<T>(double[] values)
        where T : IFloatingPointIeee754<T>
    {
        var result = new T[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = T.CreateTruncating(values[i]);
        return result;
    }
}
