using System;
using System.Collections.Generic;
using System.Reflection;
using ChainRule.Kernels;
using Xunit.Sdk;

namespace ChainRule.Tests.Kernels;

/// <summary>
/// One theory row per SIMD width (512, 256, 128 bits, or 0 for the scalar form) and element type. A width this CPU (or
/// the runtime's <c>DOTNET_EnableAVX512F=0</c>-style switches) does not accelerate is reported skipped, so a run on a
/// machine without AVX-512 says what it did not test instead of passing it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class SimdWidthAttribute : DataAttribute
{
    private readonly int _bits;
    private readonly string _element;

    public SimdWidthAttribute(int bits, string element)
    {
        _bits = bits;
        _element = element;
        if (!IsSupported(SimdType(bits, element)))
            Skip = $"{bits}-bit vectors of {element} are not accelerated on this machine";
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[_bits, _element]];

    /// <summary>Calls <c>owner.method&lt;TSimd, T&gt;(arguments)</c> for the row's width and element type.</summary>
    public static void Invoke(Type owner, string method, int bits, string element, params object[] arguments)
    {
        Type simd = SimdType(bits, element);
        MethodInfo generic = owner.GetMethod(method, BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(simd, ElementType(element));
        generic.Invoke(null, BindingFlags.DoNotWrapExceptions, null, arguments, null);
    }

    private static Type ElementType(string element) => element == "float" ? typeof(float) : typeof(double);

    private static Type SimdType(int bits, string element)
    {
        Type open = bits switch { 512 => typeof(Simd512<>), 256 => typeof(Simd256<>), 128 => typeof(Simd128<>), _ => typeof(Scalar<>) };
        return open.MakeGenericType(ElementType(element));
    }

    private static bool IsSupported(Type simd) => (bool)simd.GetProperty("IsSupported", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
}
