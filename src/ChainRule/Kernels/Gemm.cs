using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;
using ChainRule.Training;

namespace ChainRule.Kernels;

/// <summary>
/// The one runtime matrix product, in the three forms a dense layer's forward and backward passes need.
/// Matrices are row-major; <c>c</c> must not overlap <c>a</c> or <c>b</c>.
/// </summary>
/// <remarks>
/// Each form runs a register-blocked micro-kernel written once over <see cref="ISimd{TSelf, T}"/> and
/// specialized by the JIT for <c>Vector512</c>, <c>Vector256</c>, <c>Vector128</c> and one lane; the widest
/// width the hardware accelerates does the bulk and narrower widths finish the edges. Products of more than a few
/// rows are cache-blocked with packed panels of <c>b</c>; big ones split across <see cref="ThreadCount"/> threads.
/// docs/performance.md describes the blocking and what it reaches.
/// </remarks>
public static class Gemm
{
    /// <summary>
    /// <c>c[i,j] = Σ_p a[i,p]·b[j,p]</c>, i.e. <c>C = A Bᵀ</c>, overwriting <paramref name="c"/>.
    /// </summary>
    /// <param name="c">Output, shape <c>(m, n)</c>.</param>
    /// <param name="a">Shape <c>(m, k)</c>.</param>
    /// <param name="b">Shape <c>(n, k)</c>.</param>
    /// <param name="m">Rows of <paramref name="c"/> and <paramref name="a"/>.</param>
    /// <param name="n">Columns of <paramref name="c"/>, rows of <paramref name="b"/>.</param>
    /// <param name="k">The summed dimension.</param>
    public static void MultiplyTransposed<T>(Span<T> c, ReadOnlySpan<T> a, ReadOnlySpan<T> b, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(m, n, k);
        CheckLength(c.Length, m, n, "c", "(m, n)");
        CheckLength(a.Length, m, k, "a", "(m, k)");
        CheckLength(b.Length, n, k, "b", "(n, k)");
        MultiplyTransposedCore(c, a, b, ReadOnlySpan<T>.Empty, m, n, k);
    }

    /// <summary>
    /// <c>c[i,j] += Σ_p a[i,p]·b[p,j]</c>, i.e. <c>C += A B</c>.
    /// </summary>
    /// <param name="c">Accumulated output, shape <c>(m, n)</c>.</param>
    /// <param name="a">Shape <c>(m, k)</c>.</param>
    /// <param name="b">Shape <c>(k, n)</c>.</param>
    /// <param name="m">Rows of <paramref name="c"/> and <paramref name="a"/>.</param>
    /// <param name="n">Columns of <paramref name="c"/> and <paramref name="b"/>.</param>
    /// <param name="k">The summed dimension.</param>
    public static void MultiplyAdd<T>(Span<T> c, ReadOnlySpan<T> a, ReadOnlySpan<T> b, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(m, n, k);
        CheckLength(c.Length, m, n, "c", "(m, n)");
        CheckLength(a.Length, m, k, "a", "(m, k)");
        CheckLength(b.Length, k, n, "b", "(k, n)");
        // a[i,p] sits at i·k + p.
        BroadcastCore(c, a, b, m, n, k, aRowStride: k, aDepthStride: 1, accumulate: true);
    }

    /// <summary>
    /// <c>c[i,j] += Σ_p a[p,i]·b[p,j]</c>, i.e. <c>C += Aᵀ B</c>.
    /// </summary>
    /// <param name="c">Accumulated output, shape <c>(m, n)</c>.</param>
    /// <param name="a">Shape <c>(k, m)</c>.</param>
    /// <param name="b">Shape <c>(k, n)</c>.</param>
    /// <param name="m">Rows of <paramref name="c"/>, columns of <paramref name="a"/>.</param>
    /// <param name="n">Columns of <paramref name="c"/> and <paramref name="b"/>.</param>
    /// <param name="k">The summed dimension.</param>
    public static void TransposeMultiplyAdd<T>(Span<T> c, ReadOnlySpan<T> a, ReadOnlySpan<T> b, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckShape(m, n, k);
        CheckLength(c.Length, m, n, "c", "(m, n)");
        CheckLength(a.Length, k, m, "a", "(k, m)");
        CheckLength(b.Length, k, n, "b", "(k, n)");
        // a[p,i] sits at p·m + i.
        BroadcastCore(c, a, b, m, n, k, aRowStride: 1, aDepthStride: m, accumulate: true);
    }

    /// <summary>
    /// <c>c[i,j] = Σ_p a[i,p]·b[j,p] + bias[j]</c> (no bias when <paramref name="bias"/> is empty), and with a
    /// non-empty <paramref name="relu"/> also <c>relu[i,j] = max(c[i,j], 0)</c>, stored from the same registers.
    /// Lengths are the caller's responsibility.
    /// </summary>
    /// <returns>With <paramref name="relu"/>, <c>#{(i,j) : c[i,j] ≤ 0}</c> (NaN not counted), as <see cref="Relu.Forward{T}"/> counts; else 0.</returns>
    internal static int MultiplyTransposedCore<T>(Span<T> c, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, int m, int n, int k, Span<T> relu = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double unused = 0;
        return MultiplyTransposedCore(c, a, b, bias, m, n, k, relu, sumSquaresOfB: false, ref unused);
    }

