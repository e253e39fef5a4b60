namespace ChainRule.Serialization;

/// <summary>
/// The element types of the safetensors format, spelled as in its header (<c>"F32"</c>, <c>"BF16"</c>, ...).
/// </summary>
/// <remarks>
/// Every type the format defines is recognized so that a file's layout can be validated whatever it holds;
/// <see cref="SafeTensorsFile.CopyTo{T}"/> converts only <see cref="F16"/>, <see cref="BF16"/>, <see cref="F32"/>
/// and <see cref="F64"/>.
/// </remarks>
public enum SafeTensorsDType
{
    /// <summary>Boolean, one byte.</summary>
    BOOL,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>8-bit float, 5 exponent bits and 2 mantissa bits.</summary>
    F8_E5M2,
    /// <summary>8-bit float, 4 exponent bits and 3 mantissa bits.</summary>
    F8_E4M3,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Unsigned 16-bit integer.</summary>
    U16,
    /// <summary>IEEE 754 binary16.</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of an IEEE 754 binary32.</summary>
    BF16,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Unsigned 32-bit integer.</summary>
    U32,
    /// <summary>IEEE 754 binary32.</summary>
    F32,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
    /// <summary>IEEE 754 binary64.</summary>
    F64,
}

internal static class SafeTensorsDTypes
{
    public static int SizeOf(SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.BOOL or SafeTensorsDType.U8 or SafeTensorsDType.I8 or SafeTensorsDType.F8_E5M2 or SafeTensorsDType.F8_E4M3 => 1,
        SafeTensorsDType.I16 or SafeTensorsDType.U16 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => 2,
        SafeTensorsDType.I32 or SafeTensorsDType.U32 or SafeTensorsDType.F32 => 4,
        _ => 8,
    };

    /// <summary>The header's spelling is exact (case-sensitive), as in the reference implementation.</summary>
    public static bool TryParse(string text, out SafeTensorsDType dtype)
    {
        switch (text)
        {
            case "BOOL": dtype = SafeTensorsDType.BOOL; return true;
            case "U8": dtype = SafeTensorsDType.U8; return true;
            case "I8": dtype = SafeTensorsDType.I8; return true;
            case "F8_E5M2": dtype = SafeTensorsDType.F8_E5M2; return true;
            case "F8_E4M3": dtype = SafeTensorsDType.F8_E4M3; return true;
            case "I16": dtype = SafeTensorsDType.I16; return true;
            case "U16": dtype = SafeTensorsDType.U16; return true;
            case "F16": dtype = SafeTensorsDType.F16; return true;
            case "BF16": dtype = SafeTensorsDType.BF16; return true;
            case "I32": dtype = SafeTensorsDType.I32; return true;
            case "U32": dtype = SafeTensorsDType.U32; return true;
            case "F32": dtype = SafeTensorsDType.F32; return true;
            case "I64": dtype = SafeTensorsDType.I64; return true;
            case "U64": dtype = SafeTensorsDType.U64; return true;
            case "F64": dtype = SafeTensorsDType.F64; return true;
            default: dtype = default; return false;
        }
    }
}
