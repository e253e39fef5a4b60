namespace ChainRule.Generators.Model;

// These mirror the runtime enums in src/ChainRule/Attributes.cs value for value: the generator reads the
// attribute arguments as integers and must not load the runtime assembly. A test keeps the two in step.

internal enum ActivationKind
{
    Identity = 0,
    Sigmoid = 1,
    Tanh = 2,
    ReLU = 3,
    LeakyReLU = 4,
    Gelu = 5,
    Silu = 6,
}

internal enum LossKind
{
    SoftmaxCrossEntropy = 0,
    MeanSquaredError = 1,
    BinaryCrossEntropyWithLogits = 2,
}

internal enum InitKind
{
    Default = 0,
    HeNormal = 1,
    HeUniform = 2,
    XavierNormal = 3,
    XavierUniform = 4,
    LeCunNormal = 5,
    LeCunUniform = 6,
    Orthogonal = 7,
    Zeros = 8,
}

internal enum PrecisionKind
{
    Float = 0,
    Double = 1,
}

internal enum NormKind
{
    LayerNorm = 0,
    RMSNorm = 1,
    BatchNorm = 2,
}

internal enum NormPlacementKind
{
    Pre = 0,
    Post = 1,
}
