using System;
using System.Globalization;
using System.IO;
using System.Runtime.Intrinsics.X86;

namespace ChainRule.Kernels;

/// <summary>
/// The data caches one core sees, in bytes (0 where nothing answered), and where the numbers came from. Read once at
/// start-up by <see cref="Detect"/>; <see cref="GemmBlocking.Derive"/> turns them into the matrix product's block sizes.
/// </summary>
/// <remarks>
/// Sizes are per cache instance as the hardware reports them: an L2 shared by two hyperthreads or by a cluster of cores,
/// or an L3 shared by the whole socket, is taken at its full size.
/// </remarks>
internal readonly record struct CacheSizes(long L1Data, long L2, long L3, string? Source)
{
    /// <summary>L1d assumed when nothing answers: 32 KB, the smallest L1d of any x64 core of the last fifteen years.</summary>
    public const long FallbackL1Data = 32 * 1024;

    /// <summary>L2 assumed when nothing answers: 256 KB, the smallest per-core L2 of current x64 cores (Skylake client).</summary>
    public const long FallbackL2 = 256 * 1024;

    /// <summary>
    /// Linux's <c>/sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}</c> (any architecture, and what a
    /// hypervisor chose to expose); else x86 CPUID, leaf 4 on Intel and 0x8000001D (or the older 0x80000005/6) on AMD
    /// and Hygon; each level that neither answers stays 0, and <see cref="GemmBlocking.Derive"/> then uses
    /// <see cref="FallbackL1Data"/> and <see cref="FallbackL2"/>. No reflection, so Native AOT reads the same numbers.
    /// </summary>
    public static CacheSizes Detect()
    {
        CacheSizes sysfs = OperatingSystem.IsLinux() ? FromSysfs("/sys/devices/system/cpu/cpu0/cache") : default;
        CacheSizes cpuid = sysfs.L1Data > 0 && sysfs.L2 > 0 && sysfs.L3 > 0 ? default : FromCpuid();
        long l1 = sysfs.L1Data > 0 ? sysfs.L1Data : cpuid.L1Data;
        long l2 = sysfs.L2 > 0 ? sysfs.L2 : cpuid.L2;
        long l3 = sysfs.L3 > 0 ? sysfs.L3 : cpuid.L3;
        string source = (sysfs.Source, cpuid.Source) switch
        {
            (null, null) => "none (fallbacks)",
            (string s, null) => s,
            (null, string c) => c,
            (string s, string c) => s + " + " + c,
        };
        return new CacheSizes(l1, l2, l3, source);
    }

    /// <summary>The data and unified caches listed under <paramref name="directory"/> (a Linux <c>cpuN/cache</c> folder); default if none.</summary>
    internal static CacheSizes FromSysfs(string directory)
    {
        long l1 = 0, l2 = 0, l3 = 0;
        try
        {
            for (int index = 0; index < 16; index++)
            {
                string folder = Path.Combine(directory, "index" + index.ToString(CultureInfo.InvariantCulture));
                if (!Directory.Exists(folder))
                    break;
                string type = File.ReadAllText(Path.Combine(folder, "type")).Trim();
                if (type == "Instruction")
                    continue;
                if (!int.TryParse(File.ReadAllText(Path.Combine(folder, "level")).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int level))
                    continue;
                long size = ParseSize(File.ReadAllText(Path.Combine(folder, "size")));
                switch (level)
                {
                    case 1: l1 = size; break;
                    case 2: l2 = size; break;
                    case 3: l3 = size; break;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // A container may hide part of sysfs: what was read so far stands, CPUID fills the rest.
        }
        return l1 > 0 || l2 > 0 || l3 > 0 ? new CacheSizes(l1, l2, l3, "sysfs") : default;
    }

    /// <summary>A sysfs size such as <c>32K</c>, <c>1024K</c> or <c>32M</c>, in bytes; 0 if unreadable.</summary>
    internal static long ParseSize(string text)
    {
        ReadOnlySpan<char> span = text.AsSpan().Trim();
        long unit = 1;
        if (span.Length > 0 && char.ToUpperInvariant(span[^1]) is 'K' or 'M' or 'G')
        {
            unit = char.ToUpperInvariant(span[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, _ => 1L << 30 };
            span = span[..^1];
        }
        return long.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0 ? value * unit : 0;
    }

    /// <summary>The caches CPUID describes, or default off x86 or when it describes none.</summary>
    internal static CacheSizes FromCpuid() => X86Base.IsSupported ? FromCpuid(X86Base.CpuId) : default;

    /// <summary>The caches a CPUID instruction, <paramref name="cpuid"/>(leaf, sub-leaf), describes, or default when it describes none.</summary>
    internal static CacheSizes FromCpuid(Func<int, int, (int Eax, int Ebx, int Ecx, int Edx)> cpuid)
    {
        (int maxLeaf, int vendor0, int vendor2, int vendor1) = cpuid(0, 0);
        // "GenuineIntel" is EBX "Genu", EDX "ineI", ECX "ntel"; AMD and Hygon describe caches in the extended leaves.
        bool intel = vendor0 == 0x756E6547 && vendor1 == 0x49656E69 && vendor2 == 0x6C65746E;
        long l1 = 0, l2 = 0, l3 = 0;
        if (intel && maxLeaf >= 4)
            ReadDeterministicLeaf(cpuid, 4, ref l1, ref l2, ref l3);
        int maxExtended = cpuid(unchecked((int)0x80000000), 0).Eax;
        bool topologyExtensions = maxExtended >= unchecked((int)0x80000001) && (cpuid(unchecked((int)0x80000001), 0).Ecx & (1 << 22)) != 0;
        if (!intel && topologyExtensions && maxExtended >= unchecked((int)0x8000001D))
            ReadDeterministicLeaf(cpuid, unchecked((int)0x8000001D), ref l1, ref l2, ref l3);
        if (!intel && l1 == 0 && maxExtended >= unchecked((int)0x80000006))
        {
            // AMD's legacy descriptors: L1d KB in ECX[31:24] of 0x80000005; L2 KB in ECX[31:16], L3 in 512 KB units in EDX[31:18] of 0x80000006.
            l1 = (long)((uint)cpuid(unchecked((int)0x80000005), 0).Ecx >> 24) << 10;
            (_, _, int ecx, int edx) = cpuid(unchecked((int)0x80000006), 0);
            l2 = (long)((uint)ecx >> 16) << 10;
            l3 = (long)((uint)edx >> 18) << 19;
        }
        return l1 > 0 || l2 > 0 || l3 > 0 ? new CacheSizes(l1, l2, l3, "cpuid") : default;
    }

    /// <summary>
    /// Intel's leaf 4 and AMD's 0x8000001D share one layout per sub-leaf: EAX[4:0] the type (0 ends the list, 2 is an
    /// instruction cache), EAX[7:5] the level; size = ways (EBX[31:22] + 1) × partitions (EBX[21:12] + 1) × line
    /// (EBX[11:0] + 1) × sets (ECX + 1).
    /// </summary>
    private static void ReadDeterministicLeaf(Func<int, int, (int Eax, int Ebx, int Ecx, int Edx)> cpuid, int leaf, ref long l1, ref long l2, ref long l3)
    {
        for (int subLeaf = 0; subLeaf < 16; subLeaf++)
        {
            (int eax, int ebx, int ecx, _) = cpuid(leaf, subLeaf);
            int type = eax & 0x1F;
            if (type == 0)
                break;
            if (type == 2)
                continue;
            long size = ((long)((uint)ebx >> 22) + 1) * ((((uint)ebx >> 12) & 0x3FF) + 1) * ((ebx & 0xFFF) + 1) * ((long)(uint)ecx + 1);
            switch ((eax >> 5) & 0x7)
            {
                case 1: l1 = size; break;
                case 2: l2 = size; break;
                case 3: l3 = size; break;
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"L1d {Kilobytes(L1Data)}, L2 {Kilobytes(L2)}, L3 {Kilobytes(L3)} ({Source})");

    private static string Kilobytes(long bytes) => bytes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes >> 10} KB") : "unknown";
}
