using BenchmarkDotNet.Running;
using ChainRule.Benchmarks;

if (args is ["generator-timing", ..])
{
    GeneratorBenchmarks.PrintTiming(args.Length > 1 ? args[1] : null);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
