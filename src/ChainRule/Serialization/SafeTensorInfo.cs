using System.Collections.Generic;

namespace ChainRule.Serialization;

/// <summary>One tensor's entry in a safetensors header, validated against the file it came from.</summary>
/// <param name="Name">The tensor's name, e.g. <c>Hidden.weight</c>.</param>
/// <param name="DType">Its element type.</param>
/// <param name="Shape">Its dimensions, row-major; empty for a scalar.</param>
/// <param name="ElementCount">The product of <paramref name="Shape"/> (1 for a scalar, 0 if any dimension is 0).</param>
/// <param name="DataBegin">Its first byte, relative to the byte buffer that follows the header.</param>
/// <param name="DataEnd">One past its last byte, relative to the same buffer.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorsDType DType, IReadOnlyList<long> Shape, long ElementCount, long DataBegin, long DataEnd);
