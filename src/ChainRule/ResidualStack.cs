using System;

namespace ChainRule;

/// <summary>
/// A typed view of a <c>[Residual]</c> stack: <see cref="Count"/> blocks laid out one after another in the model's
/// buffers, each <c>[norm γ, β][up W, b][down W, b][α]</c>. Reading it allocates nothing.
/// </summary>
/// <typeparam name="T">The model's element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
public readonly struct ResidualStack<T>
{
    private readonly string[] _names;
    private readonly int _firstName;
    private readonly T[] _parameters;
    private readonly T[] _gradients;
    private readonly T[] _statistics;
    private readonly int _offset;
    private readonly int _statisticsOffset;

    /// <summary>Creates a view of a stack whose first block starts at <paramref name="offset"/>.</summary>
    /// <param name="names">The model's layer names; block <c>i</c>'s norm, up and down layers are at <c>firstName + 3i</c>, <c>+1</c>, <c>+2</c>.</param>
    /// <param name="firstName">Index in <paramref name="names"/> of the first block's norm.</param>
    /// <param name="parameters">The model's parameter buffer.</param>
    /// <param name="gradients">The model's gradient buffer.</param>
    /// <param name="statistics">The model's running-statistics buffer (used by BatchNorm blocks).</param>
    /// <param name="offset">Offset of the first block's γ.</param>
    /// <param name="statisticsOffset">Offset of the first block's running mean (BatchNorm blocks only).</param>
    /// <param name="count">Number of blocks.</param>
    /// <param name="width">The residual stream's width.</param>
    /// <param name="hidden">The branch's hidden width.</param>
    /// <param name="norm">The blocks' normalization kind.</param>
    /// <param name="reZero">Whether each block has a learnable branch scale α.</param>
    /// <exception cref="ArgumentNullException">The names or a buffer is null.</exception>
    /// <exception cref="ArgumentException">The parameter and gradient buffers' lengths differ.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The norm is undefined, a size is not positive, or the blocks' names, parameters or running statistics do not lie
    /// inside their buffers at the given offsets.
    /// </exception>
    public ResidualStack(string[] names, int firstName, T[] parameters, T[] gradients, T[] statistics, int offset, int statisticsOffset,
        int count, int width, int hidden, Norm norm, bool reZero)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(statistics);
        ViewBounds.SameLength(parameters.Length, gradients.Length);
        ViewBounds.Defined(norm, nameof(norm));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        if (!ViewBounds.Fits(3L * count, firstName, names.Length))
            throw ViewBounds.OutsideBuffer(3L * count, firstName, names.Length, $"A stack of {count} blocks", "names", nameof(firstName));
        // In 64 bits: the block size of a wide stack overflows an int before any buffer could hold it.
        long parameterCount = count * ((norm == Norm.RMSNorm ? width : 2L * width) + 2L * hidden * width + hidden + width + (reZero ? 1 : 0));
        if (!ViewBounds.Fits(parameterCount, offset, parameters.Length))
            throw ViewBounds.OutsideBuffer(parameterCount, offset, parameters.Length, $"A stack of {count} blocks", "parameters", nameof(offset));
        if (norm == Norm.BatchNorm)
            if (!ViewBounds.Fits(2L * width * count, statisticsOffset, statistics.Length))
                throw ViewBounds.OutsideBuffer(2L * width * count, statisticsOffset, statistics.Length, $"A stack of {count} BatchNorm blocks", "running statistics (mean, variance)", nameof(statisticsOffset));
        _names = names;
        _firstName = firstName;
        _parameters = parameters;
        _gradients = gradients;
        _statistics = statistics;
        _offset = offset;
        _statisticsOffset = statisticsOffset;
        Count = count;
        Width = width;
        Hidden = hidden;
        Norm = norm;
        ReZero = reZero;
    }

    /// <summary>Number of blocks.</summary>
    public int Count { get; }

    /// <summary>The residual stream's width.</summary>
    public int Width { get; }

    /// <summary>The branch's hidden width.</summary>
    public int Hidden { get; }

    /// <summary>The blocks' normalization kind.</summary>
    public Norm Norm { get; }

    /// <summary>Whether each block scales its branch by a learnable α.</summary>
    public bool ReZero { get; }

    /// <summary>Parameters in one block.</summary>
    public int ParametersPerBlock => NormParameters + Hidden * Width + Hidden + Width * Hidden + Width + (ReZero ? 1 : 0);

    private int NormParameters => Norm == Norm.RMSNorm ? Width : 2 * Width;

    /// <summary>Block <paramref name="index"/>, from 0.</summary>
    public ResidualBlock<T> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            int start = _offset + index * ParametersPerBlock;
            int up = start + NormParameters;
            int down = up + Hidden * Width + Hidden;
            int scale = down + Width * Hidden + Width;
            int name = _firstName + 3 * index;
            return new ResidualBlock<T>(
                new NormLayer<T>(_names[name], Norm, _parameters, _gradients, _statistics, start, _statisticsOffset + index * 2 * Width, Width),
                new DenseLayer<T>(_names[name + 1], _parameters, _gradients, up, Width, Hidden),
                new DenseLayer<T>(_names[name + 2], _parameters, _gradients, down, Hidden, Width),
                ReZero ? _parameters.AsMemory(scale, 1) : Memory<T>.Empty,
                ReZero ? _gradients.AsMemory(scale, 1) : Memory<T>.Empty);
        }
    }
}

/// <summary>One block of a <see cref="ResidualStack{T}"/>: its normalization, its branch's two dense layers and its scale.</summary>
/// <typeparam name="T">The model's element type.</typeparam>
public readonly struct ResidualBlock<T>
{
    private readonly Memory<T> _scale;
    private readonly Memory<T> _scaleGradient;

    internal ResidualBlock(NormLayer<T> norm, DenseLayer<T> up, DenseLayer<T> down, Memory<T> scale, Memory<T> scaleGradient)
    {
        Norm = norm;
        Up = up;
        Down = down;
        _scale = scale;
        _scaleGradient = scaleGradient;
    }

    /// <summary>The block's normalization.</summary>
    public NormLayer<T> Norm { get; }

    /// <summary>The branch's first dense layer, width → hidden, with the activation.</summary>
    public DenseLayer<T> Up { get; }

    /// <summary>The branch's second dense layer, hidden → width.</summary>
    public DenseLayer<T> Down { get; }

    /// <summary>The branch scale α, one element; empty unless the stack was declared with ReZero.</summary>
    public Span<T> Scale => _scale.Span;

    /// <summary><c>∂loss/∂α</c>, one element; empty unless ReZero.</summary>
    public Span<T> ScaleGradient => _scaleGradient.Span;
}
