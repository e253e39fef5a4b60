using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using ChainRule.Diagnostics;
using ChainRule.Training;

namespace ChainRule.Tests.Models.BadInput;

/// <summary>
/// A bad call to the runtime's public API outside a model. <paramref name="State"/>, when set, reads the bits the
/// call could have changed (before and after must match).
/// </summary>
internal sealed record ApiCase(string Name, Action Call, Refused Expect, Func<byte[]>? State = null);

/// <summary>Bad arguments to the factories, option types, layer views and guards the generated code and users call.</summary>
internal static class ApiCases
{
    private static readonly double[] NotFinite = [double.NaN, double.PositiveInfinity, double.NegativeInfinity];

    private static Refused OutOfRange(string parameter, params string[] parts) => new(typeof(ArgumentOutOfRangeException), parameter, parts);

    private static Refused Null(string parameter) => new(typeof(ArgumentNullException), parameter);

    private static Refused Argument(string parameter, params string[] parts) => new(typeof(ArgumentException), parameter, parts);

    public static IEnumerable<ApiCase> All()
    {
        foreach (var c in OptimizerFactories()) yield return c;
        foreach (var c in OptimizerState()) yield return c;
        foreach (var c in ScheduleCases()) yield return c;
        foreach (var c in ClippingCases()) yield return c;
        foreach (var c in HealthCases()) yield return c;
        foreach (var c in GuardCases()) yield return c;
        foreach (var c in DenseLayerCases()) yield return c;
        foreach (var c in NormLayerCases()) yield return c;
        foreach (var c in ResidualStackCases()) yield return c;
        foreach (var c in ReportCases()) yield return c;
    }

    private static IEnumerable<ApiCase> ReportCases()
    {
        yield return new("GradientReport null names", () => _ = new GradientReport(null!), Null("layerNames"));
        yield return new("GradientReport a null name", () => _ = new GradientReport(["A", null!]), Null("layerNames"));
        yield return new("GradientReport inconsistent thresholds", () => _ = new GradientReport(["A"], new HealthThresholds { Vanishing = 2e3 }), Argument("Vanishing", "must be below Exploding"));
        foreach (int layer in new[] { -1, 2, int.MinValue, int.MaxValue })
        {
            var report = new GradientReport(["A", "B"]);
            report.Begin(1, 0.1);
            report.Record(0, 0.5, 0.25, 2);
            Func<byte[]> state = () => System.Text.Encoding.UTF8.GetBytes(report.ToString());
            yield return new($"GradientReport.Record layer {layer}", () => report.Record(layer, 1, 1, 1), OutOfRange("layer", "[0, 2)"), state);
            yield return new($"GradientReport.RecordDeadUnits layer {layer}", () => report.RecordDeadUnits(layer, 1, 2), OutOfRange("layer", "[0, 2)"), state);
            yield return new($"GradientReport.RecordNonFinite layer {layer}", () => report.RecordNonFinite(layer, Pass.Forward), OutOfRange("layer", "[0, 2)"), state);
        }
        foreach (var (dead, total) in new[] { (3, 2), (-1, 2), (1, -1), (0, int.MinValue) })
        {
            var report = new GradientReport(["A"]);
            report.Begin(1, 0.1);
            Refused expect = total < 0 ? OutOfRange("total", "≥ 0") : OutOfRange("dead", "[0, total]");
            yield return new($"GradientReport.RecordDeadUnits {dead} of {total}", () => report.RecordDeadUnits(0, dead, total), expect,
                () => System.Text.Encoding.UTF8.GetBytes(report.ToString()));
        }
    }

