using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace ChainRule.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST: a magic number <c>00 00 08 n</c> (unsigned bytes,
/// <c>n</c> dimensions), <c>n</c> big-endian 32-bit sizes, then the elements row-major. Gzip-compressed files (as
/// the data sets are distributed) are recognized by their content, not their name.
/// </summary>
/// <remarks>
/// A file that is truncated, has trailing bytes, has a wrong magic number, an element type other than unsigned
/// bytes, or dimensions other than the ones asked for throws <see cref="InvalidDataException"/> naming the file and
/// what was expected.
/// </remarks>
public static class Idx
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads any unsigned-byte IDX array.</summary>
    /// <param name="path">The file, gzip-compressed or not.</param>
    /// <returns>The array's dimensions and elements.</returns>
    /// <exception cref="InvalidDataException">The file is not a complete unsigned-byte IDX file.</exception>
    public static IdxArray Read(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file, path);
    }

    /// <summary>Reads any unsigned-byte IDX array from a stream; a seekable stream may be gzip-compressed.</summary>
    /// <param name="stream">The stream, read to its end.</param>
    /// <param name="name">How errors name the source, e.g. its file name.</param>
    /// <returns>The array's dimensions and elements.</returns>
    /// <exception cref="InvalidDataException">The stream is not a complete unsigned-byte IDX array.</exception>
    public static IdxArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek && IsGzip(stream))
        {
            using var unzipped = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
            return ReadRaw(unzipped, name);
        }
        return ReadRaw(stream, name);
    }

    /// <summary>Reads a <c>(count, rows, columns)</c> image file and scales each pixel to <c>[0, 1]</c> (÷ 255), as torchvision's <c>ToTensor</c> does.</summary>
    /// <param name="path">The file, gzip-compressed or not.</param>
    /// <returns>The images.</returns>
    /// <exception cref="InvalidDataException">The file is not a complete 3-dimensional unsigned-byte IDX file.</exception>
    public static IdxImages ReadImages(string path)
    {
        IdxArray array = Read(path);
        if (array.Dimensions.Count != 3)
            throw new InvalidDataException($"{path} holds a {array.Dimensions.Count}-dimensional array ({array.Shape}); images need 3 dimensions (count, rows, columns).");
        var pixels = new float[array.Data.Length];
        for (int i = 0; i < pixels.Length; i++)
            pixels[i] = array.Data[i] * (1f / 255f);
        return new IdxImages(array.Dimensions[0], array.Dimensions[1], array.Dimensions[2], pixels);
    }

    /// <summary>Reads a <c>(count)</c> label file.</summary>
    /// <param name="path">The file, gzip-compressed or not.</param>
    /// <returns>Each sample's label.</returns>
    /// <exception cref="InvalidDataException">The file is not a complete 1-dimensional unsigned-byte IDX file.</exception>
    public static int[] ReadLabels(string path)
    {
        IdxArray array = Read(path);
        if (array.Dimensions.Count != 1)
            throw new InvalidDataException($"{path} holds a {array.Dimensions.Count}-dimensional array ({array.Shape}); labels need 1 dimension (count).");
        var labels = new int[array.Data.Length];
        for (int i = 0; i < labels.Length; i++)
            labels[i] = array.Data[i];
        return labels;
    }

    /// <summary>Reads an image file and its label file and checks that they hold as many samples.</summary>
    /// <param name="imagesPath">The <c>(count, rows, columns)</c> images.</param>
    /// <param name="labelsPath">The <c>(count)</c> labels.</param>
    /// <returns>The images and their labels.</returns>
    /// <exception cref="InvalidDataException">Either file is malformed, or their counts differ.</exception>
    public static (IdxImages Images, int[] Labels) ReadLabeledImages(string imagesPath, string labelsPath)
    {
        IdxImages images = ReadImages(imagesPath);
        int[] labels = ReadLabels(labelsPath);
        if (labels.Length != images.Count)
            throw new InvalidDataException($"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels.");
        return (images, labels);
    }

    private static bool IsGzip(Stream stream)
    {
        long start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        int read = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    private static IdxArray ReadRaw(Stream stream, string name)
    {
        Span<byte> header = stackalloc byte[4];
        ReadExactly(stream, header, name, "the 4-byte magic number");
        if (header[0] != 0 || header[1] != 0)
            throw new InvalidDataException($"{name} is not an IDX file: it starts {header[0]:x2} {header[1]:x2} {header[2]:x2} {header[3]:x2}, where an IDX magic number starts 00 00.");
        if (header[2] != UnsignedByte)
            throw new InvalidDataException($"{name} holds elements of IDX type 0x{header[2]:x2}; only unsigned bytes (0x08, as in MNIST and Fashion-MNIST) are supported.");
        int rank = header[3];
        if (rank == 0)
            throw new InvalidDataException($"{name} declares 0 dimensions; an IDX array needs at least one.");

        var dimensions = new int[rank];
        Span<byte> size = stackalloc byte[4];
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            ReadExactly(stream, size, name, $"the size of dimension {d} of {rank}");
            uint value = BinaryPrimitives.ReadUInt32BigEndian(size);
            count *= value;
            if (value > int.MaxValue || count > Array.MaxLength)
                throw new InvalidDataException($"{name} declares dimension {d} as {value}, making more elements than an array can hold.");
            dimensions[d] = (int)value;
        }

        var array = new IdxArray(dimensions, new byte[count]);
        int read = stream.ReadAtLeast(array.Data, array.Data.Length, throwOnEndOfStream: false);
        if (read < array.Data.Length)
            throw new InvalidDataException($"{name} is truncated: its header declares ({array.Shape}) = {array.Data.Length} bytes of data, but only {read} follow.");
        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"{name} has bytes past the ({array.Shape}) = {array.Data.Length} its header declares.");
        return array;
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string name, string what)
    {
        if (stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false) < buffer.Length)
            throw new InvalidDataException($"{name} is truncated: it ends inside {what}.");
    }
}

