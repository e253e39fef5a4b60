using System;
using System.Collections.Generic;
using System.Linq;
using ChainRule.Diagnostics;
using Xunit;

namespace ChainRule.Tests.Models.BadInput;

/// <summary>
/// Every public entry point of the generated models and of the runtime, against systematic bad input (DESIGN §7):
/// each case must throw the exception it names, with the argument's name and the expected shape or bound in the
/// message, and leave parameters, gradients, BatchNorm running statistics, optimizer moments and every step counter
/// bit-identical. Extreme finite values (1e38 in float, 1e308 in double) must be refused or give a finite step.
/// </summary>
public class BadInputTests
{
    public static TheoryData<string, string> ModelCaseNames() => ModelCaseData();

    public static TheoryData<string> ApiCaseNames() => ApiCaseData();

    [Theory]
    [MemberData(nameof(ModelCaseNames))]
    public void ModelEntryPoint(string subject, string name) => RunModelCase(subject, name);

    [Theory]
    [MemberData(nameof(ApiCaseNames))]
    public void RuntimeApi(string name) => RunApiCase(name);

    [Fact]
    public void EveryCaseNameIsUniqueAndTheSuiteIsLarge()
    {
        foreach (var (subject, create) in Subjects.All)
        {
            var names = ModelCases.For(create()).Select(c => c.Name).ToList();
            Assert.Equal(names.Count, names.Distinct().Count());
        }
        var api = ApiCases.All().Select(c => c.Name).ToList();
        Assert.Equal(api.Count, api.Distinct().Count());
        Assert.True(ModelCaseData().Count() + api.Count > 700);
    }

    // The finiteness check Predict gained and the range check of binary cross-entropy's targets run on every call:
    // TensorPrimitives' vectorized IsFiniteAll, Min and Max must allocate nothing.
    [Fact]
    public void TheValueChecksAllocateNothing()
    {
        var detector = new Detector(1);
        var trainer = detector.CreateTrainer(new ChainRule.Training.TrainerOptions { MaxBatch = 4 });
        float[] inputs = Enumerable.Range(0, 20).Select(i => MathF.Sin(i)).ToArray();
        float[] targets = [0, 1, 0.5f, 0.25f, 1, 0, 0.75f, 1];
        float[] outputs = new float[8];
        var doubles = new DoubleResidualDetector(1);
        var doubleTrainer = doubles.CreateTrainer(new ChainRule.Training.TrainerOptions { MaxBatch = 4 });
        double[] doubleInputs = Enumerable.Range(0, 16).Select(i => Math.Cos(i)).ToArray();
        double[] doubleTargets = [0, 1, 0.5, 0.25, 1, 0, 0.75, 1];
        double[] doubleOutputs = new double[8];

        void Work()
        {
            trainer.Step(inputs, targets);
            trainer.Evaluate(inputs, targets);
            detector.Predict(inputs.AsSpan(0, 5), outputs.AsSpan(0, 2));
            detector.PredictBatch(inputs, outputs);
            doubleTrainer.Step(doubleInputs, doubleTargets);
            doubles.Predict(doubleInputs.AsSpan(0, 4), doubleOutputs.AsSpan(0, 2));
            doubles.PredictBatch(doubleInputs, doubleOutputs);
        }

        Allocations.AssertNone("steps, evaluation and predictions with value checks", Work, calls: 5);
    }

    private static TheoryData<string, string> ModelCaseData()
    {
        var data = new TheoryData<string, string>();
        foreach (var (subject, create) in Subjects.All)
        {
            foreach (ModelCase c in ModelCases.For(create()))
            {
                data.Add(subject, c.Name);
            }
        }
        return data;
    }

    private static TheoryData<string> ApiCaseData()
    {
        var data = new TheoryData<string>();
        foreach (ApiCase c in ApiCases.All())
        {
            data.Add(c.Name);
        }
        return data;
    }

    private static void RunModelCase(string subjectName, string name)
    {
        ISubject subject = Subjects.All[subjectName]();
        ModelCase c = ModelCases.For(subject).Single(c => c.Name == name);
        subject.CreateAndWarmUp(c.Schedule, c.Policy);
        StateSnapshot before = subject.Snapshot();

        Exception? thrown = Record.Exception(() => c.Call(subject));
        StateSnapshot after = subject.Snapshot();

        switch (c.Expect)
        {
            case Refused refused:
                AssertRefused(refused, thrown);
                AssertUnchanged(before, after);
                break;
            case RefusedOrFinite when thrown is NonFiniteGradientException skipped:
                Assert.Equal(NonFinitePolicy.Throw, c.Policy);
                Assert.Equal(after.Steps, skipped.Step);
                AssertFiniteOrSkipped(subject, c.Entry, before, after);
                break;
            case RefusedOrFinite when thrown is not null:
                Assert.IsAssignableFrom<ArgumentException>(thrown);
                Assert.False(string.IsNullOrEmpty(((ArgumentException)thrown).ParamName), $"No ParamName: {thrown.Message}");
                AssertUnchanged(before, after);
                break;
            case RefusedOrFinite:
                AssertFiniteOrSkipped(subject, c.Entry, before, after);
                break;
        }
    }