    private static string Name(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static IEnumerable<ApiCase> OptimizerFactories()
    {
        const string nonNegative = "must be a finite number ≥ 0";
        foreach (double bad in (double[])[-1, -1e-12, .. NotFinite])
        {
            yield return new($"Optimizers.Sgd learningRate {Name(bad)}", () => Optimizers.Sgd(bad), OutOfRange("learningRate", nonNegative));
            yield return new($"Optimizers.Sgd momentum {Name(bad)}", () => Optimizers.Sgd(0.1, momentum: bad), OutOfRange("momentum", nonNegative));
            yield return new($"Optimizers.Sgd weightDecay {Name(bad)}", () => Optimizers.Sgd(0.1, weightDecay: bad), OutOfRange("weightDecay", nonNegative));
            yield return new($"Optimizers.Adam learningRate {Name(bad)}", () => Optimizers.Adam(bad), OutOfRange("learningRate", nonNegative));
            yield return new($"Optimizers.Adam weightDecay {Name(bad)}", () => Optimizers.Adam(weightDecay: bad), OutOfRange("weightDecay", nonNegative));
            yield return new($"Optimizers.AdamW learningRate {Name(bad)}", () => Optimizers.AdamW(bad), OutOfRange("learningRate", nonNegative));
            yield return new($"Optimizers.AdamW weightDecay {Name(bad)}", () => Optimizers.AdamW(weightDecay: bad), OutOfRange("weightDecay", nonNegative));
        }
        foreach (double bad in (double[])[-1, .. NotFinite])
        {
            yield return new($"Optimizers.Adam epsilon {Name(bad)}", () => Optimizers.Adam(epsilon: bad), OutOfRange("epsilon"));
            yield return new($"Optimizers.AdamW epsilon {Name(bad)}", () => Optimizers.AdamW(epsilon: bad), OutOfRange("epsilon"));
        }
        // ε = 0 divides 0 by 0 for a parameter whose gradient and moments are zero (issue 12, point 3).
        yield return new("Optimizers.Adam epsilon 0", () => Optimizers.Adam(epsilon: 0), OutOfRange("epsilon"));
        yield return new("Optimizers.AdamW epsilon 0", () => Optimizers.AdamW(epsilon: 0), OutOfRange("epsilon"));
        foreach (double bad in NotFinite)
            yield return new($"Optimizers.Sgd dampening {Name(bad)}", () => Optimizers.Sgd(0.1, momentum: 0.9, dampening: bad), OutOfRange("dampening", "must be finite"));
        foreach (double bad in (double[])[-0.1, 1, 1.5, .. NotFinite])
        {
            yield return new($"Optimizers.Adam beta1 {Name(bad)}", () => Optimizers.Adam(beta1: bad), OutOfRange("beta1", "[0, 1)"));
            yield return new($"Optimizers.Adam beta2 {Name(bad)}", () => Optimizers.Adam(beta2: bad), OutOfRange("beta2", "[0, 1)"));
            yield return new($"Optimizers.AdamW beta1 {Name(bad)}", () => Optimizers.AdamW(beta1: bad), OutOfRange("beta1", "[0, 1)"));
            yield return new($"Optimizers.AdamW beta2 {Name(bad)}", () => Optimizers.AdamW(beta2: bad), OutOfRange("beta2", "[0, 1)"));
        }
        yield return new("Optimizers.Sgd nesterov without momentum", () => Optimizers.Sgd(0.1, nesterov: true), Argument("nesterov", "requires a momentum and zero dampening"));
        yield return new("Optimizers.Sgd nesterov with dampening", () => Optimizers.Sgd(0.1, momentum: 0.9, dampening: 0.1, nesterov: true), Argument("nesterov", "requires a momentum and zero dampening"));
        yield return new("OptimizerOptions.Create parameterCount -1", () => Optimizers.Adam().Create<float>(-1), OutOfRange("parameterCount"));
    }

    // An optimizer after one update, so its moments are not zero; the bad call must leave them and the step count alone.
    private static (Optimizer<T> Optimizer, T[] Parameters, Func<byte[]> State) Trained<T>(OptimizerOptions options)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Optimizer<T> optimizer = options.Create<T>(10);
        var parameters = new T[10];
        var gradients = new T[10];
        for (int i = 0; i < 10; i++)
        {
            parameters[i] = T.CreateTruncating(0.1 * i);
            gradients[i] = T.CreateTruncating(0.3 - 0.05 * i);
        }
        optimizer.Update(parameters, gradients);
        byte[] State()
        {
            var bits = new List<byte>(MemoryMarshal.AsBytes(parameters.AsSpan()).ToArray());
            for (int i = 0; i < optimizer.State.Count; i++)
                bits.AddRange(MemoryMarshal.AsBytes(optimizer.State[i].AsSpan()).ToArray());
            bits.AddRange(BitConverter.GetBytes(optimizer.StepCount));
            bits.AddRange(BitConverter.GetBytes(optimizer.LearningRate));
            return bits.ToArray();
        }
        return (optimizer, parameters, State);
    }

