using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;

namespace DigitClassifier;

/// <summary>The 8x8 digits embedded in this program, pixels scaled from 0..16 to 0..1.</summary>
internal sealed class Digits
{
    public const int Pixels = 64;
    public const int Classes = 10;

    private Digits(float[] images, int[] labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>Row-major images, <c>(Count, 64)</c>.</summary>
    public float[] Images { get; }

    public int[] Labels { get; }

    public int Count => Labels.Length;

    public ReadOnlySpan<float> Image(int index) => Images.AsSpan(index * Pixels, Pixels);

    public static Digits LoadEmbedded()
    {
        using Stream compressed = typeof(Digits).Assembly.GetManifestResourceStream("digits.csv.gz")
            ?? throw new InvalidOperationException("The embedded resource digits.csv.gz is missing from the build.");
        using var reader = new StreamReader(new GZipStream(compressed, CompressionMode.Decompress));
        var images = new List<float>();
        var labels = new List<int>();
        int lineNumber = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            string[] fields = line.Split(',');
            if (fields.Length != Pixels + 1)
                throw new InvalidDataException($"digits.csv line {lineNumber} has {fields.Length} fields; expected {Pixels} pixels and a label.");
            for (int i = 0; i < Pixels; i++)
                images.Add(float.Parse(fields[i], CultureInfo.InvariantCulture) / 16f);
            labels.Add(int.Parse(fields[Pixels], CultureInfo.InvariantCulture));
        }
        return new Digits(images.ToArray(), labels.ToArray());
    }

    /// <summary>
    /// The split both samples use: the embedded digits shuffled with seed 42, the last 20% held out. The AOT inference
    /// sample predicts the same held-out digits as the trainer, in the same order.
    /// </summary>
    public static (Digits Train, Digits HeldOut) LoadSplit() => LoadEmbedded().Split(heldOutFraction: 0.2, seed: 42);

    /// <summary>Shuffles with a fixed seed, then splits off the last <paramref name="heldOutFraction"/> as a held-out set.</summary>
    public (Digits Train, Digits HeldOut) Split(double heldOutFraction, int seed)
    {
        int[] order = new int[Count];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        new Random(seed).Shuffle(order);
        int heldOut = (int)Math.Round(Count * heldOutFraction);
        return (Subset(order.AsSpan(0, Count - heldOut)), Subset(order.AsSpan(Count - heldOut)));
    }

    private Digits Subset(ReadOnlySpan<int> indices)
    {
        var images = new float[indices.Length * Pixels];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Image(indices[i]).CopyTo(images.AsSpan(i * Pixels, Pixels));
            labels[i] = Labels[indices[i]];
        }
        return new Digits(images, labels);
    }
}
