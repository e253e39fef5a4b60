using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using ChainRule.Serialization;
using Xunit;

namespace ChainRule.Tests.Serialization;

public class SafeTensorsTests
{
    [Fact]
    public void F32_and_F64_tensors_and_metadata_round_trip_bit_for_bit()
    {
        float[] weight = [1f, -0f, float.Epsilon, float.MaxValue, 0.1f, float.NaN, -3.5f, 1e-30f, 7f, 8f, 9f, 10f];
        double[] bias = [Math.PI, -0.0, double.Epsilon, 1e300, -2.5];
        var writer = new SafeTensorsWriter();
        writer.Add("Hidden.weight", [3, 4], weight);
        writer.Add("Hidden.bias", [5], bias);
        writer.Add("scale", [], [2.5f]);
        writer.AddMetadata("architecture", "Dense(4→3) · ünïcode");
        writer.AddMetadata("format", "pt");
        byte[] bytes = writer.ToArray();

        var file = SafeTensorsFile.Parse(bytes);
        Assert.Equal(["Hidden.bias", "Hidden.weight", "scale"], [file.Tensors[0].Name, file.Tensors[1].Name, file.Tensors[2].Name]);
        Assert.Equal([3L, 4L], file["Hidden.weight"].Shape);
        Assert.Empty(file["scale"].Shape);
        Assert.Equal(SafeTensorsDType.F64, file["Hidden.bias"].DType);
        Assert.Equal("Dense(4→3) · ünïcode", file.Metadata["architecture"]);
        Assert.Equal("pt", file.Metadata["format"]);

        var readWeight = new float[12];
        file.CopyTo<float>("Hidden.weight", readWeight);
        for (int i = 0; i < weight.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(weight[i]) == BitConverter.SingleToInt32Bits(readWeight[i]), $"weight[{i}]: wrote {weight[i]}, read {readWeight[i]}");
        var readBias = new double[5];
        file.CopyTo<double>("Hidden.bias", readBias);
        for (int i = 0; i < bias.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(bias[i]) == BitConverter.DoubleToInt64Bits(readBias[i]), $"bias[{i}]: wrote {bias[i]}, read {readBias[i]}");
        var widened = new double[12];
        file.CopyTo<double>("Hidden.weight", widened);
        Assert.Equal((double)weight[4], widened[4]);
    }