    private static IEnumerable<ApiCase> OptimizerState()
    {
        var kinds = new (string Name, Func<OptimizerOptions> Options)[]
        {
            ("Sgd", () => Optimizers.Sgd(0.1, momentum: 0.9)), ("Adam", () => Optimizers.Adam()), ("AdamW", () => Optimizers.AdamW()),
        };
        foreach (var (kind, options) in kinds)
        {
            foreach (int length in new[] { 0, 9, 11 })
            {
                var f = Trained<float>(options());
                yield return new($"{kind} float Update parameters length {length}", () => f.Optimizer.Update(new float[length], new float[10]), Argument("parameters", "Expected 10 elements"), f.State);
                var d = Trained<double>(options());
                yield return new($"{kind} double Update gradients length {length}", () => d.Optimizer.Update(d.Parameters, new double[length]), Argument("gradients", "Expected 10 elements"), d.State);
            }
            foreach (double bad in (double[])[-1, .. NotFinite])
            {
                var f = Trained<float>(options());
                yield return new($"{kind} LearningRate = {Name(bad)}", () => f.Optimizer.LearningRate = bad, OutOfRange("value", "must be a finite number ≥ 0"), f.State);
            }
        }
    }

    private static IEnumerable<ApiCase> ScheduleCases()
    {
        yield return new("Schedules.Warmup warmupSteps -1", () => Schedules.Warmup(-1), OutOfRange("warmupSteps", "non-negative"));
        yield return new("Schedules.Warmup warmupSteps int.MinValue", () => Schedules.Warmup(int.MinValue), OutOfRange("warmupSteps", "non-negative"));
        var decays = new (string Name, Func<int, int, double, LearningRateSchedule> Create)[]
        {
            ("WarmupLinear", (w, t, m) => Schedules.WarmupLinear(w, t, m)), ("WarmupCosine", (w, t, m) => Schedules.WarmupCosine(w, t, m)),
        };
        foreach (var (name, create) in decays)
        {
            yield return new($"Schedules.{name} warmupSteps -1", () => create(-1, 10, 0), OutOfRange("warmupSteps", "non-negative"));
            yield return new($"Schedules.{name} totalSteps 0", () => create(0, 0, 0), OutOfRange("totalSteps", "1"));
            yield return new($"Schedules.{name} totalSteps int.MinValue", () => create(0, int.MinValue, 0), OutOfRange("totalSteps", "1"));
            yield return new($"Schedules.{name} warmup 11 above total 10", () => create(11, 10, 0), OutOfRange("warmupSteps", "must not exceed totalSteps (10)"));
            foreach (double bad in (double[])[-1, .. NotFinite])
                yield return new($"Schedules.{name} minLearningRate {Name(bad)}", () => create(1, 10, bad), OutOfRange("minLearningRate", "must be a finite number ≥ 0"));
        }
        LearningRateSchedule[] schedules = [Schedules.Constant(), Schedules.Warmup(5), Schedules.WarmupCosine(2, 10)];
        foreach (LearningRateSchedule schedule in schedules)
        {
            yield return new($"{schedule}.LearningRate step -1", () => schedule.LearningRate(-1, 0.1), OutOfRange("step", "non-negative"));
            yield return new($"{schedule}.LearningRate step long.MinValue", () => schedule.LearningRate(long.MinValue, 0.1), OutOfRange("step", "non-negative"));
            foreach (double bad in (double[])[-1, .. NotFinite])
                yield return new($"{schedule}.LearningRate base {Name(bad)}", () => schedule.LearningRate(3, bad), OutOfRange("baseLearningRate", "must be a finite number ≥ 0"));
        }
    }

    private static IEnumerable<ApiCase> ClippingCases()
    {
        foreach (double bad in (double[])[0, -1, -0.0, .. NotFinite])
        {
            yield return new($"Clipping.GlobalNorm {Name(bad)}", () => Clipping.GlobalNorm(bad), OutOfRange("maxNorm", "must be a finite number > 0"));
            yield return new($"Clipping.Value {Name(bad)}", () => Clipping.Value(bad), OutOfRange("clipValue", "must be a finite number > 0"));
            yield return new($"Clipping.Adaptive lambda {Name(bad)}", () => Clipping.Adaptive(bad), OutOfRange("lambda", "must be a finite number > 0"));
            yield return new($"Clipping.Adaptive epsilon {Name(bad)}", () => Clipping.Adaptive(0.01, bad), OutOfRange("epsilon", "must be a finite number > 0"));
        }
    }

