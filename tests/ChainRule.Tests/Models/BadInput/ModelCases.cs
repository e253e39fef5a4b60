using System;
using System.Collections.Generic;
using System.Globalization;
using ChainRule.Diagnostics;
using ChainRule.Training;

namespace ChainRule.Tests.Models.BadInput;

/// <summary>What a bad call must do.</summary>
internal abstract record Expectation;

/// <summary>Throw exactly <paramref name="Exception"/> naming <paramref name="ParamName"/>, with every part in its message, and change nothing.</summary>
internal sealed record Refused(Type Exception, string? ParamName, params string[] MessageParts) : Expectation;

/// <summary>
/// A finite but extreme value: the call may refuse it (as <see cref="Refused"/>, any argument exception), or run;
/// a step that runs is either applied with every parameter, statistic and moment finite, or skipped (under
/// NonFinitePolicy.Throw: with NonFiniteGradientException) and changes nothing but the step counter and the report.
/// </summary>
internal sealed record RefusedOrFinite : Expectation;

/// <summary>A bad call on a warmed-up model, by name.</summary>
/// <param name="Schedule">The schedule the trainer is created with, when the case is about the schedule.</param>
/// <param name="Policy">The trainer's non-finite policy.</param>
internal sealed record ModelCase(string Name, Entry Entry, Action<ISubject> Call, Expectation Expect, LearningRateSchedule? Schedule = null,
    NonFinitePolicy Policy = NonFinitePolicy.SkipStep);

/// <summary>A user's schedule that behaves for the warm-up's three updates, then returns <paramref name="value"/> or throws.</summary>
internal sealed class FaultySchedule(double value, bool throws = false) : LearningRateSchedule
{
    public override double LearningRate(long step, double baseLearningRate) =>
        step < 3 ? baseLearningRate : throws ? throw new InvalidOperationException("The schedule failed.") : value;

    public override string ToString() => "Faulty";
}

internal enum Entry { Predict, PredictBatch, Step, ComputeGradients, Evaluate, CreateTrainer }

/// <summary>The systematic bad inputs every generated model's entry points meet.</summary>
internal static class ModelCases
{
    private static readonly Entry[] Training = [Entry.Step, Entry.ComputeGradients, Entry.Evaluate];

    public static IEnumerable<ModelCase> For(ISubject s)
    {
        foreach (var c in PredictCases(s))
            yield return c;
        foreach (var c in PredictBatchCases(s))
            yield return c;
        foreach (Entry entry in Training)
        {
            foreach (var c in TrainingCases(s, entry))
                yield return c;
        }
        foreach (var c in OptionCases(s))
            yield return c;
        foreach (var c in ScheduleCases())
            yield return c;
    }

