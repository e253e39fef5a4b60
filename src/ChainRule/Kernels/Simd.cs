using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ChainRule.Kernels;

/// <summary>
/// One SIMD register of <typeparamref name="T"/>, abstracted so that a kernel's loop is written once and the JIT
/// specializes it per width: <see cref="Simd512{T}"/>, <see cref="Simd256{T}"/>, <see cref="Simd128{T}"/> and
/// <see cref="Scalar{T}"/> (one lane, used for tails and on hardware without vector units).
/// </summary>
/// <remarks>
/// <c>ISimdVector</c> exists in .NET 10, but <c>Vector256&lt;T&gt;</c> cannot be used through it as a
/// constraint, and it has no scalar form, so the kernels use this small interface instead.
/// Loads and stores are unchecked: callers validate span lengths first.
/// </remarks>
internal interface ISimd<TSelf, T>
    where TSelf : struct, ISimd<TSelf, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>True when this width is accelerated on the current machine for <typeparamref name="T"/>.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>Number of lanes.</summary>
    static abstract int Count { get; }

    static abstract TSelf Zero { get; }

    static abstract TSelf One { get; }

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TSelf Broadcast(T value);

    /// <summary>Lanes <c>source[offset .. offset + Count)</c>.</summary>
    static abstract TSelf Load(ref readonly T source, nuint offset);

    /// <summary>Writes the lanes to <c>destination[offset .. offset + Count)</c>.</summary>
    static abstract void Store(TSelf value, ref T destination, nuint offset);

    static abstract TSelf operator +(TSelf left, TSelf right);

    static abstract TSelf operator -(TSelf left, TSelf right);

    static abstract TSelf operator *(TSelf left, TSelf right);

    static abstract TSelf operator /(TSelf left, TSelf right);

    /// <summary>
    /// <c>a·b + addend</c>: one fused instruction where the CPU has FMA, a multiply and an add otherwise (a
    /// software-emulated fused operation would be orders of magnitude slower, e.g. under Native AOT's baseline ISA).
    /// </summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf addend);

    /// <summary>
    /// <c>accumulator = a·b + accumulator</c>, as <see cref="MultiplyAdd"/>. Written in place, the JIT keeps the
    /// accumulator's register as the instruction's destination (<c>vfmadd231</c>); assigned from a returned wrapper, it
    /// reuses a multiplicand's register on that value's last use and copies the result back, one extra move per
    /// accumulator in a micro-kernel's loop.
    /// </summary>
    static abstract void MultiplyAccumulate(ref TSelf accumulator, TSelf a, TSelf b);

    static abstract TSelf Sqrt(TSelf value);

    /// <summary>
    /// Per lane: <c>e^value</c>. Float lanes of a vector use <see cref="Simd.ExpSingle{TSimd}"/> (within 2 ulps, subnormal
    /// results kept); double lanes use the runtime's vectorized exponential, and the scalar form <c>T.Exp</c>.
    /// </summary>
    static abstract TSelf Exp(TSelf value);

    /// <summary>Per lane: <c>value</c> rounded to the nearest integer, ties to even.</summary>
    static abstract TSelf Round(TSelf value);

    /// <summary>
    /// Per lane: <c>2^exponent</c> for an integral <c>exponent</c> in the normal range (−126 … 127 for float), made by
    /// writing the exponent field; outside that range the result is meaningless, so callers clamp first.
    /// </summary>
    static abstract TSelf PowerOfTwo(TSelf exponent);

    /// <summary>Per lane: <c>|value|</c>.</summary>
    static abstract TSelf Abs(TSelf value);

    /// <summary>Per lane: <c>left &gt; right ? whenGreater : otherwise</c> (false for NaN, as in IEEE comparison).</summary>
    static abstract TSelf SelectGreaterThan(TSelf left, TSelf right, TSelf whenGreater, TSelf otherwise);

    /// <summary>Per lane: <c>max(left, right)</c> as IEEE 754:2019 <c>maximum</c> (NaN propagates, +0 above −0), like <c>TensorPrimitives.Max</c>.</summary>
    static abstract TSelf Max(TSelf left, TSelf right);

    /// <summary>Number of lanes with <c>left ≤ right</c> (NaN lanes are not counted, as in IEEE comparison).</summary>
    static abstract int CountLessThanOrEqual(TSelf left, TSelf right);

    /// <summary>Sum of the lanes.</summary>
    static abstract T Sum(TSelf value);

    /// <summary>The largest lane (NaN if any lane is NaN); for reducing a register once at the end of a loop.</summary>
    static abstract T MaxAcross(TSelf value);

    /// <summary>The first lane that is NaN or ±∞, or −1 when every lane is finite.</summary>
    static abstract int FirstNonFiniteLane(TSelf value);
}

