using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using ChainRule.Serialization;
using ChainRule.Training;
using Xunit;

namespace ChainRule.Tests.Serialization;

/// <summary>
/// Issue 14, points 1 and 4 for generated models: PyTorch names, round trips of every layer kind in float and double,
/// conversions, the architecture check and the errors of a checkpoint that does not fit.
/// </summary>
public class CheckpointTests
{
    private static readonly TrainerOptions Options = new() { MaxBatch = CheckpointFiles.Rows, Optimizer = Optimizers.AdamW(1e-2) };

    private static EveryLayer Trained(int seed = 1, int steps = 6)
    {
        var model = new EveryLayer(seed);
        CheckpointFiles.Train(model.CreateTrainer(Options), 0, steps);
        return model;
    }

    private static EveryLayerDouble TrainedDouble(int seed = 1, int steps = 6)
    {
        var model = new EveryLayerDouble(seed);
        CheckpointFiles.Train(model.CreateTrainer(Options), 0, steps);
        return model;
    }

    [Fact]
    public void Tensor_names_and_shapes_are_those_of_the_equivalent_PyTorch_state_dict()
    {
        (string, string)[] expected =
        [
            ("Hidden.weight", "[8, 6]"), ("Hidden.bias", "[8]"),
            ("Ln.weight", "[8]"), ("Ln.bias", "[8]"),
            ("Rms.weight", "[8]"),
            ("Batch.weight", "[8]"), ("Batch.bias", "[8]"), ("Batch.running_mean", "[8]"), ("Batch.running_var", "[8]"), ("Batch.num_batches_tracked", "[]"),
            ("Pre.0.norm.weight", "[8]"), ("Pre.0.norm.bias", "[8]"), ("Pre.0.up.weight", "[8, 8]"), ("Pre.0.up.bias", "[8]"),
            ("Pre.0.down.weight", "[8, 8]"), ("Pre.0.down.bias", "[8]"), ("Pre.0.alpha", "[1]"),
            ("Pre.1.norm.weight", "[8]"), ("Pre.1.norm.bias", "[8]"), ("Pre.1.up.weight", "[8, 8]"), ("Pre.1.up.bias", "[8]"),
            ("Pre.1.down.weight", "[8, 8]"), ("Pre.1.down.bias", "[8]"), ("Pre.1.alpha", "[1]"),
            ("Plain.0.norm.weight", "[8]"), ("Plain.0.up.weight", "[8, 8]"), ("Plain.0.up.bias", "[8]"), ("Plain.0.down.weight", "[8, 8]"), ("Plain.0.down.bias", "[8]"),
            ("Post.0.norm.weight", "[8]"), ("Post.0.norm.bias", "[8]"), ("Post.0.norm.running_mean", "[8]"), ("Post.0.norm.running_var", "[8]"),
            ("Post.0.norm.num_batches_tracked", "[]"), ("Post.0.up.weight", "[12, 8]"), ("Post.0.up.bias", "[12]"), ("Post.0.down.weight", "[8, 12]"), ("Post.0.down.bias", "[8]"),
            ("PostScaled.0.norm.weight", "[8]"), ("PostScaled.0.norm.bias", "[8]"), ("PostScaled.0.up.weight", "[8, 8]"), ("PostScaled.0.up.bias", "[8]"),
            ("PostScaled.0.down.weight", "[8, 8]"), ("PostScaled.0.down.bias", "[8]"), ("PostScaled.0.alpha", "[1]"),
            ("Logits.weight", "[3, 8]"), ("Logits.bias", "[3]"),
        ];
        var entries = CheckpointFiles.Entries(new EveryLayer(1).SaveToBytes()).ToList();
        Assert.Equal(expected.OrderBy(e => e.Item1, StringComparer.Ordinal), entries.Select(e => (e.Name, e.Shape)).OrderBy(e => e.Name, StringComparer.Ordinal));
        Assert.All(entries, e => Assert.Equal(e.Name.EndsWith(".num_batches_tracked", StringComparison.Ordinal) ? SafeTensorsDType.I64 : SafeTensorsDType.F32, e.DType));
        Assert.All(CheckpointFiles.Entries(new EveryLayerDouble(1).SaveToBytes()),
            e => Assert.Equal(e.Name.EndsWith(".num_batches_tracked", StringComparison.Ordinal) ? SafeTensorsDType.I64 : SafeTensorsDType.F64, e.DType));
    }

