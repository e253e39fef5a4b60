using System;
using System.Globalization;

namespace ChainRule.Kernels;

/// <summary>
/// The packed matrix product's cache blocks, in elements, derived from one machine's caches and vector width by
/// <see cref="Derive"/>; <see cref="Current"/> is this machine's, computed once at start-up.
/// </summary>
/// <param name="DepthBlock">Largest depth <c>kc</c> of a packed block of <c>b</c> (depths are split into equal blocks up to it).</param>
/// <param name="ColumnBlock">Columns <c>nc</c> of a packed block of <c>b</c>, a multiple of every width's panel (32 elements).</param>
/// <param name="RowBlock">Rows <c>mc</c> of a block of <c>a</c> (packed when it is an <c>Aᵀ</c>), a multiple of <see cref="Gemm.TileRows"/>.</param>
/// <param name="SmallPackedBlockBytes">A packed block of <c>b</c> up to this size is swept row tile by row tile, as it stays in L1 meanwhile.</param>
/// <param name="VectorBits">The register width the sizes were derived for.</param>
/// <param name="Caches">The caches they were derived from.</param>
internal readonly record struct GemmBlocking(int DepthBlock, int ColumnBlock, int RowBlock, int SmallPackedBlockBytes, int VectorBits, CacheSizes Caches)
{
    /// <summary>Upper bound of <see cref="DepthBlock"/>: the depth at which an extra pass over <c>c</c> per block stops costing anything measurable.</summary>
    public const int MaxDepthBlock = 512;

    /// <summary>Upper bound of <see cref="ColumnBlock"/>: past it, packing <c>Aᵀ</c> again per column block costs under 0.2% of the multiply-adds.</summary>
    public const int MaxColumnBlock = 512;

    /// <summary>Upper bound of <see cref="RowBlock"/>.</summary>
    public const int MaxRowBlock = 516;

    private const int MinDepthBlock = 64;
    private const int PanelColumnMultiple = 32;

    /// <summary>This machine's blocking: <see cref="CacheSizes.Detect"/> and the widest accelerated register, read once.</summary>
    public static GemmBlocking Current { get; } = Derive(CacheSizes.Detect(), HardwareVectorBits());

    /// <summary>512 only when <c>Vector512</c> is hardware-accelerated, else 256, 128, or 32 (one float lane): the width the packed path runs at.</summary>
    public static int HardwareVectorBits() =>
        Simd512<float>.IsSupported ? 512 : Simd256<float>.IsSupported ? 256 : Simd128<float>.IsSupported ? 128 : 32;

    /// <summary>
    /// Block sizes for caches <paramref name="caches"/> (a 0 size takes <see cref="CacheSizes.FallbackL1Data"/> or
    /// <see cref="CacheSizes.FallbackL2"/>) and registers of <paramref name="vectorBits"/> bits, counted in float
    /// elements: the precision that runs at speed. Double, used by the gradient checks, takes the same counts at twice
    /// the bytes.
    /// </summary>
    /// <remarks>
    /// The loops are BLIS's (Low et al., "Analytical modeling is enough for high-performance BLIS", 2016): for each
    /// depth block and each column block, <c>b</c> is packed once into panels of <c>2·Count</c> columns; then for each
    /// row block (<c>a</c> packed first when it is an <c>Aᵀ</c>) each panel is swept by every 6-row micro-tile of the
    /// block before the next, so each level keeps one operand:
    /// <list type="bullet">
    /// <item>L1 holds the panel being swept, <c>kc × 2</c> registers, reused by every row tile; beside it stream six rows of
    /// <c>a</c> (<c>6·kc</c> floats, read once per tile) and the tile of <c>c</c>. Give the panel 3/4 of L1d and leave a
    /// quarter to those streams: <c>kc = ¾·L1d / (2·vector bytes)</c>, a multiple of 16 (a cache line of floats). A
    /// deeper block means fewer passes over <c>c</c> (each depth block reloads and stores every tile), a shallower one a
    /// panel that survives the streams; 32 KB with AVX2 gives 384, so a depth of 1024 is three blocks of 342.</item>
    /// <item>L2 holds the block of <c>a</c> that every panel sweeps again (<c>mc × kc</c>: a packed <c>Aᵀ</c>, or the rows
    /// of a row-major <c>a</c> read in place). Half of L2 for it, the rest for the panel coming in and the tiles of
    /// <c>c</c> and the epilogue's operand passing through: <c>mc = ½·L2 / (kc·4)</c> rounded down to whole micro-tiles
    /// (and a product's rows are then split into equal blocks up to it).</item>
    /// <item>L3 holds the packed block of <c>b</c>, <c>kc × nc</c>, each of its panels read once per row block:
    /// <c>nc = ¼·L3 / (kc·4)</c> (a quarter, as the L3 is shared by every core), or <c>¼·L2 / (kc·4)</c> where that is
    /// larger or no L3 answers, rounded down to whole panels of every width. The wider the block, the fewer times
    /// <c>Aᵀ</c> is packed (once per column block).</item>
    /// <item>A packed block of <c>b</c> small enough to stay in L1 with the streams (up to ⅔·L1d; a depth of a few dozen,
    /// as behind a logits layer) is swept row tile by row tile instead, so that <c>c</c> streams row after row.</item>
    /// </list>
    /// The micro-tile itself (6 rows × 2 registers, 12 accumulators) is fixed by the 16 vector registers of AVX2, and
    /// AVX-512 runs the same tile. Bounds: <c>kc</c> in [64, <see cref="MaxDepthBlock"/>], <c>nc</c> in [32,
    /// <see cref="MaxColumnBlock"/>], <c>mc</c> in [6, <see cref="MaxRowBlock"/>].
    /// </remarks>
    public static GemmBlocking Derive(CacheSizes caches, int vectorBits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vectorBits, 32);
        long l1 = caches.L1Data > 0 ? caches.L1Data : CacheSizes.FallbackL1Data;
        long l2 = caches.L2 > 0 ? caches.L2 : CacheSizes.FallbackL2;
        long panelBytesPerDepth = 2L * (vectorBits / 8);
        int depth = (int)Math.Clamp(l1 * 3 / 4 / panelBytesPerDepth / 16 * 16, MinDepthBlock, MaxDepthBlock);
        long depthBytes = (long)depth * sizeof(float);
        int rows = (int)Math.Clamp(l2 / 2 / depthBytes / Gemm.TileRows * Gemm.TileRows, Gemm.TileRows, MaxRowBlock);
        long columnBudget = Math.Max(l2 / 4, caches.L3 / 4);
        int columns = (int)Math.Clamp(columnBudget / depthBytes / PanelColumnMultiple * PanelColumnMultiple, PanelColumnMultiple, MaxColumnBlock);
        int smallBlock = (int)Math.Min(l1 * 2 / 3, int.MaxValue);
        return new GemmBlocking(depth, columns, rows, smallBlock, vectorBits, caches);
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Caches}, {VectorBits}-bit vectors: depth block {DepthBlock}, column block {ColumnBlock}, row block {RowBlock}, L1-resident block up to {SmallPackedBlockBytes} B");
}
