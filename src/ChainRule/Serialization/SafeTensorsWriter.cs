using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace ChainRule.Serialization;

/// <summary>
/// Builds a safetensors file from named F32, F64 and I64 tensors and a string-to-string metadata map: the 8-byte
/// little-endian header length, the UTF-8 JSON header padded with spaces to a multiple of 8 bytes, then the tensors'
/// bytes, little-endian and row-major, back to back.
/// </summary>
/// <remarks>
/// <see cref="Add(string, ReadOnlySpan{long}, ReadOnlySpan{float})"/> copies the values, so the caller's buffers may
/// change afterwards. Data is laid out 8-byte tensors (F64, I64) first, then F32, each group in the order added, so every tensor
/// starts at a multiple of its element size in the file (the header ends on a multiple of 8) and a memory-mapping
/// reader can use it in place; the header lists tensors in that same order.
/// <code>
/// var writer = new SafeTensorsWriter();
/// writer.Add("Hidden.weight", [128, 64], weights);
/// writer.AddMetadata("architecture", "Dense(64→128, ReLU) → Dense(128→10)");
/// writer.Save("model.safetensors");   // atomic: see <see cref="AtomicFile"/>
/// </code>
/// </remarks>
public sealed class SafeTensorsWriter
{
    private readonly List<(string Name, SafeTensorsDType DType, long[] Shape, byte[] Data)> _tensors = [];
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Adds an F32 tensor.</summary>
    /// <param name="name">A name not used before and not <c>__metadata__</c>.</param>
    /// <param name="shape">The dimensions, row-major; empty for a scalar.</param>
    /// <param name="values">Exactly the product of <paramref name="shape"/> values.</param>
    /// <exception cref="ArgumentException">The name is empty, reserved or taken, a dimension is negative, or the count does not match.</exception>
    public void Add(string name, ReadOnlySpan<long> shape, ReadOnlySpan<float> values)
    {
        CheckEntry(name, shape, values.Length);
        var data = new byte[checked(values.Length * sizeof(float))];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        _tensors.Add((name, SafeTensorsDType.F32, shape.ToArray(), data));
        _names.Add(name);
    }

    /// <summary>Adds an F64 tensor.</summary>
    /// <param name="name">A name not used before and not <c>__metadata__</c>.</param>
    /// <param name="shape">The dimensions, row-major; empty for a scalar.</param>
    /// <param name="values">Exactly the product of <paramref name="shape"/> values.</param>
    /// <exception cref="ArgumentException">The name is empty, reserved or taken, a dimension is negative, or the count does not match.</exception>
    public void Add(string name, ReadOnlySpan<long> shape, ReadOnlySpan<double> values)
    {
        CheckEntry(name, shape, values.Length);
        var data = new byte[checked(values.Length * sizeof(double))];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8 * i), values[i]);
        _tensors.Add((name, SafeTensorsDType.F64, shape.ToArray(), data));
        _names.Add(name);
    }

    /// <summary>Adds an I64 tensor, e.g. PyTorch's <c>num_batches_tracked</c>.</summary>
    /// <param name="name">A name not used before and not <c>__metadata__</c>.</param>
    /// <param name="shape">The dimensions, row-major; empty for a scalar.</param>
    /// <param name="values">Exactly the product of <paramref name="shape"/> values.</param>
    /// <exception cref="ArgumentException">The name is empty, reserved or taken, a dimension is negative, or the count does not match.</exception>
    /// <remarks>Not an overload of <c>Add</c>: an integer collection expression would then bind to it instead of to float.</remarks>
    public void AddInt64(string name, ReadOnlySpan<long> shape, ReadOnlySpan<long> values)
    {
        CheckEntry(name, shape, values.Length);
        var data = new byte[checked(values.Length * sizeof(long))];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8 * i), values[i]);
        _tensors.Add((name, SafeTensorsDType.I64, shape.ToArray(), data));
        _names.Add(name);
    }

    /// <summary>Adds or replaces an entry of the <c>__metadata__</c> map.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    public void AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
    }

    /// <summary>The whole file.</summary>
    /// <returns>Its bytes.</returns>
    public byte[] ToArray()
    {
        var ordered = Ordered();
        byte[] header = Header(ordered);
        long total = 8L + header.Length;
        foreach (var tensor in ordered)
            total += tensor.Data.Length;
        var file = new byte[checked((int)total)];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        int at = 8 + header.Length;
        foreach (var tensor in ordered)
        {
            tensor.Data.CopyTo(file, at);
            at += tensor.Data.Length;
        }
        return file;
    }

    /// <summary>Writes the file to <paramref name="path"/> atomically (<see cref="AtomicFile.WriteAllBytes"/>).</summary>
    /// <param name="path">The file; an existing one is replaced only once the new one is complete on disk.</param>
    public void Save(string path) => AtomicFile.WriteAllBytes(path, ToArray());

    private List<(string Name, SafeTensorsDType DType, long[] Shape, byte[] Data)> Ordered()
    {
        var ordered = new List<(string Name, SafeTensorsDType DType, long[] Shape, byte[] Data)>(_tensors.Count);
        foreach (var tensor in _tensors)
            if (SafeTensorsDTypes.SizeOf(tensor.DType) == 8)
                ordered.Add(tensor);
        foreach (var tensor in _tensors)
            if (SafeTensorsDTypes.SizeOf(tensor.DType) != 8)
                ordered.Add(tensor);
        return ordered;
    }

    private byte[] Header(List<(string Name, SafeTensorsDType DType, long[] Shape, byte[] Data)> ordered)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (_metadata.Count > 0)
            {
                writer.WriteStartObject(SafeTensorsFile.MetadataKey);
                foreach (var (key, value) in _metadata)
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in ordered)
            {
                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype", tensor.DType.ToString());
                writer.WriteStartArray("shape");
                foreach (long dimension in tensor.Shape)
                    writer.WriteNumberValue(dimension);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + tensor.Data.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += tensor.Data.Length;
            }
            writer.WriteEndObject();
        }
        // Spaces pad the header so the data begins on an 8-byte boundary, as the reference writer does.
        int length = checked((int)json.Length);
        int padded = (length + 7) & ~7;
        var header = new byte[padded];
        json.GetBuffer().AsSpan(0, length).CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private void CheckEntry(string name, ReadOnlySpan<long> shape, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == SafeTensorsFile.MetadataKey)
            throw new ArgumentException($"'{SafeTensorsFile.MetadataKey}' is reserved for the metadata map.", nameof(name));
        if (_names.Contains(name))
            throw new ArgumentException($"A tensor named '{name}' was already added.", nameof(name));
        long product = 1;
        foreach (long dimension in shape)
        {
            if (dimension < 0)
                throw new ArgumentException($"Tensor '{name}': dimension {dimension} is negative.", nameof(shape));
            product = checked(product * dimension);
        }
        if (product != count)
            throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] holds {product} values, {count} were given.", nameof(shape));
    }
}
