using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ChainRule.Kernels;

/// <summary>An elementwise operator of one input, written once over any <see cref="ISimd{TSelf, T}"/> width.</summary>
internal interface IUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract TSimd Invoke<TSimd>(TSimd x)
        where TSimd : struct, ISimd<TSimd, T>;
}

/// <summary>An elementwise operator of two inputs, written once over any <see cref="ISimd{TSelf, T}"/> width.</summary>
internal interface IBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract TSimd Invoke<TSimd>(TSimd x, TSimd y)
        where TSimd : struct, ISimd<TSimd, T>;
}

/// <summary>An elementwise operator of three inputs, written once over any <see cref="ISimd{TSelf, T}"/> width.</summary>
internal interface ITernaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract TSimd Invoke<TSimd>(TSimd x, TSimd y, TSimd z)
        where TSimd : struct, ISimd<TSimd, T>;
}

/// <summary>
/// The shared loops behind fused elementwise kernels: <c>destination[i] = op(x[i], ...)</c>, run at the widest
/// accelerated width, then narrower widths, then one lane for the tail. Every element is read before it is
/// written, block by block, so <c>destination</c> may be one of the inputs.
/// </summary>
internal static class Elementwise
{
    public static void Map<TOperator, T>(Span<T> destination, ReadOnlySpan<T> x)
        where TOperator : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = destination.Length;
        ref T d = ref MemoryMarshal.GetReference(destination);
        ref T a = ref MemoryMarshal.GetReference(x);
        int i = 0;
        if (Simd512<T>.IsSupported) i = Map<TOperator, Simd512<T>, T>(ref d, ref a, i, n);
        if (Simd256<T>.IsSupported) i = Map<TOperator, Simd256<T>, T>(ref d, ref a, i, n);
        if (Simd128<T>.IsSupported) i = Map<TOperator, Simd128<T>, T>(ref d, ref a, i, n);
        Map<TOperator, Scalar<T>, T>(ref d, ref a, i, n);
    }

    public static void Map<TOperator, T>(Span<T> destination, ReadOnlySpan<T> x, ReadOnlySpan<T> y)
        where TOperator : IBinaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = destination.Length;
        ref T d = ref MemoryMarshal.GetReference(destination);
        ref T a = ref MemoryMarshal.GetReference(x);
        ref T b = ref MemoryMarshal.GetReference(y);
        int i = 0;
        if (Simd512<T>.IsSupported) i = Map<TOperator, Simd512<T>, T>(ref d, ref a, ref b, i, n);
        if (Simd256<T>.IsSupported) i = Map<TOperator, Simd256<T>, T>(ref d, ref a, ref b, i, n);
        if (Simd128<T>.IsSupported) i = Map<TOperator, Simd128<T>, T>(ref d, ref a, ref b, i, n);
        Map<TOperator, Scalar<T>, T>(ref d, ref a, ref b, i, n);
    }

    public static void Map<TOperator, T>(Span<T> destination, ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> z)
        where TOperator : ITernaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = destination.Length;
        ref T d = ref MemoryMarshal.GetReference(destination);
        ref T a = ref MemoryMarshal.GetReference(x);
        ref T b = ref MemoryMarshal.GetReference(y);
        ref T c = ref MemoryMarshal.GetReference(z);
        int i = 0;
        if (Simd512<T>.IsSupported) i = Map<TOperator, Simd512<T>, T>(ref d, ref a, ref b, ref c, i, n);
        if (Simd256<T>.IsSupported) i = Map<TOperator, Simd256<T>, T>(ref d, ref a, ref b, ref c, i, n);
        if (Simd128<T>.IsSupported) i = Map<TOperator, Simd128<T>, T>(ref d, ref a, ref b, ref c, i, n);
        Map<TOperator, Scalar<T>, T>(ref d, ref a, ref b, ref c, i, n);
    }

    /// <summary>
    /// <c>destination[i] = op(x[i])</c>, returning <c>#{i : x[i] ≤ 0}</c> counted in the same pass (NaN is not
    /// counted): the activation kernels' dead-unit count at no extra read of memory.
    /// </summary>
    public static int MapCountNonPositive<TOperator, T>(Span<T> destination, ReadOnlySpan<T> x)
        where TOperator : IUnaryOperator<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = destination.Length, count = 0;
        ref T d = ref MemoryMarshal.GetReference(destination);
        ref T a = ref MemoryMarshal.GetReference(x);
        int i = 0;
        if (Simd512<T>.IsSupported) i = MapCountNonPositive<TOperator, Simd512<T>, T>(ref d, ref a, i, n, ref count);
        if (Simd256<T>.IsSupported) i = MapCountNonPositive<TOperator, Simd256<T>, T>(ref d, ref a, i, n, ref count);
        if (Simd128<T>.IsSupported) i = MapCountNonPositive<TOperator, Simd128<T>, T>(ref d, ref a, i, n, ref count);
        MapCountNonPositive<TOperator, Scalar<T>, T>(ref d, ref a, i, n, ref count);
        return count;
    }

    // Each width processes whole registers from `start` and returns where it stopped. Each is compiled on its own: the
    // JIT's inlining budget is a multiple of the method being compiled, and inlined into the small entry point above,
    // an operator with an exponential in it (GELU's backward) used the budget up, and the rest of its loop ran as
    // calls, one per vector operation (16% of W2's step).

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int MapCountNonPositive<TOperator, TSimd, T>(ref T d, ref T x, int start, int n, ref int count)
        where TOperator : IUnaryOperator<T>
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = start, nonPositive = 0;
        for (; i <= n - TSimd.Count; i += TSimd.Count)
        {
            TSimd value = TSimd.Load(ref x, (nuint)i);
            nonPositive += TSimd.CountLessThanOrEqual(value, TSimd.Zero);
            TSimd.Store(TOperator.Invoke(value), ref d, (nuint)i);
        }
        count += nonPositive;
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Map<TOperator, TSimd, T>(ref T d, ref T x, int start, int n)
        where TOperator : IUnaryOperator<T>
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = start;
        for (; i <= n - TSimd.Count; i += TSimd.Count)
            TSimd.Store(TOperator.Invoke(TSimd.Load(ref x, (nuint)i)), ref d, (nuint)i);
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Map<TOperator, TSimd, T>(ref T d, ref T x, ref T y, int start, int n)
        where TOperator : IBinaryOperator<T>
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = start;
        for (; i <= n - TSimd.Count; i += TSimd.Count)
            TSimd.Store(TOperator.Invoke(TSimd.Load(ref x, (nuint)i), TSimd.Load(ref y, (nuint)i)), ref d, (nuint)i);
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Map<TOperator, TSimd, T>(ref T d, ref T x, ref T y, ref T z, int start, int n)
        where TOperator : ITernaryOperator<T>
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = start;
        for (; i <= n - TSimd.Count; i += TSimd.Count)
            TSimd.Store(TOperator.Invoke(TSimd.Load(ref x, (nuint)i), TSimd.Load(ref y, (nuint)i), TSimd.Load(ref z, (nuint)i)), ref d, (nuint)i);
        return i;
    }
}