/// <summary>A <see cref="Vector512{T}"/> register.</summary>
internal readonly struct Simd512<T> : ISimd<Simd512<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector512<T> _value;

    private Simd512(Vector512<T> value) => _value = value;

    public static bool IsSupported => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;
    public static int Count => Vector512<T>.Count;
    public static Simd512<T> Zero { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => new(Vector512<T>.Zero); }
    public static Simd512<T> One { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => new(Vector512<T>.One); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Broadcast(T value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Load(ref readonly T source, nuint offset) => new(Vector512.LoadUnsafe(in source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd512<T> value, ref T destination, nuint offset) => value._value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator +(Simd512<T> left, Simd512<T> right) => new(left._value + right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator -(Simd512<T> left, Simd512<T> right) => new(left._value - right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator *(Simd512<T> left, Simd512<T> right) => new(left._value * right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator /(Simd512<T> left, Simd512<T> right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> MultiplyAdd(Simd512<T> a, Simd512<T> b, Simd512<T> addend) => new(Fused(a._value, b._value, addend._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAccumulate(ref Simd512<T> accumulator, Simd512<T> a, Simd512<T> b) =>
        Unsafe.AsRef(in accumulator._value) = Fused(a._value, b._value, accumulator._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fused(Vector512<T> a, Vector512<T> b, Vector512<T> addend)
    {
        if (typeof(T) == typeof(float))
            return Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), addend.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), addend.AsDouble()).As<double, T>();
        return a * b + addend;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Sqrt(Simd512<T> value) => new(Vector512.Sqrt(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Exp(Simd512<T> value)
    {
        if (typeof(T) == typeof(float))
            return new(Simd.ExpSingle(new Simd512<float>(value._value.AsSingle()))._value.As<float, T>());
        if (typeof(T) == typeof(double))
            return new(Vector512.Exp(value._value.AsDouble()).As<double, T>());
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Round(Simd512<T> value)
    {
        if (typeof(T) == typeof(float))
            return new(Vector512.Round(value._value.AsSingle()).As<float, T>());
        if (typeof(T) == typeof(double))
            return new(Vector512.Round(value._value.AsDouble()).As<double, T>());
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> PowerOfTwo(Simd512<T> exponent)
    {
        // The exponent is integral and in range, so the platform's conversion (no saturation fix-up) is exact.
        if (typeof(T) == typeof(float))
            return new(((Vector512.ConvertToInt32Native(exponent._value.AsSingle()) + Vector512.Create(127)) << 23).As<int, T>());
        if (typeof(T) == typeof(double))
            return new(((Vector512.ConvertToInt64Native(exponent._value.AsDouble()) + Vector512.Create(1023L)) << 52).As<long, T>());
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Abs(Simd512<T> value) => new(Vector512.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> SelectGreaterThan(Simd512<T> left, Simd512<T> right, Simd512<T> whenGreater, Simd512<T> otherwise)
        => new(Vector512.ConditionalSelect(Vector512.GreaterThan(left._value, right._value), whenGreater._value, otherwise._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Max(Simd512<T> left, Simd512<T> right) => new(Vector512.Max(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountLessThanOrEqual(Simd512<T> left, Simd512<T> right)
        => BitOperations.PopCount(Vector512.ExtractMostSignificantBits(Vector512.LessThanOrEqual(left._value, right._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Simd512<T> value) => Vector512.Sum(value._value);

    public static T MaxAcross(Simd512<T> value)
    {
        T max = value._value.GetElement(0);
        for (int lane = 1; lane < Vector512<T>.Count; lane++)
            max = T.Max(max, value._value.GetElement(lane));
        return max;
    }

    public static int FirstNonFiniteLane(Simd512<T> value)
    {
        for (int lane = 0; lane < Vector512<T>.Count; lane++)
        {
            if (!T.IsFinite(value._value.GetElement(lane)))
                return lane;
        }
        return -1;
    }
}

/// <summary>A <see cref="Vector256{T}"/> register.</summary>
internal readonly struct Simd256<T> : ISimd<Simd256<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector256<T> _value;

    private Simd256(Vector256<T> value) => _value = value;

    public static bool IsSupported => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;
    public static int Count => Vector256<T>.Count;
    public static Simd256<T> Zero { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => new(Vector256<T>.Zero); }
    public static Simd256<T> One { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => new(Vector256<T>.One); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Broadcast(T value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Load(ref readonly T source, nuint offset) => new(Vector256.LoadUnsafe(in source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd256<T> value, ref T destination, nuint offset) => value._value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator +(Simd256<T> left, Simd256<T> right) => new(left._value + right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator -(Simd256<T> left, Simd256<T> right) => new(left._value - right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator *(Simd256<T> left, Simd256<T> right) => new(left._value * right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator /(Simd256<T> left, Simd256<T> right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> MultiplyAdd(Simd256<T> a, Simd256<T> b, Simd256<T> addend) => new(Fused(a._value, b._value, addend._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAccumulate(ref Simd256<T> accumulator, Simd256<T> a, Simd256<T> b) =>
        Unsafe.AsRef(in accumulator._value) = Fused(a._value, b._value, accumulator._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fused(Vector256<T> a, Vector256<T> b, Vector256<T> addend)
    {
        if (typeof(T) == typeof(float))
            return Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), addend.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), addend.AsDouble()).As<double, T>();
        return a * b + addend;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Sqrt(Simd256<T> value) => new(Vector256.Sqrt(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Exp(Simd256<T> value)
    {
        if (typeof(T) == typeof(float))
            return new(Simd.ExpSingle(new Simd256<float>(value._value.AsSingle()))._value.As<float, T>());
        if (typeof(T) == typeof(double))
            return new(Vector256.Exp(value._value.AsDouble()).As<double, T>());
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Round(Simd256<T> value)
    {
        if (typeof(T) == typeof(float))
            return new(Vector256.Round(value._value.AsSingle()).As<float, T>());
        if (typeof(T) == typeof(double))
            return new(Vector256.Round(value._value.AsDouble()).As<double, T>());
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> PowerOfTwo(Simd256<T> exponent)
    {
        // The exponent is integral and in range, so the platform's conversion (no saturation fix-up) is exact.
        if (typeof(T) == typeof(float))
            return new(((Vector256.ConvertToInt32Native(exponent._value.AsSingle()) + Vector256.Create(127)) << 23).As<int, T>());
        if (typeof(T) == typeof(double))
            return new(((Vector256.ConvertToInt64Native(exponent._value.AsDouble()) + Vector256.Create(1023L)) << 52).As<long, T>());
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Abs(Simd256<T> value) => new(Vector256.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> SelectGreaterThan(Simd256<T> left, Simd256<T> right, Simd256<T> whenGreater, Simd256<T> otherwise)
        => new(Vector256.ConditionalSelect(Vector256.GreaterThan(left._value, right._value), whenGreater._value, otherwise._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Max(Simd256<T> left, Simd256<T> right) => new(Vector256.Max(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountLessThanOrEqual(Simd256<T> left, Simd256<T> right)
        => BitOperations.PopCount(Vector256.ExtractMostSignificantBits(Vector256.LessThanOrEqual(left._value, right._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Simd256<T> value) => Vector256.Sum(value._value);

    public static T MaxAcross(Simd256<T> value)
    {
        T max = value._value.GetElement(0);
        for (int lane = 1; lane < Vector256<T>.Count; lane++)
            max = T.Max(max, value._value.GetElement(lane));
        return max;
    }

    public static int FirstNonFiniteLane(Simd256<T> value)
    {
        for (int lane = 0; lane < Vector256<T>.Count; lane++)
        {
            if (!T.IsFinite(value._value.GetElement(lane)))
                return lane;
        }
        return -1;
    }
}

/// <summary>A <see cref="Vector128{T}"/> register (SSE, or NEON on Arm).</summary>
internal readonly struct Simd128<T> : ISimd<Simd128<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector128<T> _value;

    private Simd128(Vector128<T> value) => _value = value;

    public static bool IsSupported => Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported;
    public static int Count => Vector128<T>.Count;
    public static Simd128<T> Zero { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => new(Vector128<T>.Zero); }
    public static Simd128<T> One { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => new(Vector128<T>.One); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Broadcast(T value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Load(ref readonly T source, nuint offset) => new(Vector128.LoadUnsafe(in source, offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Simd128<T> value, ref T destination, nuint offset) => value._value.StoreUnsafe(ref destination, offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> operator +(Simd128<T> left, Simd128<T> right) => new(left._value + right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> operator -(Simd128<T> left, Simd128<T> right) => new(left._value - right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> operator *(Simd128<T> left, Simd128<T> right) => new(left._value * right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> operator /(Simd128<T> left, Simd128<T> right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> MultiplyAdd(Simd128<T> a, Simd128<T> b, Simd128<T> addend) => new(Fused(a._value, b._value, addend._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAccumulate(ref Simd128<T> accumulator, Simd128<T> a, Simd128<T> b) =>
        Unsafe.AsRef(in accumulator._value) = Fused(a._value, b._value, accumulator._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<T> Fused(Vector128<T> a, Vector128<T> b, Vector128<T> addend)
    {
        if (typeof(T) == typeof(float))
            return Vector128.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), addend.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector128.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), addend.AsDouble()).As<double, T>();
        return a * b + addend;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Sqrt(Simd128<T> value) => new(Vector128.Sqrt(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Exp(Simd128<T> value)
    {
        if (typeof(T) == typeof(float))
            return new(Simd.ExpSingle(new Simd128<float>(value._value.AsSingle()))._value.As<float, T>());
        if (typeof(T) == typeof(double))
            return new(Vector128.Exp(value._value.AsDouble()).As<double, T>());
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Round(Simd128<T> value)
    {
        if (typeof(T) == typeof(float))
            return new(Vector128.Round(value._value.AsSingle()).As<float, T>());
        if (typeof(T) == typeof(double))
            return new(Vector128.Round(value._value.AsDouble()).As<double, T>());
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> PowerOfTwo(Simd128<T> exponent)
    {
        // The exponent is integral and in range, so the platform's conversion (no saturation fix-up) is exact.
        if (typeof(T) == typeof(float))
            return new(((Vector128.ConvertToInt32Native(exponent._value.AsSingle()) + Vector128.Create(127)) << 23).As<int, T>());
        if (typeof(T) == typeof(double))
            return new(((Vector128.ConvertToInt64Native(exponent._value.AsDouble()) + Vector128.Create(1023L)) << 52).As<long, T>());
        throw new NotSupportedException();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Abs(Simd128<T> value) => new(Vector128.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> SelectGreaterThan(Simd128<T> left, Simd128<T> right, Simd128<T> whenGreater, Simd128<T> otherwise)
        => new(Vector128.ConditionalSelect(Vector128.GreaterThan(left._value, right._value), whenGreater._value, otherwise._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Max(Simd128<T> left, Simd128<T> right) => new(Vector128.Max(left._value, right._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int CountLessThanOrEqual(Simd128<T> left, Simd128<T> right)
        => BitOperations.PopCount(Vector128.ExtractMostSignificantBits(Vector128.LessThanOrEqual(left._value, right._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Simd128<T> value) => Vector128.Sum(value._value);

    public static T MaxAcross(Simd128<T> value)
    {
        T max = value._value.GetElement(0);
        for (int lane = 1; lane < Vector128<T>.Count; lane++)
            max = T.Max(max, value._value.GetElement(lane));
        return max;
    }

    public static int FirstNonFiniteLane(Simd128<T> value)
    {
        for (int lane = 0; lane < Vector128<T>.Count; lane++)
        {
            if (!T.IsFinite(value._value.GetElement(lane)))
                return lane;
        }
        return -1;
    }
}

/// <summary>One lane: the tail of every loop, and the whole loop where no vector width is accelerated.</summary>
internal readonly struct Scalar<T> : ISimd<Scalar<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _value;

    private Scalar(T value) => _value = value;

    public static bool IsSupported => true;
    public static int Count => 1;
    public static Scalar<T> Zero { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => new(T.Zero); }
    public static Scalar<T> One { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => new(T.One); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Broadcast(T value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Load(ref readonly T source, nuint offset) => new(Unsafe.Add(ref Unsafe.AsRef(in source), offset));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Scalar<T> value, ref T destination, nuint offset) => Unsafe.Add(ref destination, offset) = value._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> operator +(Scalar<T> left, Scalar<T> right) => new(left._value + right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> operator -(Scalar<T> left, Scalar<T> right) => new(left._value - right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> operator *(Scalar<T> left, Scalar<T> right) => new(left._value * right._value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> operator /(Scalar<T> left, Scalar<T> right) => new(left._value / right._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> MultiplyAdd(Scalar<T> a, Scalar<T> b, Scalar<T> addend) => new(T.MultiplyAddEstimate(a._value, b._value, addend._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAccumulate(ref Scalar<T> accumulator, Scalar<T> a, Scalar<T> b) =>
        Unsafe.AsRef(in accumulator._value) = MultiplyAdd(a, b, accumulator)._value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Sqrt(Scalar<T> value) => new(T.Sqrt(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Exp(Scalar<T> value) => new(T.Exp(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Round(Scalar<T> value) => new(T.Round(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> PowerOfTwo(Scalar<T> exponent) => new(T.ScaleB(T.One, int.CreateTruncating(exponent._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Abs(Scalar<T> value) => new(T.Abs(value._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> SelectGreaterThan(Scalar<T> left, Scalar<T> right, Scalar<T> whenGreater, Scalar<T> otherwise)
        => left._value > right._value ? whenGreater : otherwise;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Scalar<T> Max(Scalar<T> left, Scalar<T> right) => new(T.Max(left._value, right._value));

    public static int CountLessThanOrEqual(Scalar<T> left, Scalar<T> right) => left._value <= right._value ? 1 : 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Scalar<T> value) => value._value;

    public static T MaxAcross(Scalar<T> value) => value._value;

    public static int FirstNonFiniteLane(Scalar<T> value) => T.IsFinite(value._value) ? -1 : 0;
}

/// <summary>
/// A loop body written once over <see cref="ISimd{TSelf, T}"/>: <see cref="Run{TSimd}"/> processes whole registers of
/// <c>TSimd</c> from <c>start</c> and returns where it stopped; <see cref="Simd.Run{TLoop, T}"/> calls it at every
/// accelerated width, widest first, and finally with one lane, which finishes the range. State that outlives one
/// width (a running sum, say) lives in the loop's fields; registers are reduced into it before returning.
/// </summary>
internal interface IVectorLoop<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    int Run<TSimd>(int start, int end)
        where TSimd : struct, ISimd<TSimd, T>;
}

internal static class Simd
{
    // Cody–Waite split of ln 2: LnTwoHigh has 9 significant bits, so n·LnTwoHigh is exact for |n| < 2^15 even without
    // FMA, and x − n·LnTwoHigh is exact by Sterbenz (x and n·LnTwoHigh are within a factor of 2 for n ≠ 0).
    private const float LnTwoHigh = 0.693359375f;
    private const float LnTwoLow = -2.12194440e-4f;
    private const float LogTwoOfE = 1.44269504088896341f;

    // e^−104 < 2^−150 rounds to +0 and e^89 > float.MaxValue rounds to +∞ through the two-step scaling below, so
    // clamping to this range keeps n within −150 … 128 (each half within −75 … 64, normal) and leaves every result,
    // including ±∞ inputs, what it should be; NaN passes the clamp unchanged and propagates.
    private const float ExpLowest = -104f;
    private const float ExpHighest = 89f;

    /// <summary>
    /// Per float lane: <c>e^x = 2^n·e^r</c> with <c>n = round(x·log₂e)</c> and <c>r = x − n·ln 2</c> (Cody–Waite, two
    /// constants), <c>e^r</c> by its degree-7 Taylor polynomial, and <c>2^n</c> applied as <c>2^⌊n/2⌉·2^(n−⌊n/2⌉)</c>
    /// so that results down to 2^−149 come out subnormal, correctly rounded from <c>e^r</c>, instead of flushed to zero.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The runtime's <c>Vector256.Exp</c> on float lanes widens to double, evaluates there and narrows back; staying in
    /// single precision at full width saves that, and GELU and the recurrent gates spend much of their time here.
    /// </para>
    /// <para>
    /// Error bound (|r| ≤ ln 2/2 + a rounding of n, so |r| &lt; 0.347): the Taylor remainder is at most
    /// r⁸/8!·e^|r| ≈ 7.6e−9 relative (0.13 ulp of the result in the worst binade); rounding r to float adds at most
    /// 2^−26 absolute in r, so relative in e^r (at most 0.25 ulp); Horner in float with FMA rounds once per step, the
    /// last step (1 + r·q) contributing 0.5 ulp and the earlier ones, scaled by |r| &lt; 0.35 at each level, about
    /// 0.45 ulp together. The scaling by 2^n is exact for normal results and rounds once more (0.5 ulp of the subnormal
    /// spacing) below 2^−126. Total below 1.4 ulps with FMA; without FMA the Horner steps round twice, which stays below
    /// 2. ExpTests measures 0.91 ulps (AVX2 with FMA) over a sweep of [−104, 89], 0.85 over the subnormal results.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TSimd ExpSingle<TSimd>(TSimd x)
        where TSimd : struct, ISimd<TSimd, float>
    {
        TSimd highest = TSimd.Broadcast(ExpHighest);
        x = TSimd.Max(x, TSimd.Broadcast(ExpLowest));
        x = TSimd.SelectGreaterThan(x, highest, highest, x);

        TSimd n = TSimd.Round(x * TSimd.Broadcast(LogTwoOfE));
        TSimd r = TSimd.MultiplyAdd(n, TSimd.Broadcast(-LnTwoHigh), x);
        r = TSimd.MultiplyAdd(n, TSimd.Broadcast(-LnTwoLow), r);

        TSimd p = TSimd.Broadcast(1f / 5040);
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(1f / 720));
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(1f / 120));
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(1f / 24));
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(1f / 6));
        p = TSimd.MultiplyAdd(p, r, TSimd.Broadcast(0.5f));
        p = TSimd.MultiplyAdd(p, r, TSimd.One);
        p = TSimd.MultiplyAdd(p, r, TSimd.One);

        // 2^n itself is not a normal float for n = 128 or n < −126; its two halves always are.
        TSimd firstHalf = TSimd.Round(n * TSimd.Broadcast(0.5f));
        return p * TSimd.PowerOfTwo(firstHalf) * TSimd.PowerOfTwo(n - firstHalf);
    }

    /// <summary>Runs <paramref name="loop"/> over <c>[0, length)</c>: the widest width first, one lane for the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TLoop, T>(ref TLoop loop, int length)
        where TLoop : IVectorLoop<T>, allows ref struct
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Simd512<T>.IsSupported) i = loop.Run<Simd512<T>>(i, length);
        if (Simd256<T>.IsSupported) i = loop.Run<Simd256<T>>(i, length);
        if (Simd128<T>.IsSupported) i = loop.Run<Simd128<T>>(i, length);
        loop.Run<Scalar<T>>(i, length);
    }
}
