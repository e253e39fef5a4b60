using System;
using System.Collections.Generic;
using System.Linq;
using ChainRule.Serialization;

namespace ChainRule.Tests.Serialization;

/// <summary>Helpers for checkpoint tests: deterministic batches, short training runs and edited copies of files.</summary>
internal static class CheckpointFiles
{
    public const int Rows = 8;

    /// <summary>The batch of step <paramref name="step"/>: the same on every run and in every process.</summary>
    public static (T[] Inputs, int[] Labels) Batch<T>(int step)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var random = new Random(1000 + step);
        var inputs = new T[Rows * EveryLayer.InputSize];
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = T.CreateTruncating(random.NextDouble() * 4 - 2);
        var labels = new int[Rows];
        for (int i = 0; i < Rows; i++)
            labels[i] = random.Next(EveryLayer.OutputSize);
        return (inputs, labels);
    }

    /// <summary>Inputs to compare predictions on.</summary>
    public static T[] Probe<T>()
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => Batch<T>(-1).Inputs;

    public static void Train(EveryLayer.Trainer trainer, int from, int steps, List<float>? losses = null)
    {
        for (int step = from; step < from + steps; step++)
        {
            var (inputs, labels) = Batch<float>(step);
            float loss = trainer.Step(inputs, labels);
            losses?.Add(loss);
        }
    }

    public static void Train(EveryLayerDouble.Trainer trainer, int from, int steps, List<double>? losses = null)
    {
        for (int step = from; step < from + steps; step++)
        {
            var (inputs, labels) = Batch<double>(step);
            double loss = trainer.Step(inputs, labels);
            losses?.Add(loss);
        }
    }

    public static float[] Predict(EveryLayer model)
    {
        float[] probe = Probe<float>();
        var outputs = new float[Rows * EveryLayer.OutputSize];
        model.PredictBatch(probe, outputs);
        return outputs;
    }

    public static double[] Predict(EveryLayerDouble model)
    {
        double[] probe = Probe<double>();
        var outputs = new double[Rows * EveryLayerDouble.OutputSize];
        model.PredictBatch(probe, outputs);
        return outputs;
    }

    /// <summary>
    /// A copy of <paramref name="file"/> through the writer: every tensor as F64 (or I64), edited by <paramref name="edit"/>
    /// (return <c>null</c> to drop a tensor), plus <paramref name="extra"/>, with the metadata edited by <paramref name="metadata"/>.
    /// </summary>
    public static byte[] Rewrite(byte[] file, Func<string, double[], double[]?>? edit = null,
        Action<Dictionary<string, string>>? metadata = null, (string Name, double[] Values)? extra = null)
    {
        var parsed = SafeTensorsFile.Parse(file);
        var writer = new SafeTensorsWriter();
        var entries = parsed.Metadata.ToDictionary(pair => pair.Key, pair => pair.Value);
        metadata?.Invoke(entries);
        foreach (var (key, value) in entries)
            writer.AddMetadata(key, value);
        foreach (SafeTensorInfo tensor in parsed.Tensors)
        {
            long[] shape = [.. tensor.Shape];
            if (tensor.DType == SafeTensorsDType.I64)
            {
                var counts = new long[tensor.ElementCount];
                parsed.CopyInt64To(tensor.Name, counts);
                double[] asDouble = [.. counts.Select(c => (double)c)];
                double[]? edited = edit is null ? asDouble : edit(tensor.Name, asDouble);
                if (edited is null)
                    continue;
                writer.AddInt64(tensor.Name, shape, edited.Select(v => (long)v).ToArray());
                continue;
            }
            var values = new double[tensor.ElementCount];
            parsed.CopyTo<double>(tensor.Name, values);
            double[]? result = edit is null ? values : edit(tensor.Name, values);
            if (result is null)
                continue;
            writer.Add(tensor.Name, shape, result);
        }
        if (extra is { } added)
            writer.Add(added.Name, [added.Values.Length], added.Values);
        return writer.ToArray();
    }

    /// <summary>Every tensor of a file as (name, dtype, shape), in the file's data order.</summary>
    public static IEnumerable<(string Name, SafeTensorsDType DType, string Shape)> Entries(byte[] file) =>
        SafeTensorsFile.Parse(file).Tensors.Select(t => (t.Name, t.DType, "[" + string.Join(", ", t.Shape) + "]"));
}
