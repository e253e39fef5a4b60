using System;
using System.Globalization;

namespace DigitClassifier;

/// <summary>
/// One line that pins down what a trained classifier answers on the held-out digits: how many of its batch-1
/// predictions are right, and a 64-bit FNV-1a hash of the bits of every logit. The trainer prints it; the AOT inference
/// sample computes it again from the checkpoint it loaded and fails unless the two are equal, so a checkpoint that
/// lost or changed a single bit of a parameter cannot pass. The bits agree only between programs that run the same
/// kernel widths (both binaries here are compiled for the same instruction set; see samples/AotInference/README.md).
/// </summary>
internal static class Fingerprint
{
    /// <summary>The fingerprint of <paramref name="logits"/>, <c>(labels.Length, Classifier.OutputSize)</c>: <c>correct/count:hash</c>.</summary>
    public static string Of(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels)
    {
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(i * Classifier.OutputSize, Classifier.OutputSize)) == labels[i])
                correct++;
        }
        // FNV-1a over the little-endian bytes of each value's bits: -0 and 0, or two NaN payloads, hash differently.
        ulong hash = 0xCBF29CE484222325UL;
        foreach (float value in logits)
        {
            uint bits = BitConverter.SingleToUInt32Bits(value);
            for (int b = 0; b < 4; b++, bits >>= 8)
                hash = (hash ^ (bits & 0xFF)) * 0x100000001B3UL;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{correct}/{labels.Length}:{hash:x16}");
    }

    /// <summary>Batch-1 <c>Predict</c> of every held-out digit, one after the other on the calling thread, into <paramref name="logits"/>.</summary>
    public static void PredictEach(Classifier model, Digits data, Span<float> logits)
    {
        for (int i = 0; i < data.Count; i++)
            model.Predict(data.Image(i), logits.Slice(i * Classifier.OutputSize, Classifier.OutputSize));
    }
}