    [Fact]
    public void The_weight_tensor_is_the_layer_view_out_by_in_and_the_metadata_says_pt_and_the_architecture_without_element_type()
    {
        EveryLayer model = Trained();
        var file = SafeTensorsFile.Parse(model.SaveToBytes());
        var weight = new float[8 * 12];
        file.CopyTo<float>("Post.0.down.weight", weight);
        Assert.Equal(MemoryMarshal.AsBytes(model.Post[0].Down.Weights).ToArray(), MemoryMarshal.AsBytes(weight.AsSpan()).ToArray());
        var alpha = new float[1];
        file.CopyTo<float>("PostScaled.0.alpha", alpha);
        Assert.Equal(model.PostScaled[0].Scale[0], alpha[0]);
        Assert.NotEqual(0, alpha[0]); // trained: the test would not see a swapped offset at its initial 0
        var mean = new float[8];
        file.CopyTo<float>("Post.0.norm.running_mean", mean);
        Assert.Equal(model.Post[0].Norm.RunningMean.ToArray(), mean);

        Assert.Equal("pt", file.Metadata["format"]);
        Assert.False(string.IsNullOrEmpty(file.Metadata["chainrule_version"]));
        string architecture = file.Metadata["architecture"];
        Assert.StartsWith("Hidden: Dense(6→8, Gelu) → Ln: LayerNorm(8)", architecture, StringComparison.Ordinal);
        Assert.EndsWith("→ Logits: Dense(8→3) → SoftmaxCrossEntropy", architecture, StringComparison.Ordinal);
        Assert.Equal(architecture, SafeTensorsFile.Parse(new EveryLayerDouble(1).SaveToBytes()).Metadata["architecture"]);
        Assert.DoesNotContain("float", architecture, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_layer_kind_round_trips_in_float_bit_for_bit()
    {
        EveryLayer trained = Trained();
        string path = Path.Combine(Path.GetTempPath(), $"chainrule-roundtrip-{Guid.NewGuid():N}.safetensors");
        try
        {
            trained.Save(path);
            var fresh = new EveryLayer(seed: 2);
            Assert.NotEqual(Bits(trained.Parameters), Bits(fresh.Parameters));
            fresh.Load(path);
            Assert.Equal(Bits(trained.Parameters), Bits(fresh.Parameters));
            Assert.Equal(Bits(CheckpointFiles.Predict(trained)), Bits(CheckpointFiles.Predict(fresh)));
            Assert.Equal(trained.SaveToBytes(), fresh.SaveToBytes()); // statistics and num_batches_tracked too
            Assert.Equal(trained.Batch.RunningVariance.ToArray(), fresh.Batch.RunningVariance.ToArray());
            Assert.Equal(6, BatchesTracked(fresh.SaveToBytes(), "Post.0.norm.num_batches_tracked"));

            var fromBytes = new EveryLayer(seed: 3);
            fromBytes.Load(trained.SaveToBytes().AsSpan());
            Assert.Equal(Bits(CheckpointFiles.Predict(trained)), Bits(CheckpointFiles.Predict(fromBytes)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Every_layer_kind_round_trips_in_double_bit_for_bit()
    {
        EveryLayerDouble trained = TrainedDouble();
        var fresh = new EveryLayerDouble(seed: 2);
        Assert.NotEqual(Bits(trained.Parameters), Bits(fresh.Parameters));
        fresh.Load(trained.SaveToBytes());
        Assert.Equal(Bits(trained.Parameters), Bits(fresh.Parameters));
        Assert.Equal(Bits(CheckpointFiles.Predict(trained)), Bits(CheckpointFiles.Predict(fresh)));
        Assert.Equal(trained.SaveToBytes(), fresh.SaveToBytes());
        Assert.Equal(6, BatchesTracked(fresh.SaveToBytes(), "Batch.num_batches_tracked"));
    }

    [Fact]
    public void A_double_checkpoint_loads_into_a_float_model_rounded_and_a_float_one_into_a_double_model_exactly()
    {
        EveryLayerDouble trained = TrainedDouble();
        var single = new EveryLayer(seed: 2);
        single.Load(trained.SaveToBytes());
        double[] parameters = trained.Parameters.ToArray();
        Assert.Equal(parameters.Select(p => (float)p).ToArray(), single.Parameters.ToArray());
        Assert.Equal(trained.Batch.RunningMean.ToArray().Select(p => (float)p).ToArray(), single.Batch.RunningMean.ToArray());

        var back = new EveryLayerDouble(seed: 3);
        back.Load(single.SaveToBytes());
        Assert.Equal(single.Parameters.ToArray().Select(p => (double)p).ToArray(), back.Parameters.ToArray());
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void A_half_precision_checkpoint_loads_into_float_and_double_models_exactly(string dtype)
    {
        byte[] half = HalfPrecision(Trained().SaveToBytes(), dtype, out float[] rounded);
        var single = new EveryLayer(seed: 2);
        single.Load(half);
        Assert.Equal(rounded, single.Parameters.ToArray());
        var precise = new EveryLayerDouble(seed: 2);
        precise.Load(half);
        Assert.Equal(rounded.Select(v => (double)v).ToArray(), precise.Parameters.ToArray());
    }

    /// <summary>
    /// The file with every float tensor as F16 or BF16 (written by hand: the writer writes F32, F64 and I64), and the
    /// model's parameters as those halves read back, in parameter order.
    /// </summary>
    private static byte[] HalfPrecision(byte[] checkpoint, string dtype, out float[] parameters)
    {
        var file = SafeTensorsFile.Parse(checkpoint);
        var header = new System.Text.StringBuilder("{");
        var data = new List<byte>();
        var roundedByName = new Dictionary<string, float[]>();
        foreach (SafeTensorInfo tensor in file.Tensors)
        {
            byte[] bytes;
            string type = dtype;
            if (tensor.DType == SafeTensorsDType.I64)
            {
                var counts = new long[tensor.ElementCount];
                file.CopyInt64To(tensor.Name, counts);
                bytes = [.. counts.SelectMany(BitConverter.GetBytes)];
                type = "I64";
            }
            else
            {
                var values = new float[tensor.ElementCount];
                file.CopyTo<float>(tensor.Name, values);
                float[] rounded = dtype == "F16"
                    ? [.. values.Select(v => (float)(Half)v)]
                    : [.. values.Select(v => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(v) & unchecked((int)0xFFFF_0000)))];
                roundedByName[tensor.Name] = rounded;
                bytes = dtype == "F16"
                    ? [.. rounded.SelectMany(v => BitConverter.GetBytes((Half)v))]
                    : [.. rounded.SelectMany(v => BitConverter.GetBytes(BitConverter.SingleToInt32Bits(v)).Skip(2))];
            }
            header.Append(header.Length > 1 ? "," : "")
                .Append($"\"{tensor.Name}\":{{\"dtype\":\"{type}\",\"shape\":[{string.Join(",", tensor.Shape)}],\"data_offsets\":[{data.Count},{data.Count + bytes.Length}]}}");
            data.AddRange(bytes);
        }
        byte[] json = System.Text.Encoding.UTF8.GetBytes(header.Append('}').ToString());
        parameters = new float[EveryLayer.ParameterCount];
        var layout = new EveryLayer(seed: 1);
        // Where each tensor sits in Parameters: find it through the model's own checkpoint of a recognisable buffer.
        for (int i = 0; i < parameters.Length; i++)
            layout.Parameters[i] = i;
        var positions = SafeTensorsFile.Parse(layout.SaveToBytes());
        foreach (var (name, rounded) in roundedByName)
        {
            if (name.Contains("running_", StringComparison.Ordinal))
                continue;
            var index = new float[rounded.Length];
            positions.CopyTo<float>(name, index);
            for (int i = 0; i < rounded.Length; i++)
                parameters[(int)index[i]] = rounded[i];
        }
        return [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data];
    }

    [Fact]
    public void A_model_loads_the_model_part_of_a_trainer_checkpoint()
    {
        var model = new EveryLayer(1);
        var trainer = model.CreateTrainer(Options);
        CheckpointFiles.Train(trainer, 0, 4);
        byte[] file = trainer.SaveToBytes();
        Assert.Contains(CheckpointFiles.Entries(file), e => e.Name == "optimizer/exp_avg/Hidden.weight");
        var deployed = new EveryLayer(seed: 9);
        deployed.Load(file);
        Assert.Equal(model.SaveToBytes(), deployed.SaveToBytes());
    }

    [Fact]
    public void Another_shape_names_the_tensor_and_both_shapes()
    {
        var error = Assert.Throws<InvalidDataException>(() => new EveryLayerWiderPost(1).Load(Trained().SaveToBytes()));
        Assert.Equal("checkpoint: tensor 'Post.0.up.weight': the file has shape [12, 8], this model expects [16, 8].", error.Message);
    }

    [Fact]
    public void Same_tensors_but_another_activation_is_refused_with_both_architectures()
    {
        var model = new EveryLayerOtherActivation(1);
        byte[] before = model.SaveToBytes();
        var error = Assert.Throws<InvalidDataException>(() => model.Load(Trained().SaveToBytes()));
        Assert.Contains("another architecture", error.Message, StringComparison.Ordinal);
        Assert.Contains("The file's: Hidden: Dense(6→8, Gelu)", error.Message, StringComparison.Ordinal);
        Assert.Contains("This model's: Hidden: Dense(6→8, ReLU)", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, model.SaveToBytes());
    }

    [Fact]
    public void A_file_without_ChainRule_metadata_loads_on_names_and_shapes()
    {
        EveryLayer trained = Trained();
        byte[] bare = CheckpointFiles.Rewrite(trained.SaveToBytes(), metadata: m => m.Clear());
        Assert.Empty(SafeTensorsFile.Parse(bare).Metadata);
        var model = new EveryLayerOtherActivation(2); // no architecture to compare: names and shapes fit
        model.Load(bare);
        Assert.Equal(Bits(trained.Parameters), Bits(model.Parameters));
    }

    [Theory]
    [InlineData("missing", "checkpoint: tensor 'Pre.1.alpha' is missing from the file.")]
    [InlineData("extra", "checkpoint: the file has tensor 'Pre.2.alpha', which this model does not have.")]
    [InlineData("nan", "safetensors: tensor 'Post.0.down.weight' element 5 is not finite as a float (NaN).")]
    [InlineData("overflow", "safetensors: tensor 'Logits.bias' element 1 is not finite as a float (1E+300).")]
    [InlineData("variance", "checkpoint: tensor 'Batch.running_var' element 2 is negative (-0.5).")]
    [InlineData("count", "checkpoint: tensor 'Batch.num_batches_tracked' is -1; a count of batches cannot be negative.")]
    public void A_checkpoint_that_does_not_fit_names_the_tensor_and_changes_nothing(string problem, string message)
    {
        byte[] good = Trained().SaveToBytes();
        byte[] bad = problem switch
        {
            "missing" => CheckpointFiles.Rewrite(good, (name, values) => name == "Pre.1.alpha" ? null : values),
            "extra" => CheckpointFiles.Rewrite(good, extra: ("Pre.2.alpha", [0.5])),
            "nan" => CheckpointFiles.Rewrite(good, (name, values) => Edit(name, values, "Post.0.down.weight", 5, double.NaN)),
            "overflow" => CheckpointFiles.Rewrite(good, (name, values) => Edit(name, values, "Logits.bias", 1, 1e300)),
            "variance" => CheckpointFiles.Rewrite(good, (name, values) => Edit(name, values, "Batch.running_var", 2, -0.5)),
            _ => CheckpointFiles.Rewrite(good, (name, values) => Edit(name, values, "Batch.num_batches_tracked", 0, -1)),
        };
        var model = new EveryLayer(seed: 5);
        byte[] before = model.SaveToBytes();
        float[] predictionBefore = CheckpointFiles.Predict(model);
        var error = Assert.Throws<InvalidDataException>(() => model.Load(bad));
        Assert.Equal(message, error.Message);
        Assert.Equal(before, model.SaveToBytes());
        Assert.Equal(Bits(predictionBefore), Bits(CheckpointFiles.Predict(model)));
    }

    [Fact]
    public void Num_batches_tracked_counts_kept_training_forwards_only()
    {
        var model = new EveryLayer(1);
        var trainer = model.CreateTrainer(Options);
        CheckpointFiles.Train(trainer, 0, 3);
        Assert.Equal(3, BatchesTracked(model.SaveToBytes(), "Batch.num_batches_tracked"));
        var (inputs, labels) = CheckpointFiles.Batch<float>(3);
        trainer.ComputeGradients(inputs, labels);
        Assert.Equal(4, BatchesTracked(model.SaveToBytes(), "Post.0.norm.num_batches_tracked"));
        trainer.Evaluate(inputs, labels);
        model.PredictBatch(inputs, new float[CheckpointFiles.Rows * EveryLayer.OutputSize]);
        Assert.Equal(4, BatchesTracked(model.SaveToBytes(), "Batch.num_batches_tracked"));
    }

    private static double[] Edit(string name, double[] values, string target, int index, double value)
    {
        if (name == target)
            values[index] = value;
        return values;
    }

    internal static long BatchesTracked(byte[] checkpoint, string name)
    {
        var value = new long[1];
        SafeTensorsFile.Parse(checkpoint).CopyInt64To(name, value);
        return value[0];
    }

    private static byte[] Bits<T>(ReadOnlySpan<T> values) where T : unmanaged => MemoryMarshal.AsBytes(values).ToArray();

    private static byte[] Bits<T>(T[] values) where T : unmanaged => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