    [Fact]
    public void The_header_is_space_padded_to_8_bytes_and_F64_data_comes_first()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("a", [3], [1f, 2f, 3f]);
        writer.Add("b", [1], [4.0]);
        byte[] bytes = writer.ToArray();
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.StartsWith("{", header, StringComparison.Ordinal);
        Assert.EndsWith("}", header.TrimEnd(' '), StringComparison.Ordinal);
        Assert.Equal("""{"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[3],"data_offsets":[8,20]}}""", header.TrimEnd(' '));
        Assert.Equal(8 + (int)headerLength + 20, bytes.Length);
    }

    /// <summary>
    /// The example in the format's own documentation: the doc comment of <c>SafeTensors::deserialize</c> in
    /// huggingface/safetensors (safetensors/src/tensor.rs), byte for byte. Its 60-byte header is not padded.
    /// </summary>
    [Fact]
    public void The_example_from_the_safetensors_documentation_parses()
    {
        byte[] bytes = [.. "<\0\0\0\0\0\0\0{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"u8, .. new byte[16]];
        var file = SafeTensorsFile.Parse(bytes);
        var test = Assert.Single(file.Tensors);
        Assert.Equal(new SafeTensorInfo("test", SafeTensorsDType.I32, test.Shape, 4, 0, 16), test);
        Assert.Equal([2L, 2L], test.Shape);
        Assert.Empty(file.Metadata);
        var error = Assert.Throws<InvalidDataException>(() => file.CopyTo<float>("test", new float[4]));
        Assert.Contains("'test'", error.Message, StringComparison.Ordinal);
        Assert.Contains("I32", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Save_replaces_the_file_and_leaves_no_temporary_behind()
    {
        string directory = Directory.CreateTempSubdirectory("chainrule-save-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.safetensors");
            var first = new SafeTensorsWriter();
            first.Add("w", [2], [1f, 2f]);
            first.Save(path);
            var second = new SafeTensorsWriter();
            second.Add("w", [3], [3f, 4f, 5f]);
            second.Save(path);
            Assert.Equal(second.ToArray(), File.ReadAllBytes(path));
            Assert.Equal([path], Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_writer_refuses_bad_entries()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("w", [2], [1f, 2f]);
        Assert.Throws<ArgumentException>(() => writer.Add("w", [1], [1f]));
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", [1], [1f]));
        Assert.Throws<ArgumentException>(() => writer.Add("x", [2, 2], [1f, 2f, 3f]));
        Assert.Throws<ArgumentException>(() => writer.Add("y", [-1], ReadOnlySpan<float>.Empty));
    }

    // ---- hardened loading: each problem is an InvalidDataException naming the tensor and the problem ----

    /// <summary>A file with the given header (padded) and data; offsets are taken as written.</summary>
    private static byte[] Build(string header, int dataBytes = 0, ulong? headerLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    private static void Rejects(byte[] bytes, params string[] inMessage)
    {
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes));
        foreach (string part in inMessage)
            Assert.True(error.Message.Contains(part, StringComparison.Ordinal), $"'{part}' is not in: {error.Message}");
    }

    private const string Good = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}""";

    [Fact]
    public void A_good_file_parses() => Assert.Equal(2, SafeTensorsFile.Parse(Build(Good, 16)).Tensors.Count);

    [Fact]
    public void Truncation_is_refused()
    {
        Rejects(Build(Good, 15), "truncated");
        Rejects(new byte[5], "fewer than the 8");
        Rejects(Build(Good, 17), "1 bytes after");
    }

    [Fact]
    public void A_header_length_beyond_the_file_or_above_the_cap_is_refused()
    {
        Rejects(Build(Good, 16, headerLength: 1000), "header length 1000", "past the end");
        Rejects(Build(Good, 16, headerLength: 100_000_001), "above the limit");
        Rejects(Build(Good, 16, headerLength: ulong.MaxValue), "above the limit");
    }

    [Fact]
    public void Invalid_UTF8_or_JSON_is_refused()
    {
        byte[] bytes = Build(Good.Replace("\"a\"", "\"\u00e9\"", StringComparison.Ordinal), 16);
        bytes[10] = 0xFF; // inside the name: an invalid UTF-8 lead byte
        Rejects(bytes, "UTF-8");
        Rejects(Build(Good[..^1], 16), "JSON");
        Rejects(Build(" " + Good, 16), "'{'");
        Rejects(Build(Good.Replace("\"a\"", "\"\\uD800\"", StringComparison.Ordinal), 16), "Unicode");
        Rejects(Build(Good + "x", 16), "JSON");
    }

    [Fact]
    public void Duplicate_names_are_refused() =>
        Rejects(Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}}""", 16), "'a'", "twice");

    [Fact]
    public void Overlapping_gapped_or_backward_offsets_are_refused()
    {
        Rejects(Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12), "'b'", "overlap");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}""", 20), "'b'", "gap");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12), "'a'", "gap");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}""", 8), "'a'", "end before");
    }

    [Fact]
    public void Overflowing_shapes_and_mismatched_byte_counts_are_refused()
    {
        Rejects(Build("""{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}""", 8), "'a'", "overflows");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,8]}}""", 8), "'a'", "more than 2^63");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8), "'a'", "needs 12 bytes", "hold 8");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8), "'a'", "shape");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}""", 8), "'a'", "shape");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}""", 8), "'a'", "data_offsets");
    }

    [Fact]
    public void Unknown_dtypes_fields_and_missing_fields_are_refused()
    {
        Rejects(Build("""{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", 8), "'a'", "unknown dtype 'F33'");
        Rejects(Build("""{"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}""", 8), "'a'", "unknown dtype");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[2]}}""", 8), "'a'", "missing field 'data_offsets'");
        Rejects(Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"offsets":[0,8]}}""", 8), "'a'", "unknown field");
        Rejects(Build("""{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8), "'a'", "twice");
        Rejects(Build("""{"__metadata__":{"k":1}}"""), "metadata 'k'");
    }

    [Fact]
    public void Non_finite_values_are_refused_when_asked_and_the_destination_is_untouched()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("w", [3], [1f, 2f, float.PositiveInfinity]);
        writer.Add("big", [1], [1e300]);
        var file = SafeTensorsFile.Parse(writer.ToArray());
        float[] destination = [7f, 7f, 7f];
        var error = Assert.Throws<InvalidDataException>(() => file.CopyTo<float>("w", destination, requireFinite: true));
        Assert.Contains("'w' element 2 is not finite", error.Message, StringComparison.Ordinal);
        Assert.Equal([7f, 7f, 7f], destination);
        file.CopyTo<float>("w", destination);
        Assert.Equal([1f, 2f, float.PositiveInfinity], destination);

        float[] narrow = [7f];
        Assert.Contains("as a float", Assert.Throws<InvalidDataException>(() => file.CopyTo<float>("big", narrow, requireFinite: true)).Message, StringComparison.Ordinal);
        Assert.Equal([7f], narrow);
        double[] wide = [7.0];
        file.CopyTo<double>("big", wide, requireFinite: true);
        Assert.Equal([1e300], wide);
    }

    [Fact]
    public void A_missing_tensor_or_a_wrong_length_names_the_tensor()
    {
        var file = SafeTensorsFile.Parse(Build(Good, 16));
        Assert.Contains("'nope' is missing", Assert.Throws<InvalidDataException>(() => file.CopyTo<float>("nope", new float[2])).Message, StringComparison.Ordinal);
        float[] destination = [7f, 7f, 7f];
        Assert.Contains("'a' has 2 elements", Assert.Throws<InvalidDataException>(() => file.CopyTo<float>("a", destination)).Message, StringComparison.Ordinal);
        Assert.Equal([7f, 7f, 7f], destination);
    }
}