    private static IEnumerable<ApiCase> HealthCases()
    {
        foreach (double bad in (double[])[-1, double.NaN, double.PositiveInfinity, double.NegativeInfinity])
            yield return new($"HealthThresholds.Vanishing {Name(bad)}", () => _ = new HealthThresholds { Vanishing = bad }, OutOfRange("Vanishing", "a finite number ≥ 0"));
        foreach (double bad in (double[])[0, -1, double.NaN, double.NegativeInfinity])
            yield return new($"HealthThresholds.Exploding {Name(bad)}", () => _ = new HealthThresholds { Exploding = bad }, OutOfRange("Exploding", "a number > 0"));
        foreach (double bad in (double[])[0.5, 0, -1, double.NaN, double.NegativeInfinity])
            yield return new($"HealthThresholds.FlowRatio {Name(bad)}", () => _ = new HealthThresholds { FlowRatio = bad }, OutOfRange("FlowRatio", "a number ≥ 1"));
        foreach (double bad in (double[])[-0.1, 1.1, double.NaN, double.PositiveInfinity, double.NegativeInfinity])
            yield return new($"HealthThresholds.DeadFraction {Name(bad)}", () => _ = new HealthThresholds { DeadFraction = bad }, OutOfRange("DeadFraction", "a fraction in [0, 1]"));
        yield return new("HealthThresholds.Validate Vanishing = Exploding", () => new HealthThresholds { Vanishing = 5, Exploding = 5 }.Validate(), Argument("Vanishing", "must be below Exploding (5)"));
    }

