using System;
using System.IO;
using ChainRule.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Tests.Kernels;

/// <summary>
/// The matrix product's cache blocks as a pure function of a machine's caches and vector width, at the numbers of the
/// machines the kernels have run on, and the start-up detection that feeds it.
/// </summary>
public class GemmBlockingTests(ITestOutputHelper log)
{
    private const long K = 1024, M = 1024 * 1024;

    public static TheoryData<string, long, long, long, int, int, int, int, int> Machines() => new()
    {
        // machine, L1d, L2, L3, vector bits → depth, column, row block, L1-resident block bytes
        { "Zen 5, AVX-512", 48 * K, 1 * M, 32 * M, 512, 288, GemmBlocking.MaxColumnBlock, 450, 32 * 1024 },
        { "EPYC Zen 3, AVX2", 32 * K, 512 * K, 32 * M, 256, 384, GemmBlocking.MaxColumnBlock, 168, 21845 },
        { "Xeon, AVX-512, 2 MB L2", 48 * K, 2 * M, 105 * M, 512, 288, GemmBlocking.MaxColumnBlock, GemmBlocking.MaxRowBlock, 32 * 1024 },
        { "2 MB L3, AVX2", 32 * K, 256 * K, 2 * M, 256, 384, 320, 84, 21845 },
        { "no L3, AVX2", 32 * K, 512 * K, 0, 256, 384, 64, 168, 21845 },
        { "no cache information, AVX2", 0, 0, 0, 256, 384, 32, 84, 21845 },
        { "no cache information, AVX-512", 0, 0, 0, 512, 192, 64, 168, 21845 },
        { "no cache information, SSE", 0, 0, 0, 128, GemmBlocking.MaxDepthBlock, 32, 60, 21845 },
    };

    [Theory]
    [MemberData(nameof(Machines))]
    public void Blocks_follow_the_caches_and_the_vector_width(string machine, long l1, long l2, long l3, int bits,
        int depthBlock, int columnBlock, int rowBlock, int smallBlockBytes)
    {
        GemmBlocking blocking = GemmBlocking.Derive(new CacheSizes(l1, l2, l3, "test"), bits);
        log.WriteLine($"{machine}: {blocking}");
        Assert.Equal((depthBlock, columnBlock, rowBlock, smallBlockBytes),
            (blocking.DepthBlock, blocking.ColumnBlock, blocking.RowBlock, blocking.SmallPackedBlockBytes));
        CheckInvariants(blocking, l1 > 0 ? l1 : CacheSizes.FallbackL1Data, l2 > 0 ? l2 : CacheSizes.FallbackL2, l3, bits);
    }

    [Fact]
    public void The_live_blocking_is_the_derivation_at_this_machines_caches_and_width()
    {
        GemmBlocking live = GemmBlocking.Current;
        log.WriteLine(live.ToString());
        Assert.Equal(GemmBlocking.HardwareVectorBits(), live.VectorBits);
        Assert.Equal(GemmBlocking.Derive(CacheSizes.Detect(), GemmBlocking.HardwareVectorBits()), live);
        Assert.Equal((live.DepthBlock, live.ColumnBlock, live.RowBlock, live.SmallPackedBlockBytes),
            (Gemm.DepthBlock, Gemm.ColumnBlock, Gemm.RowBlock, Gemm.SmallPackedBlockBytes));
        CheckInvariants(live, live.Caches.L1Data > 0 ? live.Caches.L1Data : CacheSizes.FallbackL1Data,
            live.Caches.L2 > 0 ? live.Caches.L2 : CacheSizes.FallbackL2, live.Caches.L3, live.VectorBits);
    }

    [Fact]
    public void The_width_is_512_only_where_Vector512_is_accelerated()
    {
        int expected = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? 512
            : System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? 256
            : System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated ? 128 : 32;
        Assert.Equal(expected, GemmBlocking.HardwareVectorBits());
    }