    private static void RunApiCase(string name)
    {
        ApiCase c = ApiCases.All().Single(c => c.Name == name);
        byte[]? before = c.State?.Invoke();
        Exception? thrown = Record.Exception(c.Call);
        AssertRefused(c.Expect, thrown);
        if (before is not null)
            Assert.Equal(before, c.State!());
    }

    private static void AssertRefused(Refused expected, Exception? thrown)
    {
        Assert.NotNull(thrown);
        Assert.True(thrown.GetType() == expected.Exception, $"Expected {expected.Exception.Name}, got {thrown.GetType().Name}: {thrown.Message}");
        if (expected.ParamName is not null)
            Assert.Equal(expected.ParamName, ((ArgumentException)thrown).ParamName);
        foreach (string part in expected.MessageParts)
            Assert.True(thrown.Message.Contains(part, StringComparison.Ordinal), $"The message does not say \"{part}\": {thrown.Message}");
    }

    private static void AssertUnchanged(StateSnapshot before, StateSnapshot after)
    {
        AssertSameBits("parameters", before.Parameters, after.Parameters);
        AssertSameBits("gradients", before.Gradients, after.Gradients);
        AssertSameBits("running statistics", before.Statistics, after.Statistics);
        Assert.Equal(before.BatchesTracked, after.BatchesTracked);
        AssertOptimizerUnchanged(before, after);
        Assert.Equal(before.Steps, after.Steps);
        Assert.Equal(before.ReportStep, after.ReportStep);
        Assert.Equal(before.ReportLoss, after.ReportLoss);
        Assert.Equal(before.ReportApplied, after.ReportApplied);
    }

    // The learning rate is the one the last step attempted: a skipped step sets it too, from the unchanged
    // count of applied steps, so only a refused call must leave it alone.
    private static void AssertOptimizerUnchanged(StateSnapshot before, StateSnapshot after, bool learningRate = true)
    {
        Assert.Equal(before.OptimizerState.Length, after.OptimizerState.Length);
        for (int i = 0; i < before.OptimizerState.Length; i++)
            AssertSameBits($"optimizer state {i}", before.OptimizerState[i], after.OptimizerState[i]);
        Assert.Equal(before.OptimizerSteps, after.OptimizerSteps);
        if (learningRate)
            Assert.Equal(BitConverter.DoubleToInt64Bits(before.LearningRate), BitConverter.DoubleToInt64Bits(after.LearningRate));
    }

    // A call that ran on an extreme but finite value: an applied step left everything finite; a skipped one (or a
    // gradient computation whose loss was not finite) changed nothing the next step reads.
    private static void AssertFiniteOrSkipped(ISubject subject, Entry entry, StateSnapshot before, StateSnapshot after)
    {
        switch (entry)
        {
            case Entry.Step when subject.LastUpdateApplied == true:
                Assert.True(subject.AllFinite(), "An applied step left a parameter, running statistic or moment that is not finite.");
                Assert.Equal(before.Steps + 1, after.Steps);
                Assert.Equal(before.OptimizerSteps + 1, after.OptimizerSteps);
                Assert.Equal(before.BatchesTracked.Select(count => count + 1), after.BatchesTracked);
                break;
            case Entry.Step:
                AssertSameBits("parameters", before.Parameters, after.Parameters);
                AssertSameBits("running statistics", before.Statistics, after.Statistics);
                Assert.Equal(before.BatchesTracked, after.BatchesTracked);
                AssertOptimizerUnchanged(before, after, learningRate: false);
                Assert.Equal(before.Steps + 1, after.Steps);
                Assert.Equal(after.Steps, after.ReportStep);
                Assert.False(after.ReportApplied);
                break;
            case Entry.ComputeGradients:
                AssertSameBits("parameters", before.Parameters, after.Parameters);
                AssertOptimizerUnchanged(before, after);
                Assert.Equal(before.Steps, after.Steps);
                Assert.True(subject.AllFinite(), "Computing gradients left a running statistic that is not finite.");
                break;
            default:
                AssertUnchanged(before, after);
                break;
        }
    }

    private static void AssertSameBits(string what, byte[] expected, byte[] actual)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} bytes, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
                Assert.Fail($"{what} changed: first differing byte {i} (element {i / 4} in float, {i / 8} in double).");
        }
    }
}