    /// <summary>
    /// <see cref="MultiplyTransposedCore{T}(Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int, int, Span{T})"/>,
    /// and with <paramref name="sumSquaresOfB"/> also <c>bSquares = Σ b²</c>: summed block by block as the packed path
    /// packs <c>b</c> (each block read again from L2, rather than all of <c>b</c> from L3 or memory afterwards), in a
    /// pass of its own for products too small to pack.
    /// </summary>
    internal static int MultiplyTransposedCore<T>(Span<T> c, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> bias, int m, int n, int k, Span<T> relu,
        bool sumSquaresOfB, ref double bSquares)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool applyRelu = !relu.IsEmpty;
        ref T activationRef = ref applyRelu ? ref MemoryMarshal.GetReference(relu) : ref MemoryMarshal.GetReference(c);
        Epilogue epilogue = applyRelu ? Epilogue.Relu : Epilogue.None;
        ref T cRef = ref MemoryMarshal.GetReference(c);
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        ref T biasRef = ref MemoryMarshal.GetReference(bias);
        bool hasBias = !bias.IsEmpty;
        if (m >= PackedMinRows && n >= PackedMinColumns)
        {
            // b(p, j) = b[j·k + p]: the packing transposes b into column panels once per block.
            int dead = 0;
            PackedCore(ref cRef, ref aRef, ref bRef, ref biasRef, hasBias, m, n, k, aRowStride: k, aDepthStride: 1, bDepthStride: 1, bColumnStride: k, accumulate: false, sumSquares: false,
                ref activationRef, epilogue, ref dead, sumSquaresOfB, ref bSquares);
            return dead;
        }
        if (sumSquaresOfB)
            bSquares = Norms.SumOfSquares(b);
        // One row (inference at batch 1) reads all of b for little arithmetic: split across threads by columns, each
        // core streams its share of b and, call after call, keeps it in its own L2. Many rows into a few columns (a
        // logits layer) stream a instead: split by rows, each core reads its rows.
        bool split = WorkerPool.Threads > 1 && (m == 1 ? (long)n * k >= ParallelMinDotRow : (long)m * k >= ParallelMinDotRows);
        if (!(split && ParallelDotTiles<T>.TryRun(ref cRef, ref aRef, ref bRef, ref biasRef, hasBias, m, n, k)))
            DotTiles(ref cRef, ref aRef, ref bRef, ref biasRef, hasBias, m, n, k);
        // Small products (a few rows, or a logits layer) take the activation as a second pass over a small c.
        return applyRelu ? Relu.Forward<T>(relu, c) : 0;
    }

    /// <summary><c>n·k</c> from which a one-row <c>A Bᵀ</c> is split across threads (64K multiply-adds, ~3 µs on one core).</summary>
    internal const long ParallelMinDotRow = 1L << 16;

    /// <summary>
    /// Elements of <c>a</c> (<c>m·k</c>) from which a product too narrow to pack (a logits layer) is split by rows: 256 K,
    /// 1 MB of float. W4's 256 × 1024 → 10 forward, reading the activations its two halves of the previous layer left in
    /// two cores' caches, took 110–130 µs on the calling thread.
    /// </summary>
    internal const long ParallelMinDotRows = 1L << 18;

    /// <summary>
    /// An unpacked <c>A Bᵀ</c> split across threads: one row by columns of <c>c</c> (rows of <c>b</c>) in parts of whole
    /// 8-row tiles, more rows by rows of <c>c</c> in parts of whole 2-row tiles.
    /// </summary>
    private static unsafe class ParallelDotTiles<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly Action<int> s_runPart = RunPart;
        private static readonly object s_gate = new();
        private static T* s_c, s_a, s_b, s_bias;
        private static bool s_hasBias;
        private static int s_m, s_n, s_k, s_rowsPerPart, s_columnsPerPart;

        public static bool TryRun(ref T c, ref T a, ref T b, ref T bias, bool hasBias, int m, int n, int k)
        {
            bool byColumns = m == 1;
            int parts = Math.Min(WorkerPool.Threads, byColumns ? (n + 7) / 8 : (m + 1) / 2);
            fixed (T* cp = &c, ap = &a, bp = &b, biasp = &bias)
            {
                if (!Monitor.TryEnter(s_gate))
                    return false;
                try
                {
                    s_c = cp; s_a = ap; s_b = bp; s_bias = biasp;
                    s_hasBias = hasBias; s_m = m; s_n = n; s_k = k;
                    s_columnsPerPart = byColumns ? (n / parts + 7) / 8 * 8 : n;
                    s_rowsPerPart = byColumns ? m : (m / parts + 1) / 2 * 2;
                    return WorkerPool.TryRun(s_runPart, parts);
                }
                finally
                {
                    Monitor.Exit(s_gate);
                }
            }
        }

        private static void RunPart(int part)
        {
            int row = s_rowsPerPart == s_m ? 0 : part * s_rowsPerPart;
            int column = s_columnsPerPart == s_n ? 0 : part * s_columnsPerPart;
            int rows = Math.Min(s_rowsPerPart, s_m - row), columns = Math.Min(s_columnsPerPart, s_n - column);
            // Split by rows, a part has every column, so its rows of c keep their stride n.
            if (rows > 0 && columns > 0)
                DotTiles(ref Unsafe.AsRef<T>(s_c + (nint)row * s_n + column), ref Unsafe.AsRef<T>(s_a + (nint)row * s_k), ref Unsafe.AsRef<T>(s_b + (nint)column * s_k),
                    ref Unsafe.AsRef<T>(s_hasBias ? s_bias + column : s_bias), s_hasBias, rows, columns, s_k);
        }
    }

    /// <summary><see cref="DotTiles{TSimd, T}"/> at the widest register that <paramref name="k"/> fills at least once.</summary>
    private static void DotTiles<T>(ref T cRef, ref T aRef, ref T bRef, ref T biasRef, bool hasBias, int m, int n, int k)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A few rows: dot products along k read b once, with no packing to amortize.
        if (Simd512<T>.IsSupported && k >= Simd512<T>.Count)
            DotTiles<Simd512<T>, T>(ref cRef, ref aRef, ref bRef, ref biasRef, hasBias, m, n, k);
        else if (Simd256<T>.IsSupported && k >= Simd256<T>.Count)
            DotTiles<Simd256<T>, T>(ref cRef, ref aRef, ref bRef, ref biasRef, hasBias, m, n, k);
        else if (Simd128<T>.IsSupported && k >= Simd128<T>.Count)
            DotTiles<Simd128<T>, T>(ref cRef, ref aRef, ref bRef, ref biasRef, hasBias, m, n, k);
        else
            DotTiles<Scalar<T>, T>(ref cRef, ref aRef, ref bRef, ref biasRef, hasBias, m, n, k);
    }

    /// <summary>
    /// <c>c[i,j] (+)= Σ_p a(i,p)·b[p,j]</c> with <c>a(i,p) = a[i·aRowStride + p·aDepthStride]</c>, so one loop
    /// serves both <c>A B</c> and <c>Aᵀ B</c>. Overwrites unless <paramref name="accumulate"/>. With a non-empty
    /// <paramref name="reluInput"/> (overwriting, no squares), stores <c>reluInput[i,j] &gt; 0 ? c[i,j] : 0</c> instead: the
    /// gradient carried on back through the ReLU whose pre-activation that is, in the packed product's epilogue.
    /// Lengths are the caller's responsibility.
    /// </summary>
    /// <returns>
    /// With <paramref name="sumSquares"/>, <c>Σ c[i,j]²</c> of the values stored (after accumulation), summed in the
    /// store epilogue from registers already holding them: per 4-row block in <typeparamref name="T"/>, across blocks
    /// in double. Otherwise 0.
    /// </returns>
    internal static double BroadcastCore<T>(Span<T> c, ReadOnlySpan<T> a, ReadOnlySpan<T> b, int m, int n, int k, int aRowStride, int aDepthStride, bool accumulate, bool sumSquares = false,
        ReadOnlySpan<T> reluInput = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Debug.Assert(reluInput.IsEmpty || !(accumulate || sumSquares), "the ReLU gradient epilogue overwrites c and sums no squares");
        ref T cRef = ref MemoryMarshal.GetReference(c);
        ref T aRef = ref MemoryMarshal.GetReference(a);
        ref T bRef = ref MemoryMarshal.GetReference(b);
        if (m >= PackedMinRows)
        {
            int dead = 0;
            bool gate = !reluInput.IsEmpty;
            double unused = 0;
            return PackedCore(ref cRef, ref aRef, ref bRef, ref cRef, hasBias: false, m, n, k, aRowStride, aDepthStride, bDepthStride: n, bColumnStride: 1, accumulate, sumSquares,
                ref gate ? ref MemoryMarshal.GetReference(reluInput) : ref cRef, gate ? Epilogue.ReluGradient : Epilogue.None, ref dead, sumSquaresOfB: false, ref unused);
        }
        // Columns are vectorized: the widest width takes what it can, narrower widths the rest.
        int j = 0;
        double squares = 0;
        if (Simd512<T>.IsSupported) j = BroadcastPanels<Simd512<T>, T>(ref cRef, ref aRef, ref bRef, m, n, k, aRowStride, aDepthStride, accumulate, sumSquares, ref squares, j);
        if (Simd256<T>.IsSupported) j = BroadcastPanels<Simd256<T>, T>(ref cRef, ref aRef, ref bRef, m, n, k, aRowStride, aDepthStride, accumulate, sumSquares, ref squares, j);
        if (Simd128<T>.IsSupported) j = BroadcastPanels<Simd128<T>, T>(ref cRef, ref aRef, ref bRef, m, n, k, aRowStride, aDepthStride, accumulate, sumSquares, ref squares, j);
        BroadcastPanels<Scalar<T>, T>(ref cRef, ref aRef, ref bRef, m, n, k, aRowStride, aDepthStride, accumulate, sumSquares, ref squares, j);
        // A few rows take the ReLU gradient as a second pass over a small c.
        if (!reluInput.IsEmpty)
            Relu.Backward<T>(c, c, reluInput, reluInput);
        return squares;
    }

    /// <summary>
    /// Tiles of 2 rows of <c>a</c> × 4 rows of <c>b</c>: eight accumulators, each a register of partial dot
    /// products along <c>k</c>, reduced across lanes once per tile. Rows past the edge are clamped to the last
    /// row (computed, not stored), which keeps one kernel for every shape.
    /// </summary>
    internal static void DotTiles<TSimd, T>(ref T c, ref T a, ref T b, ref T bias, bool hasBias, int m, int n, int k)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 1)
        {
            DotRow<TSimd, T>(ref c, ref a, ref b, ref bias, hasBias, n, k);
            return;
        }
        int vectorEnd = k - k % TSimd.Count;
        for (int i = 0; i < m; i += 2)
        {
            ref T a0 = ref Unsafe.Add(ref a, (nint)i * k);
            ref T a1 = ref Unsafe.Add(ref a, (nint)Math.Min(i + 1, m - 1) * k);
            for (int j = 0; j < n; j += 4)
            {
                ref T b0 = ref Unsafe.Add(ref b, (nint)j * k);
                ref T b1 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 1, n - 1) * k);
                ref T b2 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 2, n - 1) * k);
                ref T b3 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 3, n - 1) * k);

                TSimd c00 = TSimd.Zero, c01 = TSimd.Zero, c02 = TSimd.Zero, c03 = TSimd.Zero;
                TSimd c10 = TSimd.Zero, c11 = TSimd.Zero, c12 = TSimd.Zero, c13 = TSimd.Zero;
                for (int p = 0; p < vectorEnd; p += TSimd.Count)
                {
                    TSimd x0 = TSimd.Load(ref a0, (nuint)p);
                    TSimd x1 = TSimd.Load(ref a1, (nuint)p);
                    TSimd y = TSimd.Load(ref b0, (nuint)p);
                    TSimd.MultiplyAccumulate(ref c00, x0, y);
                    TSimd.MultiplyAccumulate(ref c10, x1, y);
                    y = TSimd.Load(ref b1, (nuint)p);
                    TSimd.MultiplyAccumulate(ref c01, x0, y);
                    TSimd.MultiplyAccumulate(ref c11, x1, y);
                    y = TSimd.Load(ref b2, (nuint)p);
                    TSimd.MultiplyAccumulate(ref c02, x0, y);
                    TSimd.MultiplyAccumulate(ref c12, x1, y);
                    y = TSimd.Load(ref b3, (nuint)p);
                    TSimd.MultiplyAccumulate(ref c03, x0, y);
                    TSimd.MultiplyAccumulate(ref c13, x1, y);
                }

                T s00 = TSimd.Sum(c00), s01 = TSimd.Sum(c01), s02 = TSimd.Sum(c02), s03 = TSimd.Sum(c03);
                T s10 = TSimd.Sum(c10), s11 = TSimd.Sum(c11), s12 = TSimd.Sum(c12), s13 = TSimd.Sum(c13);
                for (int p = vectorEnd; p < k; p++)
                {
                    T x0 = Unsafe.Add(ref a0, p), x1 = Unsafe.Add(ref a1, p);
                    T y0 = Unsafe.Add(ref b0, p), y1 = Unsafe.Add(ref b1, p), y2 = Unsafe.Add(ref b2, p), y3 = Unsafe.Add(ref b3, p);
                    s00 = T.MultiplyAddEstimate(x0, y0, s00); s01 = T.MultiplyAddEstimate(x0, y1, s01);
                    s02 = T.MultiplyAddEstimate(x0, y2, s02); s03 = T.MultiplyAddEstimate(x0, y3, s03);
                    s10 = T.MultiplyAddEstimate(x1, y0, s10); s11 = T.MultiplyAddEstimate(x1, y1, s11);
                    s12 = T.MultiplyAddEstimate(x1, y2, s12); s13 = T.MultiplyAddEstimate(x1, y3, s13);
                }

                StoreDotRow(ref c, ref bias, hasBias, i, j, n, s00, s01, s02, s03);
                if (i + 1 < m)
                    StoreDotRow(ref c, ref bias, hasBias, i + 1, j, n, s10, s11, s12, s13);
            }
        }
    }

    /// <summary>
    /// One row of <c>a</c> (inference at batch 1, bound by reading <c>b</c>): tiles of 8 rows of <c>b</c>, eight
    /// accumulators and eight streams of <c>b</c> in flight, none of the FMAs a second clamped row of <c>a</c> would waste.
    /// </summary>
    private static void DotRow<TSimd, T>(ref T c, ref T a, ref T b, ref T bias, bool hasBias, int n, int k)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vectorEnd = k - k % TSimd.Count;
        int tiles = (n + 7) / 8;
        bool backwards = SweepBackwards(ref b);
        for (int tile = 0; tile < tiles; tile++)
        {
            int j = 8 * (backwards ? tiles - 1 - tile : tile);
            ref T b0 = ref Unsafe.Add(ref b, (nint)j * k);
            ref T b1 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 1, n - 1) * k);
            ref T b2 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 2, n - 1) * k);
            ref T b3 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 3, n - 1) * k);
            ref T b4 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 4, n - 1) * k);
            ref T b5 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 5, n - 1) * k);
            ref T b6 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 6, n - 1) * k);
            ref T b7 = ref Unsafe.Add(ref b, (nint)Math.Min(j + 7, n - 1) * k);
            TSimd c0 = TSimd.Zero, c1 = TSimd.Zero, c2 = TSimd.Zero, c3 = TSimd.Zero;
            TSimd c4 = TSimd.Zero, c5 = TSimd.Zero, c6 = TSimd.Zero, c7 = TSimd.Zero;
            for (int p = 0; p < vectorEnd; p += TSimd.Count)
            {
                TSimd x = TSimd.Load(ref a, (nuint)p);
                TSimd.MultiplyAccumulate(ref c0, x, TSimd.Load(ref b0, (nuint)p));
                TSimd.MultiplyAccumulate(ref c1, x, TSimd.Load(ref b1, (nuint)p));
                TSimd.MultiplyAccumulate(ref c2, x, TSimd.Load(ref b2, (nuint)p));
                TSimd.MultiplyAccumulate(ref c3, x, TSimd.Load(ref b3, (nuint)p));
                TSimd.MultiplyAccumulate(ref c4, x, TSimd.Load(ref b4, (nuint)p));
                TSimd.MultiplyAccumulate(ref c5, x, TSimd.Load(ref b5, (nuint)p));
                TSimd.MultiplyAccumulate(ref c6, x, TSimd.Load(ref b6, (nuint)p));
                TSimd.MultiplyAccumulate(ref c7, x, TSimd.Load(ref b7, (nuint)p));
            }

            T s0 = TSimd.Sum(c0), s1 = TSimd.Sum(c1), s2 = TSimd.Sum(c2), s3 = TSimd.Sum(c3);
            T s4 = TSimd.Sum(c4), s5 = TSimd.Sum(c5), s6 = TSimd.Sum(c6), s7 = TSimd.Sum(c7);
            for (int p = vectorEnd; p < k; p++)
            {
                T x = Unsafe.Add(ref a, p);
                s0 = T.MultiplyAddEstimate(x, Unsafe.Add(ref b0, p), s0); s1 = T.MultiplyAddEstimate(x, Unsafe.Add(ref b1, p), s1);
                s2 = T.MultiplyAddEstimate(x, Unsafe.Add(ref b2, p), s2); s3 = T.MultiplyAddEstimate(x, Unsafe.Add(ref b3, p), s3);
                s4 = T.MultiplyAddEstimate(x, Unsafe.Add(ref b4, p), s4); s5 = T.MultiplyAddEstimate(x, Unsafe.Add(ref b5, p), s5);
                s6 = T.MultiplyAddEstimate(x, Unsafe.Add(ref b6, p), s6); s7 = T.MultiplyAddEstimate(x, Unsafe.Add(ref b7, p), s7);
            }

            StoreDotRow(ref c, ref bias, hasBias, 0, j, n, s0, s1, s2, s3);
            if (j + 4 < n)
                StoreDotRow(ref c, ref bias, hasBias, 0, j + 4, n, s4, s5, s6, s7);
        }
    }

    [ThreadStatic]
    private static nuint[]? t_sweptMatrices;

    /// <summary>
    /// Whether this thread's next one-row product over the matrix at <paramref name="b"/> reads it last row first:
    /// alternately yes and no. Inference at batch 1 streams every weight once per call, and a model a little larger than
    /// L2 (W1: 1.07 MB against 1 MB) read in the same order every call misses on every line, as each line is evicted just
    /// before it is needed again; read back and forth, each call starts with the lines the last one left in cache.
    /// Results are identical either way (each output is one dot product in a fixed order). Remembered per matrix address
    /// (the low bit of an entry is the direction, as addresses are element-aligned) in a 16-entry table probed from a
    /// hash of the address: matrices whose addresses shared a page-number key used to flip each other's direction back.
    /// A full table or a moved array only costs the order its reuse.
    /// </summary>
    internal static unsafe bool SweepBackwards<T>(ref T b)
    {
        nuint[] table = t_sweptMatrices ??= new nuint[SweptMatrices];
        nuint address = (nuint)Unsafe.AsPointer(ref b);
        int start = (int)((ulong)address * 0x9E3779B97F4A7C15UL >> 60);
        for (int probe = 0; probe < SweptMatrices; probe++)
        {
            int slot = (start + probe) & (SweptMatrices - 1);
            nuint entry = table[slot];
            if (entry == 0 || (entry & ~(nuint)1) == address)
            {
                table[slot] = address | ((entry & 1) ^ 1);
                return (entry & 1) == 0;
            }
        }
        table[start] = address | 1;
        return true;
    }

    private const int SweptMatrices = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreDotRow<T>(ref T c, ref T bias, bool hasBias, int i, int j, int n, T s0, T s1, T s2, T s3)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T row = ref Unsafe.Add(ref c, (nint)i * n);
        int count = Math.Min(4, n - j);
        if (hasBias)
        {
            s0 += Unsafe.Add(ref bias, j);
            if (count > 1) s1 += Unsafe.Add(ref bias, j + 1);
            if (count > 2) s2 += Unsafe.Add(ref bias, j + 2);
            if (count > 3) s3 += Unsafe.Add(ref bias, j + 3);
        }
        Unsafe.Add(ref row, j) = s0;
        if (count > 1) Unsafe.Add(ref row, j + 1) = s1;
        if (count > 2) Unsafe.Add(ref row, j + 2) = s2;
        if (count > 3) Unsafe.Add(ref row, j + 3) = s3;
    }

    /// <summary>
    /// Column panels from <paramref name="start"/>: two registers wide, then one, each swept over every 4-row
    /// block of <c>c</c> (8 or 4 accumulators; each <c>a(i,p)</c> broadcast, each <c>b[p, j..]</c> loaded once
    /// per block). With <paramref name="sumSquares"/>, adds <c>Σ c²</c> of the stored values to
    /// <paramref name="squares"/>. Returns the first column left for a narrower width.
    /// </summary>
    internal static int BroadcastPanels<TSimd, T>(ref T c, ref T a, ref T b, int m, int n, int k, int aRowStride, int aDepthStride, bool accumulate, bool sumSquares, ref double squares, int start)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TSimd.Count;
        int j = start;
        for (; j <= n - 2 * w; j += 2 * w)
        {
            for (int i = 0; i < m; i += 4)
            {
                int rows = Math.Min(4, m - i);
                ref T a0 = ref Unsafe.Add(ref a, (nint)i * aRowStride);
                ref T a1 = ref Unsafe.Add(ref a, (nint)Math.Min(i + 1, m - 1) * aRowStride);
                ref T a2 = ref Unsafe.Add(ref a, (nint)Math.Min(i + 2, m - 1) * aRowStride);
                ref T a3 = ref Unsafe.Add(ref a, (nint)Math.Min(i + 3, m - 1) * aRowStride);
                TSimd c00 = TSimd.Zero, c01 = TSimd.Zero, c10 = TSimd.Zero, c11 = TSimd.Zero;
                TSimd c20 = TSimd.Zero, c21 = TSimd.Zero, c30 = TSimd.Zero, c31 = TSimd.Zero;
                nuint bp = (nuint)j;
                nint ap = 0;
                for (int p = 0; p < k; p++)
                {
                    TSimd y0 = TSimd.Load(ref b, bp);
                    TSimd y1 = TSimd.Load(ref b, bp + (nuint)w);
                    TSimd x = TSimd.Broadcast(Unsafe.Add(ref a0, ap));
                    TSimd.MultiplyAccumulate(ref c00, x, y0);
                    TSimd.MultiplyAccumulate(ref c01, x, y1);
                    x = TSimd.Broadcast(Unsafe.Add(ref a1, ap));
                    TSimd.MultiplyAccumulate(ref c10, x, y0);
                    TSimd.MultiplyAccumulate(ref c11, x, y1);
                    x = TSimd.Broadcast(Unsafe.Add(ref a2, ap));
                    TSimd.MultiplyAccumulate(ref c20, x, y0);
                    TSimd.MultiplyAccumulate(ref c21, x, y1);
                    x = TSimd.Broadcast(Unsafe.Add(ref a3, ap));
                    TSimd.MultiplyAccumulate(ref c30, x, y0);
                    TSimd.MultiplyAccumulate(ref c31, x, y1);
                    bp += (nuint)n;
                    ap += aDepthStride;
                }

                ref T row = ref Unsafe.Add(ref c, (nint)i * n + j);
                TSimd sq = TSimd.Zero;
                StorePanel(ref row, c00, 0, accumulate, sumSquares, ref sq); StorePanel(ref row, c01, (nuint)w, accumulate, sumSquares, ref sq);
                if (rows > 1) { row = ref Unsafe.Add(ref row, n); StorePanel(ref row, c10, 0, accumulate, sumSquares, ref sq); StorePanel(ref row, c11, (nuint)w, accumulate, sumSquares, ref sq); }
                if (rows > 2) { row = ref Unsafe.Add(ref row, n); StorePanel(ref row, c20, 0, accumulate, sumSquares, ref sq); StorePanel(ref row, c21, (nuint)w, accumulate, sumSquares, ref sq); }
                if (rows > 3) { row = ref Unsafe.Add(ref row, n); StorePanel(ref row, c30, 0, accumulate, sumSquares, ref sq); StorePanel(ref row, c31, (nuint)w, accumulate, sumSquares, ref sq); }
                if (sumSquares)
                    squares += double.CreateTruncating(TSimd.Sum(sq));
            }
        }

        for (; j <= n - w; j += w)
        {
            for (int i = 0; i < m; i += 4)
            {
                int rows = Math.Min(4, m - i);
                ref T a0 = ref Unsafe.Add(ref a, (nint)i * aRowStride);
                ref T a1 = ref Unsafe.Add(ref a, (nint)Math.Min(i + 1, m - 1) * aRowStride);
                ref T a2 = ref Unsafe.Add(ref a, (nint)Math.Min(i + 2, m - 1) * aRowStride);
                ref T a3 = ref Unsafe.Add(ref a, (nint)Math.Min(i + 3, m - 1) * aRowStride);
                TSimd c0 = TSimd.Zero, c1 = TSimd.Zero, c2 = TSimd.Zero, c3 = TSimd.Zero;
                nuint bp = (nuint)j;
                nint ap = 0;
                for (int p = 0; p < k; p++)
                {
                    TSimd y = TSimd.Load(ref b, bp);
                    TSimd.MultiplyAccumulate(ref c0, TSimd.Broadcast(Unsafe.Add(ref a0, ap)), y);
                    TSimd.MultiplyAccumulate(ref c1, TSimd.Broadcast(Unsafe.Add(ref a1, ap)), y);
                    TSimd.MultiplyAccumulate(ref c2, TSimd.Broadcast(Unsafe.Add(ref a2, ap)), y);
                    TSimd.MultiplyAccumulate(ref c3, TSimd.Broadcast(Unsafe.Add(ref a3, ap)), y);
                    bp += (nuint)n;
                    ap += aDepthStride;
                }

                ref T row = ref Unsafe.Add(ref c, (nint)i * n + j);
                TSimd sq = TSimd.Zero;
                StorePanel(ref row, c0, 0, accumulate, sumSquares, ref sq);
                if (rows > 1) { row = ref Unsafe.Add(ref row, n); StorePanel(ref row, c1, 0, accumulate, sumSquares, ref sq); }
                if (rows > 2) { row = ref Unsafe.Add(ref row, n); StorePanel(ref row, c2, 0, accumulate, sumSquares, ref sq); }
                if (rows > 3) { row = ref Unsafe.Add(ref row, n); StorePanel(ref row, c3, 0, accumulate, sumSquares, ref sq); }
                if (sumSquares)
                    squares += double.CreateTruncating(TSimd.Sum(sq));
            }
        }

        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePanel<TSimd, T>(ref T row, TSimd value, nuint offset, bool accumulate, bool sumSquares, ref TSimd squares)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (accumulate)
            value += TSimd.Load(ref row, offset);
        TSimd.Store(value, ref row, offset);
        if (sumSquares)
            TSimd.MultiplyAccumulate(ref squares, value, value);
    }

    /// <summary>A packed block of <c>b</c> up to this size is swept row tile by row tile: it stays in L1 meanwhile (<see cref="GemmBlocking.Derive"/>).</summary>
    internal static readonly int SmallPackedBlockBytes = GemmBlocking.Current.SmallPackedBlockBytes;

    /// <summary>Rows of <c>c</c> from which the packed path pays for packing <c>b</c>; fewer go to the unpacked loops.</summary>
    internal const int PackedMinRows = 6;

    /// <summary>
    /// Columns of <c>A Bᵀ</c> from which it is packed: a narrower product (a logits layer) would pad most of a panel
    /// with zeros, and the dot-product tiles need no padding.
    /// </summary>
    internal const int PackedMinColumns = 32;

    /// <summary>Rows of <c>c</c> per micro-tile: each <c>a(i,p)</c> is broadcast against two registers of packed <c>b</c>.</summary>
    internal const int TileRows = 6;

    /// <summary>
    /// Largest depth of a packed block of <c>b</c>: its micro-panel of <c>DepthBlock × 2·Count</c> stays in this machine's
    /// L1 while every row tile sweeps it (<see cref="GemmBlocking.Derive"/>). Depths are split into equal blocks up to it.
    /// </summary>
    internal static readonly int DepthBlock = GemmBlocking.Current.DepthBlock;

    /// <summary>Columns of a packed block of <c>b</c>, a multiple of every width's panel (2·Count ≤ 32), sized to this machine's L3 (or L2).</summary>
    internal static readonly int ColumnBlock = GemmBlocking.Current.ColumnBlock;

    /// <summary>
    /// Largest row block of <c>a</c> (a packed <c>Aᵀ</c>, or rows of a row-major <c>a</c> read in place), a multiple of
    /// <see cref="TileRows"/>, sized so that it stays in this machine's L2 while every panel of <c>b</c> sweeps it. Rows are
    /// split into equal blocks up to it.
    /// </summary>
    internal static readonly int RowBlock = GemmBlocking.Current.RowBlock;

    /// <summary>
    /// One packing buffer per thread and element type, grown to the largest packed product the thread has run (its
    /// first step allocates it; no later one does), on the pinned heap and used from a 64-byte boundary: each depth of
    /// a panel is then whole cache lines, where a 16-byte array header would split every other load of <c>b</c>.
    /// </summary>
    private static unsafe class PackBuffer<T>
        where T : unmanaged
    {
        private const int Alignment = 64;

        [ThreadStatic]
        private static T[]? t_buffer;

        [ThreadStatic]
        private static int t_start;

        /// <summary>The first of at least <paramref name="length"/> elements of this thread's buffer, 64-byte aligned.</summary>
        public static ref T Get(int length)
        {
            T[]? buffer = t_buffer;
            if (buffer is null || buffer.Length - t_start < length)
            {
                t_buffer = buffer = GC.AllocateArray<T>(length + Alignment / sizeof(T), pinned: true);
                nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
                t_start = (int)((Alignment - address % Alignment) % Alignment / (nuint)sizeof(T));
            }
            return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(buffer), t_start);
        }
    }

    /// <summary>
    /// <c>c[i,j] (+)= Σ_p a(i,p)·b(p,j) (+ bias[j])</c> with <c>a(i,p) = a[i·aRowStride + p·aDepthStride]</c> and
    /// <c>b(p,j) = b[p·bDepthStride + j·bColumnStride]</c>, so one path serves <c>A Bᵀ</c>, <c>A B</c> and <c>Aᵀ B</c>.
    /// Overwrites unless <paramref name="accumulate"/>; the bias (if any) is added as <c>c</c> is first stored.
    /// </summary>
    /// <remarks>
    /// Blocked like BLIS, at the widest accelerated width only (padding replaces narrower widths): for each block of
    /// <see cref="DepthBlock"/> depths and <see cref="ColumnBlock"/> columns, <c>b</c> is packed once into column panels
    /// of <c>2·Count</c> (zero-padded), contiguous along <c>p</c>; then, block of up to <see cref="RowBlock"/> rows by
    /// block, every panel is swept by every <see cref="TileRows"/>-row micro-tile of the block, twelve accumulators that
    /// stay in registers for the whole depth block. A row-major <c>a</c> is broadcast in place; an <c>Aᵀ</c> is packed per
    /// row block into tiles of <see cref="TileRows"/> rows interleaved along <c>p</c> (its depths, a whole row of memory
    /// apart, would otherwise fall into a few L1 sets). With
    /// <paramref name="sumSquares"/>, returns <c>Σ c[i,j]²</c> of the final stored values, summed in the epilogue of
    /// the last depth block: per tile in <typeparamref name="T"/>, across tiles in double. Otherwise 0. With
    /// <paramref name="sumSquaresOfB"/>, also adds <c>Σ b²</c> to <paramref name="bSquares"/>, each packed block summed
    /// right after it is packed (still in cache), once however many row blocks of <c>a</c> sweep it.
    /// </remarks>
    internal static double PackedCore<T>(ref T c, ref T a, ref T b, ref T bias, bool hasBias, int m, int n, int k,
        int aRowStride, int aDepthStride, int bDepthStride, int bColumnStride, bool accumulate, bool sumSquares, ref T activation, Epilogue epilogue, ref int dead,
        bool sumSquaresOfB, ref double bSquares)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int threads = WorkerPool.Threads;
        if (threads > 1 && ((long)m * n * k >= ParallelMinMultiplyAdds || (long)m * n >= ParallelMinOutputs))
        {
            double? squares = ParallelPacked<T>.TryRun(ref c, ref a, ref b, ref bias, hasBias, m, n, k, aRowStride, aDepthStride, bDepthStride, bColumnStride,
                accumulate, sumSquares, ref activation, epilogue, ref dead, sumSquaresOfB, ref bSquares, threads);
            if (squares is double value)
                return value;
        }
        return SerialPackedCore(ref c, ref a, ref b, ref bias, hasBias, m, n, k, ldc: n, aRowStride, aDepthStride, bDepthStride, bColumnStride, accumulate, sumSquares,
            ref activation, epilogue, ref dead, sumSquaresOfB, ref bSquares);
    }

    /// <summary>
    /// Multiply-adds (<c>m·n·k</c>) from which a product is split across <see cref="ThreadCount"/> threads: 32 M,
    /// some 150 µs on one core. The hand-off costs under a microsecond, but the worker's half of <c>c</c> then sits in
    /// the other core's cache, and the elementwise passes between products (on the calling thread) pull it back:
    /// splitting W1's 8–25 M products made its step slower on this 2-core Zen 5, while W4's 268 M products gain.
    /// </summary>
    internal const long ParallelMinMultiplyAdds = 1L << 25;

    /// <summary>
    /// Elements of <c>c</c> (<c>m·n</c>) from which a product is split however shallow: 256 K, 1 MB of float, past one
    /// core's L2. Such a product (the input gradient behind a logits layer, depth 10) is bound by streaming <c>c</c> and its
    /// epilogue's operand, and each core then streams the columns its half of the layer's forward product left in its
    /// own cache: W4's 256 × 1024 × 10 input gradient through the ReLU took 280 µs on the calling thread, 150 µs split.
    /// </summary>
    internal const long ParallelMinOutputs = 1L << 18;

    /// <summary>
    /// Threads that split training steps by rows (<c>ChainRule.Training.BatchSplit</c>), big matrix products and long
    /// whole-buffer passes of a training step (the optimizer update, global-norm clipping, clearing gradients), the
    /// calling thread included. Default: the cores the process may use (<see cref="Environment.ProcessorCount"/>), at
    /// most 4, or the <c>CHAINRULE_THREADS</c> environment variable at startup; 1 splits nothing and starts no worker
    /// thread. Above 1, persistent workers spin
    /// briefly between jobs (parking after a millisecond idle), each product splits by columns or rows of <c>c</c>, and
    /// nothing is allocated per call. One job runs split at a time; one started meanwhile on another thread runs on
    /// that thread alone. Set it at startup: changing it waits for a split job in flight, then replaces the workers.
    /// </summary>
    public static int ThreadCount
    {
        get => WorkerPool.Threads;
        set => WorkerPool.Threads = value;
    }

    /// <summary>
    /// A product split into parts, each computed by one thread into its own part of <c>c</c> with its own packing buffer:
    /// by columns when <c>c</c> is at least as wide as it is tall (each thread packs only its columns of <c>b</c>, and
    /// reads the shared <c>a</c> in place), else by rows in whole micro-tiles (each thread packs all of <c>b</c>). A packed
    /// <c>Aᵀ</c> (the weight gradient's <c>dyᵀ</c>) splits by rows unless <c>c</c> is wider than tall, each thread then
    /// packing only its rows of it: W4's 1024 × 1024 weight gradients took 1.60–1.64 ms split so in the step at 2 threads,
    /// 1.71–1.77 ms split by columns. The
    /// operands are pinned by the calling thread, which waits for every part, so the workers receive raw pointers
    /// through static fields (one split product at a time, guarded by the pool).
    /// </summary>
    private static unsafe class ParallelPacked<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly Action<int> s_runPart = RunPart;
        private static readonly double[] s_squares = new double[WorkerPool.MaxThreads];
        private static readonly int[] s_dead = new int[WorkerPool.MaxThreads];
        private static readonly double[] s_bSquares = new double[WorkerPool.MaxThreads];
        private static T* s_c, s_a, s_b, s_bias, s_activation;
        private static bool s_hasBias, s_accumulate, s_sumSquares, s_sumSquaresOfB;
        private static Epilogue s_epilogue;
        private static int s_m, s_n, s_k, s_aRowStride, s_aDepthStride, s_bDepthStride, s_bColumnStride, s_rowsPerPart, s_columnsPerPart;

        public static double? TryRun(ref T c, ref T a, ref T b, ref T bias, bool hasBias, int m, int n, int k,
            int aRowStride, int aDepthStride, int bDepthStride, int bColumnStride, bool accumulate, bool sumSquares, ref T activation, Epilogue epilogue, ref int dead,
            bool sumSquaresOfB, ref double bSquares, int parts)
        {
            fixed (T* cp = &c, ap = &a, bp = &b, biasp = &bias, activationp = &activation)
            {
                if (!Monitor.TryEnter(s_squares))
                    return null; // another thread of this element type is splitting a product
                try
                {
                    s_c = cp; s_a = ap; s_b = bp; s_bias = biasp; s_activation = activationp;
                    s_hasBias = hasBias; s_accumulate = accumulate; s_sumSquares = sumSquares; s_sumSquaresOfB = sumSquaresOfB; s_epilogue = epilogue;
                    s_m = m; s_n = n; s_k = k;
                    s_aRowStride = aRowStride; s_aDepthStride = aDepthStride; s_bDepthStride = bDepthStride; s_bColumnStride = bColumnStride;
                    // Columns in whole panels of every width (32 elements), rows in whole micro-tiles.
                    bool byColumns = PacksA(aRowStride, aDepthStride) ? n > m : n >= m;
                    s_columnsPerPart = byColumns ? (n / parts + 31) / 32 * 32 : n;
                    s_rowsPerPart = byColumns ? m : (m / parts + TileRows - 1) / TileRows * TileRows;
                    parts = byColumns ? (n + s_columnsPerPart - 1) / s_columnsPerPart : (m + s_rowsPerPart - 1) / s_rowsPerPart;
                    if (!WorkerPool.TryRun(s_runPart, parts))
                        return null;
                    double squares = 0;
                    for (int part = 0; part < parts; part++)
                    {
                        squares += s_squares[part];
                        dead += s_dead[part];
                        if (sumSquaresOfB)
                            bSquares += s_bSquares[part];
                    }
                    return squares;
                }
                finally
                {
                    Monitor.Exit(s_squares);
                }
            }
        }

        private static void RunPart(int part)
        {
            int row = s_rowsPerPart == s_m ? 0 : part * s_rowsPerPart;
            int column = s_columnsPerPart == s_n ? 0 : part * s_columnsPerPart;
            int rows = Math.Min(s_rowsPerPart, s_m - row), columns = Math.Min(s_columnsPerPart, s_n - column);
            int dead = 0;
            double bSquares = 0;
            // Split by columns, each part packs its own columns of b; by rows, every part packs all of it, and part 0 sums it.
            bool sumSquaresOfB = s_sumSquaresOfB && (s_columnsPerPart != s_n || part == 0);
            s_squares[part] = SerialPackedCore(ref Unsafe.AsRef<T>(s_c + (nint)row * s_n + column), ref Unsafe.AsRef<T>(s_a + (nint)row * s_aRowStride),
                ref Unsafe.AsRef<T>(s_b + (nint)column * s_bColumnStride), ref Unsafe.AsRef<T>(s_hasBias ? s_bias + column : s_bias), s_hasBias, rows, columns, s_k,
                ldc: s_n, s_aRowStride, s_aDepthStride, s_bDepthStride, s_bColumnStride, s_accumulate, s_sumSquares,
                ref Unsafe.AsRef<T>(s_activation + (nint)row * s_n + column), s_epilogue, ref dead, sumSquaresOfB, ref bSquares);
            s_dead[part] = dead;
            s_bSquares[part] = bSquares;
        }
    }

    /// <summary><see cref="PackedCore{T}"/> on the calling thread, at the widest accelerated width.</summary>
    private static double SerialPackedCore<T>(ref T c, ref T a, ref T b, ref T bias, bool hasBias, int m, int n, int k, int ldc,
        int aRowStride, int aDepthStride, int bDepthStride, int bColumnStride, bool accumulate, bool sumSquares, ref T activation, Epilogue epilogue, ref int dead,
        bool sumSquaresOfB, ref double bSquares)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Simd512<T>.IsSupported)
            return PackedCore<Simd512<T>, T>(ref c, ref a, ref b, ref bias, hasBias, m, n, k, ldc, aRowStride, aDepthStride, bDepthStride, bColumnStride, accumulate, sumSquares, ref activation, epilogue, ref dead,
                sumSquaresOfB, ref bSquares);
        if (Simd256<T>.IsSupported)
            return PackedCore<Simd256<T>, T>(ref c, ref a, ref b, ref bias, hasBias, m, n, k, ldc, aRowStride, aDepthStride, bDepthStride, bColumnStride, accumulate, sumSquares, ref activation, epilogue, ref dead,
                sumSquaresOfB, ref bSquares);
        if (Simd128<T>.IsSupported)
            return PackedCore<Simd128<T>, T>(ref c, ref a, ref b, ref bias, hasBias, m, n, k, ldc, aRowStride, aDepthStride, bDepthStride, bColumnStride, accumulate, sumSquares, ref activation, epilogue, ref dead,
                sumSquaresOfB, ref bSquares);
        return PackedCore<Scalar<T>, T>(ref c, ref a, ref b, ref bias, hasBias, m, n, k, ldc, aRowStride, aDepthStride, bDepthStride, bColumnStride, accumulate, sumSquares, ref activation, epilogue, ref dead,
            sumSquaresOfB, ref bSquares);
    }

    /// <summary><see cref="PackedCore{T}"/> at one width.</summary>
    internal static double PackedCore<TSimd, T>(ref T c, ref T a, ref T b, ref T bias, bool hasBias, int m, int n, int k, int ldc,
        int aRowStride, int aDepthStride, int bDepthStride, int bColumnStride, bool accumulate, bool sumSquares, ref T activation, Epilogue epilogue, ref int dead,
        bool sumSquaresOfB, ref double bSquares)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int panel = 2 * TSimd.Count;
        // A row-major a is broadcast in place (rows at a stride cost nothing); Aᵀ is packed, as its tiles' depths lie
        // a whole row of memory apart and fall into a few L1 sets.
        bool packA = PacksA(aRowStride, aDepthStride);
        // Depth blocks of equal size (784 = 4 × 196, not 3 × 256 + 16): a short last block would reload and store
        // every tile of c for a few FMAs. Row blocks likewise, in whole micro-tiles.
        int depthBlocks = Math.Max(1, (k + DepthBlock - 1) / DepthBlock);
        int depthStep = (k + depthBlocks - 1) / depthBlocks;
        int rowBlocks = Math.Max(1, (m + RowBlock - 1) / RowBlock);
        int rowStep = ((m + rowBlocks - 1) / rowBlocks + TileRows - 1) / TileRows * TileRows;
        int packedColumns = (Math.Min(n, ColumnBlock) + panel - 1) / panel * panel;
        ref T packed = ref PackBuffer<T>.Get(Math.Max(1, depthStep) * (packedColumns + (packA ? rowStep : 0)));
        ref T packedA = ref Unsafe.Add(ref packed, depthStep * packedColumns);
        Span<T> edge = stackalloc T[TileRows * 32]; // one micro-tile, for panels that run past column n
        ref T tile = ref MemoryMarshal.GetReference(edge);
        double squares = 0;
        // One pass with depth 0 when k = 0, so that c is still overwritten (or its squares summed).
        for (int pc = 0; pc < k || pc == 0; pc += depthStep)
        {
            int kc = Math.Min(depthStep, k - pc);
            bool first = pc == 0, last = pc + kc >= k;
            bool add = accumulate || !first;
            bool addBias = hasBias && first;
            bool square = sumSquares && last;
            bool activate = epilogue != Epilogue.None && last;
            // Each block of b is packed once and swept by every row block (BLIS's order): packing a, the cheaper
            // to repeat, is what a column block repeats, a 1/nc share of the multiply-adds.
            for (int jc = 0; jc < n; jc += ColumnBlock)
            {
                int nc = Math.Min(ColumnBlock, n - jc);
                PackB<TSimd, T>(ref packed, ref b, pc, kc, jc, nc, n, bDepthStride, bColumnStride);
                if (sumSquaresOfB) // the padding adds 0
                    bSquares += Norms.SumOfSquares<T>(MemoryMarshal.CreateReadOnlySpan(ref packed, (nc + panel - 1) / panel * panel * kc));
                // Panel by panel, each panel staying in L1 while every row tile of the block sweeps it; but when the
                // whole packed block fits in L1 (a depth of a few dozen, as behind a logits layer), row tile by row
                // tile, so that c and the epilogue's operand are walked row after row rather than down a column strip.
                bool rowsOuter = (long)kc * nc * Unsafe.SizeOf<T>() <= SmallPackedBlockBytes;
                for (int ic = 0; ic < m; ic += rowStep)
                {
                    int mc = Math.Min(rowStep, m - ic);
                    if (packA)
                        PackA(ref packedA, ref a, ic, mc, pc, kc, aDepthStride);
                    int tiles = (nc + panel - 1) / panel * ((mc + TileRows - 1) / TileRows);
                    for (int t = 0, jr = 0, ir = 0; t < tiles; t++)
                    {
                        int columns = Math.Min(panel, nc - jr);
                        int j = jc + jr;
                        ref T bPanel = ref Unsafe.Add(ref packed, (nint)jr * kc);
                        int i = ic + ir;
                        int rows = Math.Min(TileRows, m - i);
                        // Packed, a tile's rows are consecutive and its depths TileRows apart.
                        ref T aTile = ref packA ? ref Unsafe.Add(ref packedA, (nint)ir * kc) : ref Unsafe.Add(ref a, (nint)i * aRowStride + (nint)pc * aDepthStride);
                        int rowStride = packA ? 1 : aRowStride, depthStride = packA ? TileRows : aDepthStride;
                        if (columns == panel)
                        {
                            squares += MicroTile<TSimd, T>(ref Unsafe.Add(ref c, (nint)i * ldc + j), ldc, rows, ref aTile, rowStride, depthStride, ref bPanel, kc,
                                add, ref Unsafe.Add(ref bias, j), addBias, square);
                            if (activate)
                                dead += ActivationTile<TSimd, T>(ref Unsafe.Add(ref activation, (nint)i * ldc + j), ref Unsafe.Add(ref c, (nint)i * ldc + j), ldc, rows, epilogue);
                        }
                        else
                        {
                            squares += EdgeTile<TSimd, T>(ref c, ref tile, i, j, ldc, rows, columns, ref aTile, rowStride, depthStride, ref bPanel, kc, add, ref bias, addBias, square,
                                ref activation, activate ? epilogue : Epilogue.None, ref dead);
                        }
                        if (rowsOuter && (jr += panel) >= nc)
                            (jr, ir) = (0, ir + TileRows);
                        else if (!rowsOuter && (ir += TileRows) >= mc)
                            (ir, jr) = (0, jr + panel);
                    }
                }
            }
        }
        return squares;
    }

    /// <summary>Whether the packed path packs <c>a</c>: an <c>Aᵀ</c>, whose rows are contiguous and depths a row of memory apart.</summary>
    private static bool PacksA(int aRowStride, int aDepthStride) => aRowStride == 1 && aDepthStride != 1;

    /// <summary>A micro-tile past the last full panel: registers to <paramref name="tile"/>, then the valid columns one by one.</summary>
    private static double EdgeTile<TSimd, T>(ref T c, ref T tile, int i, int j, int ldc, int rows, int columns, ref T aTile, int aRowStride, int aDepthStride,
        ref T bPanel, int kc, bool add, ref T bias, bool addBias, bool square, ref T activation, Epilogue epilogue, ref int dead)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int panel = 2 * TSimd.Count;
        MicroTile<TSimd, T>(ref tile, panel, rows, ref aTile, aRowStride, aDepthStride, ref bPanel, kc, false, ref tile, false, false);
        T sq = T.Zero;
        for (int r = 0; r < rows; r++)
        {
            ref T row = ref Unsafe.Add(ref c, (nint)(i + r) * ldc + j);
            for (int q = 0; q < columns; q++)
            {
                T value = Unsafe.Add(ref tile, r * panel + q);
                if (add) value += Unsafe.Add(ref row, q);
                if (addBias) value += Unsafe.Add(ref bias, j + q);
                ref T activationValue = ref Unsafe.Add(ref activation, (nint)(i + r) * ldc + j + q);
                if (epilogue == Epilogue.ReluGradient)
                    value = activationValue > T.Zero ? value : T.Zero;
                Unsafe.Add(ref row, q) = value;
                if (epilogue == Epilogue.Relu)
                {
                    activationValue = T.Max(value, T.Zero);
                    if (value <= T.Zero) dead++;
                }
                sq = T.MultiplyAddEstimate(value, value, sq);
            }
        }
        return square ? double.CreateTruncating(sq) : 0;
    }

    /// <summary>
    /// Packs rows <c>ic .. ic + mc</c> of an <c>Aᵀ</c> (<c>a(i,p) = a[p·aDepthStride + i]</c>) at depths <c>pc .. pc + kc</c>
    /// into tiles of <see cref="TileRows"/> rows: <c>packed[t·kc·TileRows + p·TileRows + r] = a(ic + t·TileRows + r, pc + p)</c>,
    /// zero past row <c>ic + mc</c>. At each depth the block's rows are one contiguous run, read front to back and dealt
    /// out to the tiles; read tile by tile, depths a whole row of memory apart would fall into a few L1 sets and miss.
    /// </summary>
    private static void PackA<T>(ref T packed, ref T a, int ic, int mc, int pc, int kc, int aDepthStride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int fullTiles = mc / TileRows, lastRows = mc % TileRows;
        for (int p = 0; p < kc; p++)
        {
            ref T source = ref Unsafe.Add(ref a, (nint)(pc + p) * aDepthStride + ic);
            ref T destination = ref Unsafe.Add(ref packed, p * TileRows);
            for (int t = 0; t < fullTiles; t++)
            {
                // A constant-size block copy, which the JIT unrolls into vector moves (one 16-byte and one 8-byte for float).
                Unsafe.CopyBlockUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref destination, (nint)t * TileRows * kc)),
                    ref Unsafe.As<T, byte>(ref Unsafe.Add(ref source, t * TileRows)), (uint)(TileRows * Unsafe.SizeOf<T>()));
            }
            if (lastRows > 0)
            {
                ref T from = ref Unsafe.Add(ref source, fullTiles * TileRows);
                ref T to = ref Unsafe.Add(ref destination, (nint)fullTiles * TileRows * kc);
                for (int r = 0; r < TileRows; r++)
                    Unsafe.Add(ref to, r) = r < lastRows ? Unsafe.Add(ref from, r) : T.Zero;
            }
        }
    }

    /// <summary>
    /// Packs <c>b(pc.., jc..)</c>, <c>kc × nc</c>, into panels of <c>2·Count</c> columns, each contiguous along the
    /// depth: <c>packed[q·kc·panel + p·panel + jj] = b(pc + p, jc + q·panel + jj)</c>, zero past column <paramref name="n"/>.
    /// </summary>
    private static void PackB<TSimd, T>(ref T packed, ref T b, int pc, int kc, int jc, int nc, int n, int bDepthStride, int bColumnStride)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TSimd.Count, panel = 2 * w;
        int fullPanels = bColumnStride == 1 ? nc / panel : 0;
        if (fullPanels > 0)
        {
            // Rows of b are contiguous: each depth's row is read front to back (one stream for the prefetcher, not a
            // column of cache lines per panel) and dealt out two registers per panel.
            for (int p = 0; p < kc; p++)
            {
                ref T source = ref Unsafe.Add(ref b, (nint)(pc + p) * bDepthStride + jc);
                ref T destination = ref Unsafe.Add(ref packed, p * panel);
                for (int q = 0; q < fullPanels; q++)
                {
                    TSimd.Store(TSimd.Load(ref source, (nuint)(q * panel)), ref destination, (nuint)(q * panel * kc));
                    TSimd.Store(TSimd.Load(ref source, (nuint)(q * panel + w)), ref destination, (nuint)(q * panel * kc + w));
                }
            }
        }
        for (int jr = fullPanels * panel; jr < nc; jr += panel)
        {
            ref T destination = ref Unsafe.Add(ref packed, (nint)jr * kc);
            int columns = Math.Min(panel, nc - jr);
            int j = jc + jr;
            int q0 = 0;
            if (bDepthStride == 1)
            {
                // b = Wᵀ, columns contiguous along the depth: eight (then four) columns at a time, so that each
                // depth's values land side by side in the panel.
                if (typeof(T) == typeof(float) && Avx.IsSupported)
                {
                    for (; q0 + 8 <= columns; q0 += 8)
                    {
                        ref float column0 = ref Unsafe.As<T, float>(ref Unsafe.Add(ref b, (nint)(j + q0) * bColumnStride + pc));
                        ref float target = ref Unsafe.As<T, float>(ref Unsafe.Add(ref destination, q0));
                        int p = Transpose8x8(ref target, panel, ref column0, bColumnStride, kc);
                        for (; p < kc; p++)
                        {
                            for (int q = 0; q < 8; q++)
                                Unsafe.Add(ref target, p * panel + q) = Unsafe.Add(ref column0, (nint)q * bColumnStride + p);
                        }
                    }
                }
                for (; q0 + 4 <= columns; q0 += 4)
                {
                    ref T column0 = ref Unsafe.Add(ref b, (nint)(j + q0) * bColumnStride + pc);
                    ref T column1 = ref Unsafe.Add(ref column0, bColumnStride);
                    ref T column2 = ref Unsafe.Add(ref column1, bColumnStride);
                    ref T column3 = ref Unsafe.Add(ref column2, bColumnStride);
                    ref T target = ref Unsafe.Add(ref destination, q0);
                    int p = 0;
                    if (typeof(T) == typeof(float) && Sse.IsSupported)
                        p = Transpose4x4(ref Unsafe.As<T, float>(ref target), panel, ref Unsafe.As<T, float>(ref column0), ref Unsafe.As<T, float>(ref column1),
                            ref Unsafe.As<T, float>(ref column2), ref Unsafe.As<T, float>(ref column3), kc);
                    for (; p < kc; p++)
                    {
                        ref T at = ref Unsafe.Add(ref target, p * panel);
                        at = Unsafe.Add(ref column0, p);
                        Unsafe.Add(ref at, 1) = Unsafe.Add(ref column1, p);
                        Unsafe.Add(ref at, 2) = Unsafe.Add(ref column2, p);
                        Unsafe.Add(ref at, 3) = Unsafe.Add(ref column3, p);
                    }
                }
            }
            // The rest of a partial panel, one column at a time.
            for (int q = q0; q < panel; q++)
            {
                if (q < columns)
                {
                    ref T column = ref Unsafe.Add(ref b, (nint)(j + q) * bColumnStride + (nint)pc * bDepthStride);
                    for (int p = 0; p < kc; p++)
                        Unsafe.Add(ref destination, p * panel + q) = Unsafe.Add(ref column, (nint)p * bDepthStride);
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                        Unsafe.Add(ref destination, p * panel + q) = T.Zero;
                }
            }
        }
    }

    /// <summary>
    /// Four columns of <c>b</c>, each contiguous along the depth, into four adjacent lanes of a panel row per depth,
    /// 4 × 4 at a time in registers (W4's 256 × 1024 × 1024 forward product: 3.04 ms with a scalar transpose, 2.96 ms).
    /// Returns the first depth left for the caller, <c>kc − kc % 4</c>.
    /// </summary>
    private static int Transpose4x4(ref float target, int panel, ref float column0, ref float column1, ref float column2, ref float column3, int kc)
    {
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            Vector128<float> r0 = Vector128.LoadUnsafe(ref column0, (nuint)p), r1 = Vector128.LoadUnsafe(ref column1, (nuint)p);
            Vector128<float> r2 = Vector128.LoadUnsafe(ref column2, (nuint)p), r3 = Vector128.LoadUnsafe(ref column3, (nuint)p);
            Vector128<float> low01 = Sse.UnpackLow(r0, r1), low23 = Sse.UnpackLow(r2, r3);
            Vector128<float> high01 = Sse.UnpackHigh(r0, r1), high23 = Sse.UnpackHigh(r2, r3);
            ref float at = ref Unsafe.Add(ref target, p * panel);
            Sse.MoveLowToHigh(low01, low23).StoreUnsafe(ref at);
            Sse.MoveHighToLow(low23, low01).StoreUnsafe(ref at, (nuint)panel);
            Sse.MoveLowToHigh(high01, high23).StoreUnsafe(ref at, (nuint)(2 * panel));
            Sse.MoveHighToLow(high23, high01).StoreUnsafe(ref at, (nuint)(3 * panel));
        }
        return p;
    }

    /// <summary>
    /// Eight columns of <c>b</c> (<paramref name="columnStride"/> apart, each contiguous along the depth) into eight
    /// adjacent lanes of a panel row per depth, 8 × 8 at a time in AVX registers: half the shuffles per value of
    /// <see cref="Transpose4x4"/>, and twice the width per load and store. Returns the first depth left for the caller,
    /// <c>kc − kc % 8</c>.
    /// </summary>
    private static int Transpose8x8(ref float target, int panel, ref float column0, int columnStride, int kc)
    {
        ref float column4 = ref Unsafe.Add(ref column0, 4 * (nint)columnStride);
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            Vector256<float> r0 = Vector256.LoadUnsafe(ref column0, (nuint)p), r1 = Vector256.LoadUnsafe(ref column0, (nuint)(columnStride + p));
            Vector256<float> r2 = Vector256.LoadUnsafe(ref column0, (nuint)(2 * columnStride + p)), r3 = Vector256.LoadUnsafe(ref column0, (nuint)(3 * columnStride + p));
            Vector256<float> r4 = Vector256.LoadUnsafe(ref column4, (nuint)p), r5 = Vector256.LoadUnsafe(ref column4, (nuint)(columnStride + p));
            Vector256<float> r6 = Vector256.LoadUnsafe(ref column4, (nuint)(2 * columnStride + p)), r7 = Vector256.LoadUnsafe(ref column4, (nuint)(3 * columnStride + p));
            // Pairs of columns interleaved, then pairs of pairs: each 128-bit half then holds four columns at one depth.
            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5), t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            ref float at = ref Unsafe.Add(ref target, p * panel);
            Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref at);
            Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref at, (nuint)panel);
            Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref at, (nuint)(2 * panel));
            Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref at, (nuint)(3 * panel));
            Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref at, (nuint)(4 * panel));
            Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref at, (nuint)(5 * panel));
            Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref at, (nuint)(6 * panel));
            Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref at, (nuint)(7 * panel));
        }
        return p;
    }

    /// <summary>
    /// The activation epilogue over a micro-tile just stored (still in L1): <see cref="Epilogue.Relu"/> stores
    /// <c>activation = max(c, 0)</c> and returns the count of <c>c ≤ 0</c>, as <see cref="Relu.Forward{T}"/> computes and
    /// counts; <see cref="Epilogue.ReluGradient"/> rewrites <c>c = activation &gt; 0 ? c : 0</c>, as
    /// <see cref="Relu.Backward{T}"/> does with <c>activation</c> the pre-activation or the output, and returns 0.
    /// </summary>
    private static int ActivationTile<TSimd, T>(ref T activation, ref T c, int ldc, int rows, Epilogue epilogue)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TSimd.Count, dead = 0;
        for (int r = 0; r < rows; r++)
        {
            nuint at = (nuint)(r * ldc);
            TSimd value0 = TSimd.Load(ref c, at), value1 = TSimd.Load(ref c, at + (nuint)w);
            if (epilogue == Epilogue.ReluGradient)
            {
                TSimd.Store(TSimd.SelectGreaterThan(TSimd.Load(ref activation, at), TSimd.Zero, value0, TSimd.Zero), ref c, at);
                TSimd.Store(TSimd.SelectGreaterThan(TSimd.Load(ref activation, at + (nuint)w), TSimd.Zero, value1, TSimd.Zero), ref c, at + (nuint)w);
                continue;
            }
            TSimd.Store(TSimd.Max(value0, TSimd.Zero), ref activation, at);
            TSimd.Store(TSimd.Max(value1, TSimd.Zero), ref activation, at + (nuint)w);
            dead += TSimd.CountLessThanOrEqual(value0, TSimd.Zero) + TSimd.CountLessThanOrEqual(value1, TSimd.Zero);
        }
        return dead;
    }

    /// <summary>
    /// One micro-tile: <c>TileRows × 2</c> registers of <c>c</c> over depth <paramref name="kc"/>, from rows of <c>a</c>
    /// (in place, or a tile packed by <see cref="PackA{T}"/>; rows past <paramref name="rows"/> clamped to the last,
    /// computed and not stored) and one packed panel of <c>b</c>. Stores <c>c (+)= acc (+ bias)</c>; returns <c>Σ</c> of
    /// the stored values squared when <paramref name="sumSquares"/>. Not inlined: compiled on its own, its loop keeps
    /// all twelve accumulators in registers whatever the caller around it looks like.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe double MicroTile<TSimd, T>(ref T c, int ldc, int rows, ref T a, int aRowStride, int aDepthStride, ref T bPanel, int kc,
        bool accumulate, ref T bias, bool addBias, bool sumSquares)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TSimd.Count;
        // The tile of c is read (or written) only after the depth loop: ask for its lines now, so that they arrive from
        // L2 or L3 while the loop runs instead of stalling the stores. Each line a row touches: one every 64 bytes, and
        // the one holding its last byte. A prefetch is a hint: an address the GC has since moved costs nothing.
        if (Sse.IsSupported)
        {
            int rowBytes = 2 * w * sizeof(T);
            byte* line = (byte*)Unsafe.AsPointer(ref c);
            for (int r = 0; r < rows; r++, line += (nint)ldc * sizeof(T))
            {
                for (int offset = 0; offset < rowBytes; offset += 64)
                    Sse.Prefetch0(line + offset);
                Sse.Prefetch0(line + rowBytes - 1);
            }
        }
        ref T a0 = ref a;
        ref T a1 = ref Unsafe.Add(ref a, (nint)Math.Min(1, rows - 1) * aRowStride);
        ref T a2 = ref Unsafe.Add(ref a, (nint)Math.Min(2, rows - 1) * aRowStride);
        ref T a3 = ref Unsafe.Add(ref a, (nint)Math.Min(3, rows - 1) * aRowStride);
        ref T a4 = ref Unsafe.Add(ref a, (nint)Math.Min(4, rows - 1) * aRowStride);
        ref T a5 = ref Unsafe.Add(ref a, (nint)Math.Min(5, rows - 1) * aRowStride);
        TSimd c00 = TSimd.Zero, c01 = TSimd.Zero, c10 = TSimd.Zero, c11 = TSimd.Zero, c20 = TSimd.Zero, c21 = TSimd.Zero;
        TSimd c30 = TSimd.Zero, c31 = TSimd.Zero, c40 = TSimd.Zero, c41 = TSimd.Zero, c50 = TSimd.Zero, c51 = TSimd.Zero;
        ref T bp = ref bPanel;
        nint ap = 0, depthStride = aDepthStride;
        for (int p = 0; p < kc; p++)
        {
            TSimd y0 = TSimd.Load(ref bp, 0);
            TSimd y1 = TSimd.Load(ref bp, (nuint)w);
            TSimd x = TSimd.Broadcast(Unsafe.Add(ref a0, ap));
            TSimd.MultiplyAccumulate(ref c00, x, y0); TSimd.MultiplyAccumulate(ref c01, x, y1);
            x = TSimd.Broadcast(Unsafe.Add(ref a1, ap));
            TSimd.MultiplyAccumulate(ref c10, x, y0); TSimd.MultiplyAccumulate(ref c11, x, y1);
            x = TSimd.Broadcast(Unsafe.Add(ref a2, ap));
            TSimd.MultiplyAccumulate(ref c20, x, y0); TSimd.MultiplyAccumulate(ref c21, x, y1);
            x = TSimd.Broadcast(Unsafe.Add(ref a3, ap));
            TSimd.MultiplyAccumulate(ref c30, x, y0); TSimd.MultiplyAccumulate(ref c31, x, y1);
            x = TSimd.Broadcast(Unsafe.Add(ref a4, ap));
            TSimd.MultiplyAccumulate(ref c40, x, y0); TSimd.MultiplyAccumulate(ref c41, x, y1);
            x = TSimd.Broadcast(Unsafe.Add(ref a5, ap));
            TSimd.MultiplyAccumulate(ref c50, x, y0); TSimd.MultiplyAccumulate(ref c51, x, y1);
            bp = ref Unsafe.Add(ref bp, 2 * w);
            ap += depthStride;
        }

        TSimd sq = TSimd.Zero;
        TSimd bias0 = addBias ? TSimd.Load(ref bias, 0) : TSimd.Zero, bias1 = addBias ? TSimd.Load(ref bias, (nuint)w) : TSimd.Zero;
        ref T row = ref c;
        StoreTileRow(ref row, c00 + bias0, c01 + bias1, w, accumulate, sumSquares, ref sq);
        if (rows > 1) { row = ref Unsafe.Add(ref row, ldc); StoreTileRow(ref row, c10 + bias0, c11 + bias1, w, accumulate, sumSquares, ref sq); }
        if (rows > 2) { row = ref Unsafe.Add(ref row, ldc); StoreTileRow(ref row, c20 + bias0, c21 + bias1, w, accumulate, sumSquares, ref sq); }
        if (rows > 3) { row = ref Unsafe.Add(ref row, ldc); StoreTileRow(ref row, c30 + bias0, c31 + bias1, w, accumulate, sumSquares, ref sq); }
        if (rows > 4) { row = ref Unsafe.Add(ref row, ldc); StoreTileRow(ref row, c40 + bias0, c41 + bias1, w, accumulate, sumSquares, ref sq); }
        if (rows > 5) { row = ref Unsafe.Add(ref row, ldc); StoreTileRow(ref row, c50 + bias0, c51 + bias1, w, accumulate, sumSquares, ref sq); }
        return sumSquares ? double.CreateTruncating(TSimd.Sum(sq)) : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTileRow<TSimd, T>(ref T row, TSimd value0, TSimd value1, int w, bool accumulate, bool sumSquares, ref TSimd squares)
        where TSimd : struct, ISimd<TSimd, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        StorePanel(ref row, value0, 0, accumulate, sumSquares, ref squares);
        StorePanel(ref row, value1, (nuint)w, accumulate, sumSquares, ref squares);
    }

    internal static void CheckShape(int m, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
    }

    internal static void CheckLength(int length, int rows, int columns, string parameterName, string shapeNames)
    {
        long expected = (long)rows * columns;
        if (expected > int.MaxValue)
            throw new ArgumentException($"Shape {shapeNames} = ({rows}, {columns}) has more than int.MaxValue elements.", parameterName);
        if (length != expected) // the message is built only on failure: no allocation per step
            Guard.Length(length, (int)expected, $"{shapeNames} = ({rows}, {columns})", parameterName);
    }
}

/// <summary>What the packed product does to each micro-tile of <c>c</c> once its last depth block is stored.</summary>
internal enum Epilogue
{
    /// <summary>Nothing.</summary>
    None,

    /// <summary><c>activation = max(c, 0)</c>, counting <c>c ≤ 0</c>: a ReLU layer's forward.</summary>
    Relu,

    /// <summary><c>c = activation &gt; 0 ? c : 0</c> with <c>activation</c> the ReLU's pre-activation or output: the input gradient carried back through it.</summary>
    ReluGradient,
}