/// <summary>One array from an IDX file: its dimensions, outermost first, and its elements row-major.</summary>
public sealed class IdxArray
{
    internal IdxArray(int[] dimensions, byte[] data)
    {
        Dimensions = dimensions;
        Data = data;
    }

    /// <summary>The size of each dimension, outermost first: <c>(count, rows, columns)</c> for images, <c>(count)</c> for labels.</summary>
    public System.Collections.Generic.IReadOnlyList<int> Dimensions { get; }

    /// <summary>Every element, row-major.</summary>
    public byte[] Data { get; }

    /// <summary>The dimensions as text, e.g. <c>60000 × 28 × 28</c>.</summary>
    public string Shape => string.Join(" × ", Dimensions);
}

/// <summary>Images read by <see cref="Idx.ReadImages"/>: <see cref="Count"/> images of <see cref="Rows"/> × <see cref="Columns"/> pixels in <c>[0, 1]</c>.</summary>
public sealed class IdxImages
{
    internal IdxImages(int count, int rows, int columns, float[] pixels)
    {
        Count = count;
        Rows = rows;
        Columns = columns;
        Pixels = pixels;
    }

    /// <summary>Number of images.</summary>
    public int Count { get; }

    /// <summary>Rows of each image.</summary>
    public int Rows { get; }

    /// <summary>Columns of each image.</summary>
    public int Columns { get; }

    /// <summary>Pixels per image, <see cref="Rows"/> × <see cref="Columns"/>: a model's input width.</summary>
    public int Width => Rows * Columns;

    /// <summary>Every image, row-major, <c>(Count, Rows × Columns)</c>.</summary>
    public float[] Pixels { get; }

    /// <summary>One image's pixels, <c>(Rows × Columns)</c>.</summary>
    /// <param name="index">The image, in <c>[0, Count)</c>.</param>
    /// <returns>A view into <see cref="Pixels"/>.</returns>
    public ReadOnlySpan<float> Image(int index) => Pixels.AsSpan(checked(index * Width), Width);
}