    [Fact]
    public void Wider_registers_and_smaller_caches_give_smaller_blocks()
    {
        var caches = new CacheSizes(32 * K, 512 * K, 0, "test");
        Assert.True(GemmBlocking.Derive(caches, 512).DepthBlock < GemmBlocking.Derive(caches, 256).DepthBlock);
        var smallerL2 = caches with { L2 = 256 * K };
        Assert.True(GemmBlocking.Derive(smallerL2, 256).RowBlock < GemmBlocking.Derive(caches, 256).RowBlock);
        Assert.True(GemmBlocking.Derive(smallerL2, 256).ColumnBlock <= GemmBlocking.Derive(caches, 256).ColumnBlock);
        // L3 sizes the block of b alone, and only where it is larger than L2.
        GemmBlocking withoutL3 = GemmBlocking.Derive(caches, 256), withL3 = GemmBlocking.Derive(caches with { L3 = 8 * M }, 256);
        Assert.True(withL3.ColumnBlock > withoutL3.ColumnBlock);
        Assert.Equal(withoutL3 with { Caches = default, ColumnBlock = 0 }, withL3 with { Caches = default, ColumnBlock = 0 });
        Assert.Equal(withoutL3 with { Caches = default }, GemmBlocking.Derive(caches with { L3 = 512 * K }, 256) with { Caches = default });
    }

    // The panel swept by every row tile fits 3/4 of L1d; a block of a half of L2 and a packed block of b a quarter of L2 or of L3, in floats.
    private static void CheckInvariants(GemmBlocking blocking, long l1, long l2, long l3, int bits)
    {
        long panelBytes = (long)blocking.DepthBlock * 2 * (bits / 8);
        Assert.True(panelBytes <= l1 * 3 / 4 || blocking.DepthBlock == 64, $"panel {panelBytes} B against L1d {l1} B");
        Assert.True(blocking.DepthBlock <= GemmBlocking.MaxDepthBlock && blocking.DepthBlock % 16 == 0);
        Assert.True((long)blocking.RowBlock * blocking.DepthBlock * sizeof(float) <= l2 / 2, "block of Aᵀ in half of L2");
        Assert.True((long)blocking.ColumnBlock * blocking.DepthBlock * sizeof(float) <= Math.Max(l2, l3) / 4 || blocking.ColumnBlock == 32, "block of b in a quarter of L2 or of L3");
        Assert.True(blocking.RowBlock % Gemm.TileRows == 0 && blocking.RowBlock <= GemmBlocking.MaxRowBlock);
        Assert.True(blocking.ColumnBlock % 32 == 0 && blocking.ColumnBlock <= GemmBlocking.MaxColumnBlock);
        Assert.True(blocking.SmallPackedBlockBytes <= l1);
    }

