using System;
using System.Numerics;
using ChainRule.Diagnostics;
using ChainRule.Kernels;
using ChainRule.Tests.Kernels;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Diagnostics;

public class HealthAllocationTests
{
    [Fact]
    public void Health_kernels_clipping_schedules_and_report_filling_allocate_nothing_after_warm_up()
    {
        Check<float>();
        Check<double>();

        static void Check<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            const int batch = 5, inputs = 33, outputs = 17;
            var random = new Random(4);
            T[] x = NumericAssert.Random<T>(random, batch * inputs), w = NumericAssert.Random<T>(random, outputs * inputs), b = NumericAssert.Random<T>(random, outputs);
            T[] y = new T[batch * outputs], h = new T[batch * outputs], dy = NumericAssert.Random<T>(random, batch * outputs);
            T[] dw = new T[outputs * inputs], db = new T[outputs];
            LearningRateSchedule[] schedules = [Schedules.Constant(), Schedules.Warmup(3), Schedules.WarmupLinear(2, 10, 1e-4), Schedules.WarmupCosine(2, 10)];
            var report = new GradientReport(["Hidden", "Logits"], new HealthThresholds { Vanishing = 1e-9 });
            T maxNorm = T.CreateTruncating(0.5), clipValue = T.CreateTruncating(0.01), lambda = T.CreateTruncating(0.01), epsilon = T.CreateTruncating(1e-3);
            double sink = 0;
            long step = 0;

            void Step()
            {
                double lr = 0;
                // The schedules end by step 10; cycling through 12 keeps their warm-up and decay in every window of 12.
                foreach (LearningRateSchedule schedule in schedules)
                    lr += schedule.LearningRate(step % 12, 1e-3);
                report.Begin(step, lr);
                Dense.Forward<T>(y, x, w, b, batch, inputs, outputs);
                int dead = Relu.Forward<T>(h, y);
                dead += LeakyRelu.Forward<T>(h, y);
                report.RecordDeadUnits(0, dead / 2, h.Length);
                Array.Clear(dw);
                Array.Clear(db);
                Dense.BackwardParameters<T>(dw, db, dy, x, batch, inputs, outputs, out double weightSquares, out double biasSquares);
                double weightNorm = Norms.L2<T>(w);
                report.Record(1, Math.Sqrt(weightSquares), Math.Sqrt(biasSquares), weightNorm);
                report.Record(0, Math.Sqrt(weightSquares) / 2, Math.Sqrt(biasSquares), weightNorm);
                report.RecordNonFinite(1, Pass.Backward);
                T total = GradientClipping.GlobalNorm<T>(dw, maxNorm);
                sink += GradientClipping.ScaleToMaxNorm<T>(dw, double.CreateTruncating(total), 0.25);
                GradientClipping.Value<T>(dw, clipValue);
                sink += GradientClipping.Adaptive<T>(dw, w, outputs, inputs, lambda, epsilon);
                sink += GradientClipping.Adaptive<T>(db, b, 1, outputs, lambda, epsilon);
                report.Complete(1.0, double.CreateTruncating(total), updateApplied: true);
                LayerReport layer = report[0];
                sink += layer.WeightGradientNorm + report.MaxMinRatio + (report.IsHealthy ? 1 : 0) + (report.HasFlowProblem ? 1 : 0);
                sink += report.FirstNonFiniteLayer is null ? 0 : 1;
                sink += report.FirstNonFinitePass is Pass.Backward ? 1 : 0;
                step++;
            }

            Allocations.AssertNone($"{typeof(T).Name} health kernels, clipping, schedules and report", Step, calls: 12);
            Assert.True(double.IsFinite(sink));
        }
    }
}