    private static IEnumerable<ApiCase> GuardCases()
    {
        yield return new("Guard.Length 3 of 4", () => Guard.Length(3, 4, "(4)", "x"), Argument("x", "Expected 4 elements, shape (4); got 3"));
        yield return new("Guard.Length 5 of 4", () => Guard.Length(5, 4, "(4)", "x"), Argument("x", "Expected 4 elements, shape (4); got 5"));
        yield return new("Guard.Shape 3 of (2, 2)", () => Guard.Shape(3, 2, 2, "x"), Argument("x", "Expected 4 elements, shape (2, 2); got 3"));
        yield return new("Guard.Shape 0 of (2, 2)", () => Guard.Shape(0, 2, 2, "x"), Argument("x", "shape (2, 2); got 0"));
        // 65,536 × 65,536 wraps to 0 in 32 bits: an empty span must not pass for 2³² elements.
        yield return new("Guard.Shape 0 of (65536, 65536)", () => Guard.Shape(0, 65536, 65536, "x"), Argument("x", "Expected 4294967296 elements", "shape (65536, 65536); got 0"));
        yield return new("Guard.Batch length 0", () => Guard.Batch(0, 4, 8, "x"), Argument("x", "shape (batch, 4); got 0 elements"));
        yield return new("Guard.Batch length 7 of rows of 4", () => Guard.Batch(7, 4, 8, "x"), Argument("x", "shape (batch, 4); got 7 elements"));
        yield return new("Guard.Batch 9 rows above 8", () => Guard.Batch(36, 4, 8, "x"), Argument("x", "exceeds MaxBatch = 8", "batch ≤ 8"));
        yield return new("Guard.Batch row width 0", () => Guard.Batch(4, 0, 8, "x"), OutOfRange("rowWidth", "≥ 1"));
        yield return new("Guard.Batch row width -1", () => Guard.Batch(4, -1, 8, "x"), OutOfRange("rowWidth", "≥ 1"));
        yield return new("Guard.Batch maxBatch 0", () => Guard.Batch(4, 4, 0, "x"), Argument("x", "exceeds MaxBatch = 0"));
        foreach (int batch in new[] { 1, 0, -1 })
            yield return new($"Guard.BatchNormTrainingBatch {batch}", () => Guard.BatchNormTrainingBatch(batch, "x"), Argument("x", "batch ≥ 2"));
        foreach (int label in new[] { -1, 3, int.MinValue, int.MaxValue })
            yield return new($"Guard.Labels {label} of 3 classes", () => Guard.Labels([0, 1, label], 3, "x"), OutOfRange("x", $"Label at index 2 is {label}", "[0, 3)"));
        yield return new("Guard.Labels 0 classes", () => Guard.Labels([0], 0, "x"), OutOfRange("x", "Label at index 0 is 0", "[0, 0)"));
        foreach (double bad in NotFinite)
        {
            yield return new($"Guard.Finite float {Name(bad)}", () => Guard.Finite<float>([1, 2, 3, (float)bad], 2, "x"), Argument("x", "Element [1, 1] (index 3)", "must be finite"));
            yield return new($"Guard.Finite double {Name(bad)}", () => Guard.Finite<double>([bad, 2, 3], 3, "x"), Argument("x", "Element [0, 0] (index 0)", "must be finite"));
            yield return new($"Guard.Probabilities float {Name(bad)}", () => Guard.Probabilities<float>([0, 1, (float)bad], 3, "x"), Argument("x", "Element [0, 2] (index 2)", "must be finite"));
        }
        yield return new("Guard.Finite row width 0", () => Guard.Finite<float>([float.NaN], 0, "x"), OutOfRange("rowWidth", "≥ 1"));
        foreach (double bad in (double[])[-1e-3, 1.001, -1e38, 1e38])
        {
            yield return new($"Guard.Probabilities float {Name(bad)}", () => Guard.Probabilities<float>([0.5f, (float)bad], 1, "x"), OutOfRange("x", "Element [1, 0] (index 1)", "[0, 1]"));
            yield return new($"Guard.Probabilities double {Name(bad)}", () => Guard.Probabilities<double>([bad, 0.5], 2, "x"), OutOfRange("x", "Element [0, 0] (index 0)", "[0, 1]"));
        }
        yield return new("Guard.WorkspaceLength null options", () => Guard.WorkspaceLength<float>(null!, 10, 0), Null("options"));
        yield return new("Guard.WorkspaceLength activationsPerSample 0", () => Guard.WorkspaceLength<float>(new TrainerOptions(), 0, 0), OutOfRange("activationsPerSample"));
        yield return new("Guard.WorkspaceLength fixedActivations -1", () => Guard.WorkspaceLength<float>(new TrainerOptions(), 10, -1), OutOfRange("fixedActivations"));
        yield return new("Guard.WorkspaceLength float 2³¹ elements", () => Guard.WorkspaceLength<float>(new TrainerOptions { MaxBatch = 1 << 30 }, 2, 0),
            OutOfRange("MaxBatch", "MaxBatch = 1,073,741,824", "2,147,483,648 elements", "17,179,869,184 bytes", "MaxBatch ≤ 1,073,741,795"));
        yield return new("Guard.WorkspaceLength double with fixed part", () => Guard.WorkspaceLength<double>(new TrainerOptions { MaxBatch = int.MaxValue }, 3, 100),
            OutOfRange("MaxBatch", "3 × 2,147,483,647 + 100 = 6,442,451,041 elements", "103,079,216,656 bytes", "MaxBatch ≤ 715,827,830"));
    }

