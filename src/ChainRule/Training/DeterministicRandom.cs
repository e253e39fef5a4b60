using System;

namespace ChainRule.Training;

/// <summary>
/// A small, fast, seedable generator — xoshiro256** (Blackman and Vigna 2018) seeded through SplitMix64 — whose
/// sequence depends only on <c>(seed, stream)</c>, identically on every machine and runtime (normals up to the
/// rounding of <see cref="Math.Log(double)"/>). Each layer draws from its own stream, so adding a layer does not
/// shift the values the others receive.
/// </summary>
/// <remarks>A mutable struct: pass it by <see langword="ref"/>, or copies will repeat the same values.</remarks>
public struct DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spareNormal;
    private bool _hasSpareNormal;

    /// <summary>Starts the sequence for <paramref name="seed"/> and <paramref name="stream"/>.</summary>
    /// <param name="seed">The model's seed.</param>
    /// <param name="stream">An independent stream per consumer, e.g. the layer index.</param>
    public DeterministicRandom(int seed, int stream)
    {
        // SplitMix64 from one 64-bit value that holds both: distinct (seed, stream) pairs give unrelated states.
        ulong state = ((ulong)(uint)seed << 32) | (uint)stream;
        _s0 = SplitMix64(ref state);
        _s1 = SplitMix64(ref state);
        _s2 = SplitMix64(ref state);
        _s3 = SplitMix64(ref state);
        _spareNormal = 0;
        _hasSpareNormal = false;
    }

    /// <summary>The next 64 uniformly distributed bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in <c>[0, 1)</c> from the top 53 bits: <c>(bits &gt;&gt; 11) · 2⁻⁵³</c>.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>
    /// A standard normal sample, by Marsaglia's polar method: it needs only <c>log</c> and <c>sqrt</c>, so it does
    /// not depend on a platform's <c>sin</c>/<c>cos</c>. Samples come in pairs; the second is kept for the next call.
    /// </summary>
    public double NextNormal()
    {
        if (_hasSpareNormal)
        {
            _hasSpareNormal = false;
            return _spareNormal;
        }
        double u, v, s;
        do
        {
            u = 2.0 * NextDouble() - 1.0;
            v = 2.0 * NextDouble() - 1.0;
            s = u * u + v * v;
        }
        while (s >= 1.0 || s == 0.0);
        double factor = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spareNormal = v * factor;
        _hasSpareNormal = true;
        return u * factor;
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
