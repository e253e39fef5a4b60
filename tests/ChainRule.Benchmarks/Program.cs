using System;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Running;
using ChainRule.Benchmarks;
using ChainRule.Kernels;

// `--machine`: what the kernels derived on this machine, for peer/compare.py's table header.
if (args is ["--machine"])
{
    Console.WriteLine($"runtime: {RuntimeInformation.FrameworkDescription} {RuntimeInformation.ProcessArchitecture}");
    Console.WriteLine($"blocking: {GemmBlocking.Current}");
    Console.WriteLine($"peak: {PeakFma.VectorBits}-bit FMA");
    return;
}

if (args is ["generator-timing", ..])
{
    GeneratorBenchmarks.PrintTiming(args.Length > 1 ? args[1] : null);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