    [Fact]
    public void Sysfs_sizes_are_read_per_level_skipping_instruction_caches()
    {
        string root = Path.Combine(Path.GetTempPath(), "chainrule-sysfs-" + Guid.NewGuid().ToString("N"));
        try
        {
            WriteIndex(root, 0, "1", "Data", "48K");
            WriteIndex(root, 1, "1", "Instruction", "64K");
            WriteIndex(root, 2, "2", "Unified", "2048K");
            WriteIndex(root, 3, "3", "Unified", "105M\n");
            Assert.Equal(new CacheSizes(48 * K, 2 * M, 105 * M, "sysfs"), CacheSizes.FromSysfs(root));
            Assert.Equal(default, CacheSizes.FromSysfs(Path.Combine(root, "missing")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        static void WriteIndex(string root, int index, string level, string type, string size)
        {
            string folder = Path.Combine(root, "index" + index);
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "level"), level + "\n");
            File.WriteAllText(Path.Combine(folder, "type"), type + "\n");
            File.WriteAllText(Path.Combine(folder, "size"), size);
        }
    }

    [Theory]
    [InlineData("32K", 32 * K)]
    [InlineData("512K\n", 512 * K)]
    [InlineData("32M", 32 * M)]
    [InlineData("1G", 1024 * M)]
    [InlineData("65536", 65536)]
    [InlineData("", 0)]
    [InlineData("-4K", 0)]
    [InlineData("lots", 0)]
    public void Sysfs_sizes_parse_with_their_unit(string text, long bytes) => Assert.Equal(bytes, CacheSizes.ParseSize(text));

    [Fact]
    public void Detection_answers_on_this_machine_as_sysfs_and_cpuid_do()
    {
        CacheSizes detected = CacheSizes.Detect();
        log.WriteLine(detected.ToString());
        CacheSizes cpuid = CacheSizes.FromCpuid();
        log.WriteLine("CPUID alone: " + cpuid);
        CacheSizes sysfs = OperatingSystem.IsLinux() ? CacheSizes.FromSysfs("/sys/devices/system/cpu/cpu0/cache") : default;
        if (sysfs.L1Data > 0)
            Assert.Equal(sysfs.L1Data, detected.L1Data);
        else if (cpuid.L1Data > 0)
            Assert.Equal(cpuid.L1Data, detected.L1Data);
        else
            Assert.Equal(0, detected.L1Data);
        if (sysfs.L2 > 0)
            Assert.Equal(sysfs.L2, detected.L2);
        else
            Assert.Equal(cpuid.L2, detected.L2);
    }

    // CPUID as three kinds of x86 answer it, so that every path of the decoding runs whatever this machine is: each
    // fake also answers the leaves its vendor's path must not read with sizes of its own, which would show if it did.
    private const int Data = 1, Instruction = 2, Unified = 3;
    private const int Genu = 0x756E6547, IneI = 0x49656E69, Ntel = 0x6C65746E, Auth = 0x68747541, Enti = 0x69746E65, CAmd = 0x444D4163;

    /// <summary>A deterministic-cache sub-leaf (Intel's leaf 4, AMD's 0x8000001D): type, level, ways × 64-byte lines × sets.</summary>
    private static (int, int, int, int) Cache(int type, int level, int ways, int sets) => (type | level << 5, (ways - 1) << 22 | 63, sets - 1, 0);

    private static Func<int, int, (int Eax, int Ebx, int Ecx, int Edx)> Cpu(params (int Leaf, int SubLeaf, (int, int, int, int) Registers)[] answers) =>
        (leaf, subLeaf) =>
        {
            foreach (var answer in answers)
                if (answer.Leaf == leaf && answer.SubLeaf == subLeaf)
                    return answer.Registers;
            return (0, 0, 0, 0);
        };

    private static readonly int Extended = unchecked((int)0x80000000), Features = unchecked((int)0x80000001), LegacyL1 = unchecked((int)0x80000005),
        LegacyL2L3 = unchecked((int)0x80000006), AmdCaches = unchecked((int)0x8000001D);

    [Fact]
    public void Cpuid_on_intel_reads_leaf_4_and_skips_the_instruction_cache()
    {
        var intel = Cpu((0, 0, (0x1F, Genu, Ntel, IneI)),
            (4, 0, Cache(Data, 1, 12, 64)), (4, 1, Cache(Instruction, 1, 8, 64)), (4, 2, Cache(Unified, 2, 16, 2048)), (4, 3, Cache(Unified, 3, 15, 32768)),
            (Extended, 0, (unchecked((int)0x80000008), 0, 0, 0)), (LegacyL2L3, 0, (0, 0, 1024 << 16, 0)));
        Assert.Equal(new CacheSizes(48 * K, 2 * M, 30 * M, "cpuid"), CacheSizes.FromCpuid(intel));
    }

    [Fact]
    public void Cpuid_on_amd_with_topology_extensions_reads_leaf_8000001D_not_the_legacy_descriptors()
    {
        var amd = Cpu((0, 0, (0x10, Auth, CAmd, Enti)),
            (Extended, 0, (unchecked((int)0x80000021), 0, 0, 0)), (Features, 0, (0, 0, 1 << 22, 0)),
            (AmdCaches, 0, Cache(Data, 1, 8, 64)), (AmdCaches, 1, Cache(Instruction, 1, 8, 64)), (AmdCaches, 2, Cache(Unified, 2, 8, 2048)),
            (AmdCaches, 3, Cache(Unified, 3, 16, 32768)),
            (LegacyL1, 0, (0, 0, 64 << 24, 0)), (LegacyL2L3, 0, (0, 0, 256 << 16, 8 << 18)));
        Assert.Equal(new CacheSizes(32 * K, 1 * M, 32 * M, "cpuid"), CacheSizes.FromCpuid(amd));
    }

    [Fact]
    public void Cpuid_on_amd_without_topology_extensions_decodes_the_legacy_descriptors()
    {
        // The highest extended leaf is exactly the legacy L2/L3 descriptor's.
        var amd = Cpu((0, 0, (0x10, Auth, CAmd, Enti)),
            (Extended, 0, (LegacyL2L3, 0, 0, 0)), (Features, 0, (0, 0, 0, 0)),
            (LegacyL1, 0, (0, 0, 64 << 24, 0)), (LegacyL2L3, 0, (0, 0, 512 << 16, 12 << 18)));
        Assert.Equal(new CacheSizes(64 * K, 512 * K, 6 * M, "cpuid"), CacheSizes.FromCpuid(amd));
    }

    [Fact]
    public void Cpuid_describing_no_cache_gives_nothing()
        => Assert.Equal(default, CacheSizes.FromCpuid(Cpu((0, 0, (0x10, Auth, CAmd, Enti)))));
}
