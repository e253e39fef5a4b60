using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using ChainRule.Data;
using Xunit;

namespace ChainRule.Tests.Data;

public sealed class IdxTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("chainrule-idx-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An IDX file as the format defines it: 00 00 type rank, big-endian sizes, then the elements.</summary>
    private static byte[] IdxBytes(byte type, int[] dimensions, byte[] data)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + data.Length];
        bytes[2] = type;
        bytes[3] = (byte)dimensions.Length;
        for (int d = 0; d < dimensions.Length; d++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dimensions[d]);
        data.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var memory = new MemoryStream();
        using (var zip = new GZipStream(memory, CompressionLevel.Fastest, leaveOpen: true))
            zip.Write(bytes);
        return memory.ToArray();
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    // Two 2×3 images whose pixels are their own row-major index, and labels 7 and 3.
    private static readonly byte[] ImageData = [0, 1, 2, 3, 4, 255, 10, 20, 30, 40, 50, 60];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_and_labels_plain_or_gzipped_by_content(bool gzip)
    {
        byte[] images = IdxBytes(0x08, [2, 2, 3], ImageData);
        byte[] labels = IdxBytes(0x08, [2], [7, 3]);
        // The gzipped files are named without .gz: the format is recognized by content.
        string imagesPath = Write("images.idx", gzip ? Gzip(images) : images);
        string labelsPath = Write("labels.idx", gzip ? Gzip(labels) : labels);

        var (read, readLabels) = Idx.ReadLabeledImages(imagesPath, labelsPath);

        Assert.Equal((2, 2, 3, 6), (read.Count, read.Rows, read.Columns, read.Width));
        Assert.Equal([7, 3], readLabels);
        for (int i = 0; i < ImageData.Length; i++)
            Assert.Equal(ImageData[i] / 255f, read.Pixels[i], 6);
        Assert.Equal(1f, read.Image(0)[5]);
        Assert.Equal(10 / 255f, read.Image(1)[0], 6);
        Assert.Equal([2, 2, 3], Idx.Read(imagesPath).Dimensions);
    }

    [Fact]
    public void Truncated_data_names_the_file_and_both_lengths()
    {
        byte[] whole = IdxBytes(0x08, [2, 2, 3], ImageData);
        string path = Write("short.idx", whole.AsSpan(0, whole.Length - 5).ToArray());

        var error = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.Contains("2 × 2 × 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("12 bytes", error.Message, StringComparison.Ordinal);
        Assert.Contains("only 7 follow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_gzip_and_truncated_header_are_reported_as_truncated()
    {
        byte[] whole = IdxBytes(0x08, [2, 2, 3], ImageData);
        string header = Write("header.idx", whole.AsSpan(0, 9).ToArray());
        string gzipped = Write("short.gz", Gzip(whole.AsSpan(0, 20).ToArray()));

        Assert.Contains("ends inside the size of dimension 1 of 3", Assert.Throws<InvalidDataException>(() => Idx.Read(header)).Message, StringComparison.Ordinal);
        Assert.Contains("only 4 follow", Assert.Throws<InvalidDataException>(() => Idx.Read(gzipped)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_magic_number_is_not_an_idx_file()
    {
        byte[] bytes = IdxBytes(0x08, [2], [7, 3]);
        bytes[1] = 0x42;
        string path = Write("csv.idx", bytes);

        var error = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(path));

        Assert.Contains("is not an IDX file", error.Message, StringComparison.Ordinal);
        Assert.Contains("00 42 08 01", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Element_types_other_than_unsigned_bytes_are_named()
    {
        string path = Write("floats.idx", IdxBytes(0x0D, [1], [0, 0, 0, 0]));

        var error = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Contains("type 0x0d", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wrong_dimensions_say_what_the_file_holds_and_what_was_needed()
    {
        string labels = Write("labels.idx", IdxBytes(0x08, [2], [7, 3]));
        string images = Write("images.idx", IdxBytes(0x08, [2, 2, 3], ImageData));
        string threeLabels = Write("three.idx", IdxBytes(0x08, [3], [1, 2, 3]));

        var asImages = Assert.Throws<InvalidDataException>(() => Idx.ReadImages(labels));
        var asLabels = Assert.Throws<InvalidDataException>(() => Idx.ReadLabels(images));
        var mismatch = Assert.Throws<InvalidDataException>(() => Idx.ReadLabeledImages(images, threeLabels));

        Assert.Contains("1-dimensional array (2); images need 3 dimensions", asImages.Message, StringComparison.Ordinal);
        Assert.Contains("3-dimensional array (2 × 2 × 3); labels need 1 dimension", asLabels.Message, StringComparison.Ordinal);
        Assert.Contains("holds 2 images but", mismatch.Message, StringComparison.Ordinal);
        Assert.Contains("holds 3 labels", mismatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_past_the_declared_data_are_an_error()
    {
        byte[] bytes = IdxBytes(0x08, [2], [7, 3, 9]);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 2);
        string path = Write("long.idx", bytes);

        Assert.Contains("bytes past", Assert.Throws<InvalidDataException>(() => Idx.Read(path)).Message, StringComparison.Ordinal);
    }
}