    // The schedule is user code run inside Step: a bad rate or an exception from it must not count a step.
    private static IEnumerable<ModelCase> ScheduleCases()
    {
        static void Step(ISubject m)
        {
            var (inputs, targets, labels) = m.Batch(2);
            m.Step(inputs, targets, labels);
        }
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, -1e-3 })
        {
            yield return new($"Step with a schedule giving {Name(bad)}", Entry.Step, Step,
                new Refused(typeof(InvalidOperationException), null, $"The schedule Faulty gave the learning rate {bad.ToString(CultureInfo.InvariantCulture)} for update 4", "finite number ≥ 0"),
                Schedule: new FaultySchedule(bad));
        }
        yield return new("Step with a schedule that throws", Entry.Step, Step, new Refused(typeof(InvalidOperationException), null, "The schedule failed."), Schedule: new FaultySchedule(0, throws: true));
    }

    private static Refused Shape(string parameter, string shape) => new(typeof(ArgumentException), parameter, "shape " + shape);

    private static Refused NotFinite(string parameter, int index, int rowWidth) =>
        new(typeof(ArgumentException), parameter, $"Element [{index / rowWidth}, {index % rowWidth}] (index {index})", "must be finite");

    private static double[] Good(ISubject s, int length)
    {
        var (inputs, _, _) = s.Batch(length / s.InputSize + 1);
        return inputs.AsSpan(0, length).ToArray();
    }

    private static double[] With(double[] values, int index, double value)
    {
        var copy = (double[])values.Clone();
        copy[index] = value;
        return copy;
    }

    private static string Name(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static IEnumerable<ModelCase> PredictCases(ISubject s)
    {
        int i = s.InputSize, o = s.OutputSize;
        var output = new double[o];
        foreach (int length in new[] { 0, i - 1, i + 1, 2 * i })
            yield return new($"Predict input length {length}", Entry.Predict, m => m.Predict(Good(m, length), output), Shape("input", $"(1, {i})"));
        foreach (int length in new[] { 0, o - 1, o + 1, 2 * o })
            yield return new($"Predict output length {length}", Entry.Predict, m => m.Predict(Good(m, i), new double[length]), Shape("output", $"(1, {o})"));
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            foreach (int at in new[] { 0, i - 1 })
                yield return new($"Predict input {Name(bad)} at {at}", Entry.Predict, m => m.Predict(With(Good(m, i), at, bad), output), NotFinite("input", at, i));
        }
        foreach (double sign in new[] { 1.0, -1.0 })
        {
            yield return new($"Predict input {Name(sign)}·huge everywhere", Entry.Predict, m => m.Predict(Array.ConvertAll(Good(m, i), _ => sign * m.Huge), output), new RefusedOrFinite());
            yield return new($"Predict input {Name(sign)}·huge at 0", Entry.Predict, m => m.Predict(With(Good(m, i), 0, sign * m.Huge), output), new RefusedOrFinite());
        }
    }

    private static IEnumerable<ModelCase> PredictBatchCases(ISubject s)
    {
        int i = s.InputSize, o = s.OutputSize;
        foreach (int length in new[] { 0, 3 * i - 1, 3 * i + 1 })
            yield return new($"PredictBatch inputs length {length}", Entry.PredictBatch, m => m.PredictBatch(Good(m, length), new double[3 * o]), Shape("inputs", $"(batch, {i})"));
        foreach (int length in new[] { 0, 3 * o - 1, 3 * o + 1, 2 * o, 4 * o })
            yield return new($"PredictBatch outputs length {length} for 3 rows", Entry.PredictBatch, m => m.PredictBatch(Good(m, 3 * i), new double[length]), Shape("outputs", $"(3, {o})"));
        // 20 rows run as two chunks: a bad value in the second must be refused before the first is written.
        foreach (int rows in new[] { 3, 20 })
        {
            foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            {
                int at = rows * i - 1;
                yield return new($"PredictBatch {rows} rows, {Name(bad)} at {at}", Entry.PredictBatch,
                    m => m.PredictBatch(With(Good(m, rows * i), at, bad), new double[rows * o]), NotFinite("inputs", at, i));
            }
        }
        foreach (double sign in new[] { 1.0, -1.0 })
            yield return new($"PredictBatch inputs {Name(sign)}·huge everywhere", Entry.PredictBatch, m => m.PredictBatch(Array.ConvertAll(Good(m, 3 * i), _ => sign * m.Huge), new double[3 * o]), new RefusedOrFinite());
    }

    private static double Call(ISubject m, Entry entry, double[] inputs, double[] targets, int[] labels) => entry switch
    {
        Entry.Step => m.Step(inputs, targets, labels),
        Entry.ComputeGradients => m.ComputeGradients(inputs, targets, labels),
        _ => m.Evaluate(inputs, targets, labels),
    };

    private static IEnumerable<ModelCase> TrainingCases(ISubject s, Entry entry)
    {
        int i = s.InputSize, o = s.OutputSize, max = s.MaxBatch;
        string e = entry.ToString();
        // A call on `rows` good rows, with one part replaced.
        ModelCase Case(string name, Func<ISubject, (double[] Inputs, double[] Targets, int[] Labels)> data, Expectation expect) =>
            new($"{e} {name}", entry, m =>
            {
                var (inputs, targets, labels) = data(m);
                Call(m, entry, inputs, targets, labels);
            }, expect);

        // Shapes of the inputs: whole rows only, 1 ≤ batch ≤ MaxBatch (≥ 2 for a BatchNorm training pass).
        foreach (int length in new[] { 0, 2 * i - 1, 2 * i + 1, i + 1 })
            yield return Case($"inputs length {length}", m => (Good(m, length), m.Batch(2).Targets, m.Batch(2).Labels), Shape("inputs", $"(batch, {i})"));
        yield return Case($"batch MaxBatch+1 = {max + 1}", m => m.Batch(max + 1), new Refused(typeof(ArgumentException), "inputs", $"exceeds MaxBatch = {max}", $"batch ≤ {max}"));
        yield return Case($"batch 2·MaxBatch = {2 * max}", m => m.Batch(2 * max), new Refused(typeof(ArgumentException), "inputs", $"exceeds MaxBatch = {max}"));
        if (s.HasBatchNorm && entry != Entry.Evaluate)
            yield return Case("batch 1 through BatchNorm", m => m.Batch(1), new Refused(typeof(ArgumentException), "inputs", "batch ≥ 2"));

        // Shapes and values of the targets.
        if (s.Classification)
        {
            foreach (int count in new[] { 0, 1, 3, 4 })
                yield return Case($"labels count {count} for 2 rows", m => (m.Batch(2).Inputs, m.Batch(2).Targets, m.Batch(count).Labels), Shape("labels", "(2, 1)"));
            foreach (int label in new[] { -1, o, o + 1, int.MinValue, int.MaxValue })
            {
                yield return Case($"label {label}", m => (m.Batch(2).Inputs, m.Batch(2).Targets, [0, label]),
                    new Refused(typeof(ArgumentOutOfRangeException), "labels", $"Label at index 1 is {label}", $"[0, {o})"));
            }
        }
        else
        {
            foreach (int length in new[] { 0, 2 * o - 1, 2 * o + 1, o, 3 * o })
                yield return Case($"targets length {length} for 2 rows", m => (m.Batch(2).Inputs, Good(m, length), m.Batch(2).Labels), Shape("targets", $"(2, {o})"));
            foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            {
                int at = 2 * o - 1;
                yield return Case($"target {Name(bad)} at {at}", m => (m.Batch(2).Inputs, With(m.Batch(2).Targets, at, bad), m.Batch(2).Labels), NotFinite("targets", at, o));
            }
            if (s.BinaryTargets)
            {
                // Binary cross-entropy's targets are probabilities (PyTorch's BCEWithLogits accepts soft targets in [0, 1]).
                foreach (double bad in new[] { -0.5, 1.5, -1e-3, 1.001, 2, -1 })
                {
                    yield return Case($"target {Name(bad)} outside [0, 1]", m => (m.Batch(2).Inputs, With(m.Batch(2).Targets, 1, bad), m.Batch(2).Labels),
                        new Refused(typeof(ArgumentOutOfRangeException), "targets", "Element [0, 1] (index 1)", "[0, 1]"));
                }
                foreach (double sign in new[] { 1.0, -1.0 })
                {
                    yield return Case($"target {Name(sign)}·huge outside [0, 1]", m => (m.Batch(2).Inputs, With(m.Batch(2).Targets, 1, sign * m.Huge), m.Batch(2).Labels),
                        new Refused(typeof(ArgumentOutOfRangeException), "targets", "Element [0, 1] (index 1)", "[0, 1]"));
                }
            }
            else
            {
                foreach (double sign in new[] { 1.0, -1.0 })
                {
                    yield return Case($"targets {Name(sign)}·huge everywhere", m => (m.Batch(2).Inputs, Array.ConvertAll(m.Batch(2).Targets, _ => sign * m.Huge), m.Batch(2).Labels), new RefusedOrFinite());
                    yield return Case($"target {Name(sign)}·huge at 0", m => (m.Batch(2).Inputs, With(m.Batch(2).Targets, 0, sign * m.Huge), m.Batch(2).Labels), new RefusedOrFinite());
                }
            }
        }

        // Values of the inputs.
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            foreach (int at in new[] { 0, 2 * i - 1 })
                yield return Case($"input {Name(bad)} at {at}", m => (With(m.Batch(2).Inputs, at, bad), m.Batch(2).Targets, m.Batch(2).Labels), NotFinite("inputs", at, i));
        }
        foreach (double sign in new[] { 1.0, -1.0 })
        {
            if (entry == Entry.Step)
            {
                // Under NonFinitePolicy.Throw a step that overflows throws NonFiniteGradientException, having changed no more than a skipped one.
                var throwing = Case($"inputs {Name(sign)}·huge everywhere under Throw", m => (Array.ConvertAll(m.Batch(2).Inputs, _ => sign * m.Huge), m.Batch(2).Targets, m.Batch(2).Labels), new RefusedOrFinite());
                yield return throwing with { Policy = NonFinitePolicy.Throw };
            }
            yield return Case($"inputs {Name(sign)}·huge everywhere", m => (Array.ConvertAll(m.Batch(2).Inputs, _ => sign * m.Huge), m.Batch(2).Targets, m.Batch(2).Labels), new RefusedOrFinite());
            yield return Case($"input {Name(sign)}·huge at 0", m => (With(m.Batch(2).Inputs, 0, sign * m.Huge), m.Batch(2).Targets, m.Batch(2).Labels), new RefusedOrFinite());
        }
    }

    private static IEnumerable<ModelCase> OptionCases(ISubject s)
    {
        ModelCase Case(string name, Func<TrainerOptions?> options, Refused expect) =>
            new($"CreateTrainer {name}", Entry.CreateTrainer, m => m.CreateTrainer(options()!), expect);
        Refused OutOfRange(string parameter, params string[] parts) => new(typeof(ArgumentOutOfRangeException), parameter, parts);

        yield return Case("null options", () => null, new(typeof(ArgumentNullException), "options"));
        foreach (int maxBatch in new[] { 0, -1, int.MinValue })
            yield return Case($"MaxBatch {maxBatch}", () => new TrainerOptions { MaxBatch = maxBatch }, OutOfRange("MaxBatch", "at least 1"));

        // The workspace, ActivationsPerSample × MaxBatch (+ FixedActivations) elements, must fit one array.
        long largest = (Array.MaxLength - (long)s.FixedActivations) / s.ActivationsPerSample;
        string largestText = largest.ToString("N0", CultureInfo.InvariantCulture);
        int wraps = (int)Math.Min(int.MaxValue, (1L << 32) / s.ActivationsPerSample + 1); // the product wraps to a small positive int
        foreach (int maxBatch in new[] { int.MaxValue, (int)largest + 1, int.MaxValue / s.ActivationsPerSample + 1, wraps })
        {
            long elements = (long)s.ActivationsPerSample * maxBatch + s.FixedActivations;
            yield return Case($"MaxBatch {maxBatch} overflows the workspace", () => new TrainerOptions { MaxBatch = maxBatch },
                OutOfRange("MaxBatch", elements.ToString("N0", CultureInfo.InvariantCulture) + " elements", "bytes", $"MaxBatch ≤ {largestText}"));
        }
        yield return Case("null Optimizer", () => new TrainerOptions { Optimizer = null! }, new(typeof(ArgumentNullException), "Optimizer"));
        yield return Case("null Schedule", () => new TrainerOptions { Schedule = null! }, new(typeof(ArgumentNullException), "Schedule"));
        yield return Case("null Clip", () => new TrainerOptions { Clip = null! }, new(typeof(ArgumentNullException), "Clip"));
        yield return Case("null Health", () => new TrainerOptions { Health = null! }, new(typeof(ArgumentNullException), "Health"));
        foreach (int policy in new[] { -1, 2, int.MaxValue })
            yield return Case($"OnNonFinite {policy}", () => new TrainerOptions { OnNonFinite = (NonFinitePolicy)policy }, OutOfRange("OnNonFinite", "SkipStep or Throw"));
        yield return Case("schedule floor above the learning rate", () => new TrainerOptions { Optimizer = Optimizers.Sgd(0.01), Schedule = Schedules.WarmupCosine(0, 10, minLearningRate: 0.5) },
            new(typeof(ArgumentException), "Schedule", "decays to 0.5", "above the optimizer's learning rate 0.01"));
        yield return Case("Vanishing above Exploding", () => new TrainerOptions { Health = new HealthThresholds { Vanishing = 10, Exploding = 5 } },
            new(typeof(ArgumentException), "Vanishing", "must be below Exploding"));
    }
}
