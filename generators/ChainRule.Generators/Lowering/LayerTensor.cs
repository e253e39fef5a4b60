namespace ChainRule.Generators.Lowering;

/// <summary>Where a <see cref="LayerTensor"/> lives and what a checkpoint calls it.</summary>
internal enum TensorStore
{
    /// <summary>In the parameter buffer, with a gradient beside it.</summary>
    Parameter,

    /// <summary>In the running-statistics buffer (BatchNorm's running mean and variance).</summary>
    Statistic,

    /// <summary>BatchNorm's <c>num_batches_tracked</c> counter; its <see cref="LayerTensor.Offset"/> is its index in the model's counters.</summary>
    BatchesTracked,
}

/// <summary>
/// One tensor a layer stores, as the parts of the generated file that treat every tensor alike read it: checkpoints
/// (its PyTorch name and shape), adaptive clipping (a matrix's rows are its units; a vector is one unit), the split
/// step's gradient segments, the gradients cleared before a backward pass, and each layer's first offset.
/// </summary>
/// <param name="Name">The checkpoint name, as in PyTorch's <c>state_dict()</c>: <c>Hidden.weight</c>, <c>Body.3.norm.bias</c>.</param>
/// <param name="Rows">A matrix's rows (output units); 0 for a vector.</param>
/// <param name="Columns">A matrix's columns (inputs), or a vector's length.</param>
/// <param name="NameIndex">The layer it belongs to in <see cref="NetworkPlan.LayerNames"/>; −1 for one the report does not name (ReZero's α).</param>
/// <param name="Accumulates">Whether the backward kernels add into its gradient, which must then start from zero, rather than overwrite it.</param>
internal sealed record LayerTensor(TensorStore Store, string Name, int Offset, int Rows, int Columns, int NameIndex, bool Accumulates)
{
    public bool IsMatrix => Rows > 0;

    public int Length => IsMatrix ? Rows * Columns : Columns;

    public static LayerTensor Matrix(string name, int offset, int rows, int columns, int nameIndex) =>
        new(TensorStore.Parameter, name, offset, rows, columns, nameIndex, Accumulates: false);

    public static LayerTensor Vector(string name, int offset, int length, int nameIndex, bool accumulates) =>
        new(TensorStore.Parameter, name, offset, 0, length, nameIndex, accumulates);
}