    private static IEnumerable<ApiCase> DenseLayerCases()
    {
        float[] p = new float[20], g = new float[20];
        yield return new("DenseLayer null name", () => _ = new DenseLayer<float>(null!, p, g, 0, 3, 4), Null("name"));
        yield return new("DenseLayer null parameters", () => _ = new DenseLayer<float>("L", null!, g, 0, 3, 4), Null("parameters"));
        yield return new("DenseLayer null gradients", () => _ = new DenseLayer<float>("L", p, null!, 0, 3, 4), Null("gradients"));
        yield return new("DenseLayer short gradients", () => _ = new DenseLayer<float>("L", p, new float[19], 0, 3, 4), Argument("gradients", "19 elements", "expected 20"));
        foreach (int offset in new[] { -1, int.MinValue })
            yield return new($"DenseLayer weightOffset {offset}", () => _ = new DenseLayer<float>("L", p, g, offset, 3, 4), OutOfRange("weightOffset", "16 parameters", "[0, 4]"));
        foreach (int size in new[] { 0, -1, int.MinValue })
        {
            yield return new($"DenseLayer inputs {size}", () => _ = new DenseLayer<float>("L", p, g, 0, size, 4), OutOfRange("inputs"));
            yield return new($"DenseLayer outputs {size}", () => _ = new DenseLayer<float>("L", p, g, 0, 3, size), OutOfRange("outputs"));
        }
        // 3 × 4 weights + 4 biases = 16 parameters: offset 5 ends at 21 of 20; a 16-element buffer is 4 short at offset 4.
        yield return new("DenseLayer past the end", () => _ = new DenseLayer<float>("L", p, g, 5, 3, 4), OutOfRange("weightOffset", "16 parameters", "[0, 4]"));
        yield return new("DenseLayer short buffers", () => _ = new DenseLayer<double>("L", new double[16], new double[16], 4, 3, 4), OutOfRange("weightOffset", "[0, 0]"));
        yield return new("DenseLayer offset int.MaxValue", () => _ = new DenseLayer<float>("L", p, g, int.MaxValue, 3, 4), OutOfRange("weightOffset", "[0, 4]"));
        yield return new("DenseLayer 65536 × 65536", () => _ = new DenseLayer<float>("L", p, g, 0, 65536, 65536), OutOfRange("weightOffset", "4,295,032,832 parameters"));
    }

    private static IEnumerable<ApiCase> NormLayerCases()
    {
        float[] p = new float[10], g = new float[10], s = new float[8];
        yield return new("NormLayer null name", () => _ = new NormLayer<float>(null!, Norm.LayerNorm, p, g, s, 0, 0, 4), Null("name"));
        yield return new("NormLayer null parameters", () => _ = new NormLayer<float>("N", Norm.LayerNorm, null!, g, s, 0, 0, 4), Null("parameters"));
        yield return new("NormLayer null gradients", () => _ = new NormLayer<float>("N", Norm.LayerNorm, p, null!, s, 0, 0, 4), Null("gradients"));
        yield return new("NormLayer null statistics", () => _ = new NormLayer<float>("N", Norm.BatchNorm, p, g, null!, 0, 0, 4), Null("statistics"));
        yield return new("NormLayer short gradients", () => _ = new NormLayer<float>("N", Norm.LayerNorm, p, new float[9], s, 0, 0, 4), Argument("gradients", "9 elements", "expected 10"));
        foreach (int kind in new[] { -1, 3, 99 })
            yield return new($"NormLayer kind {kind}", () => _ = new NormLayer<float>("N", (Norm)kind, p, g, s, 0, 0, 4), OutOfRange("kind"));
        foreach (int size in new[] { 0, -1, int.MinValue })
            yield return new($"NormLayer features {size}", () => _ = new NormLayer<float>("N", Norm.LayerNorm, p, g, s, 0, 0, size), OutOfRange("features"));
        foreach (Norm kind in new[] { Norm.LayerNorm, Norm.RMSNorm, Norm.BatchNorm })
        {
            int count = kind == Norm.RMSNorm ? 4 : 8;
            foreach (int offset in new[] { -1, int.MinValue })
                yield return new($"NormLayer {kind} gammaOffset {offset}", () => _ = new NormLayer<float>("N", kind, p, g, s, offset, 0, 4), OutOfRange("gammaOffset", $"{count} parameters", $"[0, {10 - count}]"));
            yield return new($"NormLayer {kind} past the end", () => _ = new NormLayer<float>("N", kind, p, g, s, 11 - count, 0, 4), OutOfRange("gammaOffset", $"{count} parameters", $"[0, {10 - count}]"));
            yield return new($"NormLayer {kind} gammaOffset int.MaxValue", () => _ = new NormLayer<float>("N", kind, p, g, s, int.MaxValue, 0, 4), OutOfRange("gammaOffset", $"[0, {10 - count}]"));
        }
        foreach (int offset in new[] { -1, 1, int.MaxValue })
            yield return new($"NormLayer BatchNorm statisticsOffset {offset}", () => _ = new NormLayer<float>("N", Norm.BatchNorm, p, g, s, 0, offset, 4), OutOfRange("statisticsOffset", "8 running statistics", "[0, 0]"));
        yield return new("NormLayer BatchNorm short statistics", () => _ = new NormLayer<double>("N", Norm.BatchNorm, new double[8], new double[8], new double[7], 0, 0, 4), OutOfRange("statisticsOffset", "7"));
    }

