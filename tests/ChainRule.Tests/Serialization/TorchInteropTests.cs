using System;
using System.IO;
using ChainRule.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Tests.Serialization;

/// <summary>
/// Issue 14, PyTorch interop, with <c>Fixtures/torch_interop.py</c> as the other side. ChainRule to PyTorch: the
/// helper below writes <c>chainrule_every_layer.safetensors</c> (a trained <see cref="EveryLayer"/>) and
/// <c>chainrule_every_layer_probe.safetensors</c> (inputs and ChainRule's logits); the script loads the checkpoint into
/// its <c>nn.Module</c> with <c>load_state_dict(strict=True)</c> and checks the logits. PyTorch to ChainRule: the script
/// writes <c>torch_every_layer.safetensors</c> (a module's <c>state_dict()</c>, no metadata) and
/// <c>torch_every_layer_probe.safetensors</c> (inputs and PyTorch's logits in eval mode, computed in float64), which the
/// tests below load through the generated <c>Load</c>.
/// </summary>
public class TorchInteropTests(ITestOutputHelper output)
{
    /// <summary>The argument that makes <see cref="Program"/> run <see cref="WriteChainRuleFixture"/>.</summary>
    internal const string HelperName = "write-interop-fixture";

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Serialization", "Fixtures", name);

    /// <summary>Writes the ChainRule side's fixture into <paramref name="directory"/>.</summary>
    internal static void WriteChainRuleFixture(string directory)
    {
        var model = new EveryLayer(seed: 1);
        CheckpointFiles.Train(model.CreateTrainer(new global::ChainRule.Training.TrainerOptions { MaxBatch = CheckpointFiles.Rows, Optimizer = global::ChainRule.Training.Optimizers.AdamW(1e-2) }), 0, 12);
        model.Save(Path.Combine(directory, "chainrule_every_layer.safetensors"));
        float[] inputs = CheckpointFiles.Probe<float>();
        float[] logits = CheckpointFiles.Predict(model);
        var probe = new SafeTensorsWriter();
        probe.Add("inputs", [CheckpointFiles.Rows, EveryLayer.InputSize], inputs);
        probe.Add("logits", [CheckpointFiles.Rows, EveryLayer.OutputSize], logits);
        probe.Save(Path.Combine(directory, "chainrule_every_layer_probe.safetensors"));

        var biasFree = new BiasFree(seed: 1);
        var trainer = biasFree.CreateTrainer(new global::ChainRule.Training.TrainerOptions { MaxBatch = CheckpointFiles.Rows, Optimizer = global::ChainRule.Training.Optimizers.AdamW(1e-2) });
        for (int step = 0; step < 12; step++)
        {
            var (batch, labels) = CheckpointFiles.Batch<float>(step);
            trainer.Step(batch, labels);
        }
        biasFree.Save(Path.Combine(directory, "chainrule_bias_free.safetensors"));
        var biasFreeLogits = new float[CheckpointFiles.Rows * BiasFree.OutputSize];
        biasFree.PredictBatch(inputs, biasFreeLogits);
        var biasFreeProbe = new SafeTensorsWriter();
        biasFreeProbe.Add("inputs", [CheckpointFiles.Rows, BiasFree.InputSize], inputs);
        biasFreeProbe.Add("logits", [CheckpointFiles.Rows, BiasFree.OutputSize], biasFreeLogits);
        biasFreeProbe.Save(Path.Combine(directory, "chainrule_bias_free_probe.safetensors"));
    }

    [Fact]
    public void The_ChainRule_fixture_the_script_checks_still_predicts_its_recorded_logits()
    {
        // Another CPU's SIMD width may round differently, so the recorded logits are compared within float tolerance.
        var model = new EveryLayer(seed: 5);
        model.Load(Fixture("chainrule_every_layer.safetensors"));
        var probe = SafeTensorsFile.Load(Fixture("chainrule_every_layer_probe.safetensors"));
        AssertPredicts<float>(model.PredictBatch, probe, 1e-5);
    }

    [Fact]
    public void A_PyTorch_state_dict_loads_into_the_float_model_and_predicts_what_PyTorch_does()
    {
        var model = new EveryLayer(seed: 5);
        model.Load(Fixture("torch_every_layer.safetensors"));
        AssertPredicts<float>(model.PredictBatch, SafeTensorsFile.Load(Fixture("torch_every_layer_probe.safetensors")), 2e-5);
        Assert.Equal(7, CheckpointTests.BatchesTracked(model.SaveToBytes(), "Batch.num_batches_tracked")); // the script's training forwards
    }

    [Fact]
    public void A_PyTorch_state_dict_loads_into_the_double_model_and_predicts_what_PyTorch_does()
    {
        var model = new EveryLayerDouble(seed: 5);
        model.Load(Fixture("torch_every_layer.safetensors"));
        AssertPredicts<double>(model.PredictBatch, SafeTensorsFile.Load(Fixture("torch_every_layer_probe.safetensors")), 1e-10);
    }

    [Fact]
    public void The_bias_free_ChainRule_fixture_the_script_checks_still_predicts_its_recorded_logits()
    {
        var model = new BiasFree(seed: 5);
        model.Load(Fixture("chainrule_bias_free.safetensors"));
        AssertPredicts<float>(model.PredictBatch, SafeTensorsFile.Load(Fixture("chainrule_bias_free_probe.safetensors")), 1e-5);
    }

    [Fact]
    public void A_PyTorch_state_dict_of_linear_layers_without_bias_loads_and_predicts_what_PyTorch_does()
    {
        var model = new BiasFree(seed: 5);
        model.Load(Fixture("torch_bias_free.safetensors"));
        AssertPredicts<float>(model.PredictBatch, SafeTensorsFile.Load(Fixture("torch_bias_free_probe.safetensors")), 2e-5);
        var twin = new BiasFreeDouble(seed: 5);
        twin.Load(Fixture("torch_bias_free.safetensors"));
        AssertPredicts<double>(twin.PredictBatch, SafeTensorsFile.Load(Fixture("torch_bias_free_probe.safetensors")), 1e-10);
    }

    private delegate void PredictBatch<T>(ReadOnlySpan<T> inputs, Span<T> outputs);

    private void AssertPredicts<T>(PredictBatch<T> predict, SafeTensorsFile probe, double tolerance)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var inputs = new T[probe["inputs"].ElementCount];
        probe.CopyTo<T>("inputs", inputs);
        var expected = new double[probe["logits"].ElementCount];
        probe.CopyTo<double>("logits", expected);
        var actual = new T[expected.Length];
        predict(inputs, actual);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(double.CreateTruncating(actual[i]) - expected[i]) / Math.Max(1, Math.Abs(expected[i]));
            if (error > worst)
            {
                worst = error;
                at = i;
            }
        }
        output.WriteLine($"max relative error {worst:E2}" + (at >= 0 ? $" at {at}: {actual[at]} vs {expected[at]:R}" : ""));
        if (worst > tolerance)
            Assert.Fail($"logit {at}: {actual[at]} vs the recorded {expected[at]:R}, relative error {worst:E2} > {tolerance:E0}");
    }
}
