using BenchmarkDotNet.Running;
using ChainRule.Benchmarks;

if (args is ["generator-timing"])
{
    GeneratorBenchmarks.PrintTiming();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