    private static IEnumerable<ApiCase> ResidualStackCases()
    {
        // One LayerNorm block of width 2, hidden 3: γ, β (4) + up 3×2 + 3 + down 2×3 + 2 = 21 parameters.
        string[] names = ["B.0.norm", "B.0.up", "B.0.down"];
        float[] p = new float[21], g = new float[21], s = new float[4];
        ResidualStack<float> Stack(string[]? n = null, int firstName = 0, float[]? parameters = null, float[]? gradients = null, float[]? statistics = null,
            int offset = 0, int statisticsOffset = -1, int count = 1, int width = 2, int hidden = 3, Norm norm = Norm.LayerNorm, bool nulls = false) =>
            new(nulls ? n! : n ?? names, firstName, nulls ? parameters! : parameters ?? p, nulls ? gradients! : gradients ?? g, nulls ? statistics! : statistics ?? s,
                offset, statisticsOffset, count, width, hidden, norm, reZero: false);

        yield return new("ResidualStack null names", () => Stack(nulls: true, parameters: p, gradients: g, statistics: s), Null("names"));
        yield return new("ResidualStack null parameters", () => Stack(nulls: true, n: names, gradients: g, statistics: s), Null("parameters"));
        yield return new("ResidualStack null gradients", () => Stack(nulls: true, n: names, parameters: p, statistics: s), Null("gradients"));
        yield return new("ResidualStack null statistics", () => Stack(nulls: true, n: names, parameters: p, gradients: g), Null("statistics"));
        yield return new("ResidualStack short gradients", () => Stack(gradients: new float[20]), Argument("gradients", "20 elements", "expected 21"));
        foreach (int kind in new[] { -1, 3 })
            yield return new($"ResidualStack norm {kind}", () => Stack(norm: (Norm)kind), OutOfRange("norm"));
        foreach (int size in new[] { 0, -1, int.MinValue })
        {
            yield return new($"ResidualStack count {size}", () => Stack(count: size), OutOfRange("count"));
            yield return new($"ResidualStack width {size}", () => Stack(width: size), OutOfRange("width"));
            yield return new($"ResidualStack hidden {size}", () => Stack(hidden: size), OutOfRange("hidden"));
        }
        foreach (int first in new[] { -1, 1, int.MaxValue, int.MinValue })
            yield return new($"ResidualStack firstName {first}", () => Stack(firstName: first), OutOfRange("firstName", "3 names", "[0, 0]"));
        yield return new("ResidualStack count overflows the names", () => Stack(count: 1 << 30), OutOfRange("firstName", "3,221,225,472 names"));
        foreach (int offset in new[] { -1, int.MinValue })
            yield return new($"ResidualStack offset {offset}", () => Stack(offset: offset), OutOfRange("offset", "21 parameters", "[0, 0]"));
        yield return new("ResidualStack past the end", () => Stack(offset: 1), OutOfRange("offset", "21 parameters", "[0, 0]"));
        yield return new("ResidualStack short buffers", () => Stack(parameters: new float[20], gradients: new float[20]), OutOfRange("offset", "21 parameters", "20"));
        // 50,000² overflows an int block size: the check must see 5 billion parameters, not a wrapped negative count.
        yield return new("ResidualStack 50000-wide block", () => Stack(width: 50_000, hidden: 50_000, n: names), OutOfRange("offset", "5,000,200,000 parameters"));
        yield return new("ResidualStack BatchNorm statisticsOffset -1", () => Stack(norm: Norm.BatchNorm, statisticsOffset: -1), OutOfRange("statisticsOffset", "4 running statistics", "[0, 0]"));
        yield return new("ResidualStack BatchNorm statisticsOffset 1", () => Stack(norm: Norm.BatchNorm, statisticsOffset: 1), OutOfRange("statisticsOffset", "4 running statistics", "[0, 0]"));
        yield return new("ResidualStack BatchNorm short statistics", () => Stack(norm: Norm.BatchNorm, statisticsOffset: 0, statistics: new float[3]), OutOfRange("statisticsOffset", "4 running statistics"));
    }
}
