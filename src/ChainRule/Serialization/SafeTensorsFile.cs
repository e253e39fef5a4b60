using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace ChainRule.Serialization;

/// <summary>
/// A safetensors file (https://github.com/huggingface/safetensors), parsed and validated completely before any
/// tensor is handed out: an 8-byte little-endian header length <c>N</c>, <c>N</c> bytes of UTF-8 JSON mapping each
/// tensor's name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> plus an optional <c>"__metadata__"</c>
/// string-to-string map, then the byte buffer the offsets point into.
/// </summary>
/// <remarks>
/// <para>
/// It is a file from elsewhere, so every problem is an <see cref="InvalidDataException"/> (the only exception type a
/// malformed file can cause) whose message names the tensor and what is wrong: a file shorter than 8 bytes, a header
/// length beyond the file or above <see cref="MaxHeaderLength"/> (the reference implementation's cap), a header that
/// is not UTF-8, not JSON, not an object or does not start with <c>{</c>, a duplicate name, a missing, unknown or
/// malformed field, an unknown dtype, a negative or overflowing shape, a byte count that is not dtype size ×
/// element count, offsets that overlap, leave a gap, run backwards or do not end exactly at the end of the file.
/// </para>
/// <para>
/// The JSON's key order does not matter (it is an object); the data must tile the byte buffer exactly, as the
/// reference reader requires. A header need not be padded to 8 bytes to be read (the format's own example is not);
/// <see cref="SafeTensorsWriter"/> always pads it.
/// </para>
/// <para>
/// Conversions made by <see cref="CopyTo{T}"/>: F16 and BF16 to float or double, and F32 to double, are exact; F64
/// to float rounds to nearest even and overflows to ±∞ beyond <see cref="float.MaxValue"/>, which
/// <c>requireFinite</c> reports. Other dtypes are validated but not converted.
/// </para>
/// </remarks>
public sealed class SafeTensorsFile
{
    /// <summary>The largest header accepted, 100,000,000 bytes, as in the reference implementation.</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>The header key of the free-form metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    private readonly byte[] _data;
    private readonly int _bufferStart;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorsFile(byte[] data, int bufferStart, List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        _data = data;
        _bufferStart = bufferStart;
        Tensors = tensors.AsReadOnly();
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
        _byName = new Dictionary<string, SafeTensorInfo>(tensors.Count, StringComparer.Ordinal);
        foreach (var tensor in tensors)
            _byName.Add(tensor.Name, tensor);
    }

    /// <summary>The tensors in the order of their data in the file.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads and validates a whole file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The validated file, its bytes held in memory.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message says why.</exception>
    public static SafeTensorsFile Load(string path) => Parse(File.ReadAllBytes(path));

    /// <summary>Validates a whole safetensors file held in memory.</summary>
    /// <param name="bytes">The file's bytes; kept (not copied), so do not change them afterwards.</param>
    /// <returns>The validated file.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a valid safetensors file; the message says why.</exception>
    public static SafeTensorsFile Parse(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 8)
            throw new InvalidDataException($"safetensors: the file has {bytes.Length} bytes, fewer than the 8 of its header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderLength)
            throw new InvalidDataException($"safetensors: the header length {headerLength} is above the limit of {MaxHeaderLength} bytes.");
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"safetensors: the header length {headerLength} runs past the end of the file ({bytes.Length - 8} bytes follow the length).");
        if (headerLength == 0 || bytes[8] != (byte)'{')
            throw new InvalidDataException("safetensors: the header does not start with '{'.");
        var header = new ReadOnlySpan<byte>(bytes, 8, (int)headerLength);
        if (!Utf8.IsValid(header))
            throw new InvalidDataException("safetensors: the header is not valid UTF-8.");

        int bufferStart = 8 + (int)headerLength;
        long bufferLength = bytes.Length - bufferStart;
        var (tensors, metadata) = ReadHeader(header, bufferLength);
        return new SafeTensorsFile(bytes, bufferStart, tensors, metadata);
    }

    /// <summary>The entry of the tensor <paramref name="name"/>.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns>Its validated entry.</returns>
    /// <exception cref="InvalidDataException">The file has no such tensor.</exception>
    public SafeTensorInfo this[string name] =>
        _byName.TryGetValue(name, out var info) ? info : throw new InvalidDataException($"safetensors: tensor '{name}' is missing from the file.");

    /// <summary>Whether the file holds a tensor named <paramref name="name"/>.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <returns><see langword="true"/> if it does.</returns>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>
    /// Checks that <see cref="CopyTo{T}"/> with the same arguments would succeed, writing nothing: lets a caller
    /// validate every tensor of a model before copying any.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="name">The tensor's name.</param>
    /// <param name="length">The destination's length, which must equal the tensor's element count.</param>
    /// <param name="requireFinite">Also reject NaN and ±∞ (after conversion to <typeparamref name="T"/>).</param>
    /// <exception cref="InvalidDataException">The tensor is missing, has another element count, a dtype that does not convert, or (when asked) a non-finite value.</exception>
    public void Validate<T>(string name, int length, bool requireFinite = false)
        where T : unmanaged
    {
        RequireFloatOrDouble<T>();
        var info = this[name];
        if (info.ElementCount != length)
            throw new InvalidDataException($"safetensors: tensor '{name}' has {info.ElementCount} elements (shape [{string.Join(", ", info.Shape)}]); {length} were expected.");
        if (info.DType is not (SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F32 or SafeTensorsDType.F64))
            throw new InvalidDataException($"safetensors: tensor '{name}' has dtype {info.DType}, which does not convert to {typeof(T).Name}; F16, BF16, F32 and F64 do.");
        if (!requireFinite)
            return;
        var source = Bytes(info);
        for (int i = 0; i < length; i++)
        {
            bool finite = typeof(T) == typeof(float) ? float.IsFinite(ReadSingle(source, info.DType, i)) : double.IsFinite(ReadDouble(source, info.DType, i));
            if (!finite)
                throw new InvalidDataException($"safetensors: tensor '{name}' element {i} is not finite{(typeof(T) == typeof(float) && info.DType == SafeTensorsDType.F64 ? " as a float" : "")} ({ReadDouble(source, info.DType, i)}).");
        }
    }

    /// <summary>
    /// Copies tensor <paramref name="name"/> into <paramref name="destination"/>, converting its elements to
    /// <typeparamref name="T"/> (see the remarks of <see cref="SafeTensorsFile"/>). Everything is checked first: when
    /// it throws, <paramref name="destination"/> is unchanged.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="name">The tensor's name.</param>
    /// <param name="destination">Exactly the tensor's element count long.</param>
    /// <param name="requireFinite">Also reject NaN and ±∞ (after conversion to <typeparamref name="T"/>).</param>
    /// <exception cref="InvalidDataException">The tensor is missing, has another element count, a dtype that does not convert, or (when asked) a non-finite value.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is neither float nor double.</exception>
    public void CopyTo<T>(string name, Span<T> destination, bool requireFinite = false)
        where T : unmanaged
    {
        Validate<T>(name, destination.Length, requireFinite);
        var info = _byName[name];
        var source = Bytes(info);
        if (typeof(T) == typeof(float))
        {
            var target = System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(destination);
            for (int i = 0; i < target.Length; i++)
                target[i] = ReadSingle(source, info.DType, i);
        }
        else
        {
            var target = System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(destination);
            for (int i = 0; i < target.Length; i++)
                target[i] = ReadDouble(source, info.DType, i);
        }
    }

    /// <summary>Checks that <see cref="CopyInt64To"/> with the same arguments would succeed, writing nothing.</summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="length">The destination's length, which must equal the tensor's element count.</param>
    /// <exception cref="InvalidDataException">The tensor is missing, has another element count, or is not I64.</exception>
    public void ValidateInt64(string name, int length)
    {
        var info = this[name];
        if (info.ElementCount != length)
            throw new InvalidDataException($"safetensors: tensor '{name}' has {info.ElementCount} elements (shape [{string.Join(", ", info.Shape)}]); {length} were expected.");
        if (info.DType != SafeTensorsDType.I64)
            throw new InvalidDataException($"safetensors: tensor '{name}' has dtype {info.DType}; it is read as I64 only.");
    }

    /// <summary>
    /// Copies the I64 tensor <paramref name="name"/> (e.g. PyTorch's <c>num_batches_tracked</c>) into
    /// <paramref name="destination"/>; when it throws, <paramref name="destination"/> is unchanged.
    /// </summary>
    /// <param name="name">The tensor's name.</param>
    /// <param name="destination">Exactly the tensor's element count long.</param>
    /// <exception cref="InvalidDataException">The tensor is missing, has another element count, or is not I64.</exception>
    public void CopyInt64To(string name, Span<long> destination)
    {
        ValidateInt64(name, destination.Length);
        var source = Bytes(_byName[name]);
        for (int i = 0; i < destination.Length; i++)
            destination[i] = BinaryPrimitives.ReadInt64LittleEndian(source[(8 * i)..]);
    }

    private static void RequireFloatOrDouble<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"safetensors: tensors are read into float or double, not {typeof(T).Name}.");
    }

    private ReadOnlySpan<byte> Bytes(SafeTensorInfo info) =>
        new(_data, _bufferStart + (int)info.DataBegin, (int)(info.DataEnd - info.DataBegin));

    private static float ReadSingle(ReadOnlySpan<byte> source, SafeTensorsDType dtype, int i) => dtype switch
    {
        SafeTensorsDType.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(source[(2 * i)..]),
        SafeTensorsDType.BF16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * i)..]) << 16),
        SafeTensorsDType.F32 => BinaryPrimitives.ReadSingleLittleEndian(source[(4 * i)..]),
        _ => (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]),
    };

    private static double ReadDouble(ReadOnlySpan<byte> source, SafeTensorsDType dtype, int i) => dtype switch
    {
        SafeTensorsDType.F64 => BinaryPrimitives.ReadDoubleLittleEndian(source[(8 * i)..]),
        _ => ReadSingle(source, dtype, i),
    };

    private static (List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ReadHeader(ReadOnlySpan<byte> header, long bufferLength)
    {
        var tensors = new List<SafeTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 8 });
            Expect(ref reader, JsonTokenType.StartObject, "the header is not a JSON object");
            while (true)
            {
                Read(ref reader);
                if (reader.TokenType == JsonTokenType.EndObject)
                    break;
                string name = reader.GetString()!;
                if (!names.Add(name))
                    throw new InvalidDataException($"safetensors: tensor '{name}' appears twice in the header.");
                if (name == MetadataKey)
                {
                    ReadMetadata(ref reader, metadata);
                }
                else
                {
                    tensors.Add(ReadTensor(ref reader, name));
                }
            }
            if (reader.Read())
                throw new InvalidDataException("safetensors: the header has content after its JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"safetensors: the header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // GetString refuses escapes that decode to invalid UTF-16, e.g. a lone "\uD800".
            throw new InvalidDataException($"safetensors: the header holds a string that is not valid Unicode: {e.Message}", e);
        }
        CheckLayout(tensors, bufferLength);
        return (tensors, metadata);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"'{MetadataKey}' is not a JSON object");
        while (true)
        {
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
                return;
            string key = reader.GetString()!;
            Read(ref reader);
            if (reader.TokenType != JsonTokenType.String)
                throw new InvalidDataException($"safetensors: metadata '{key}' is not a string.");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw new InvalidDataException($"safetensors: metadata '{key}' appears twice.");
        }
    }

    private static SafeTensorInfo ReadTensor(ref Utf8JsonReader reader, string name)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"tensor '{name}': its entry is not a JSON object");
        SafeTensorsDType? dtype = null;
        List<long>? shape = null;
        List<long>? offsets = null;
        while (true)
        {
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
                break;
            string field = reader.GetString()!;
            switch (field)
            {
                case "dtype" when dtype is null:
                    Read(ref reader);
                    if (reader.TokenType != JsonTokenType.String)
                        throw new InvalidDataException($"safetensors: tensor '{name}': dtype is not a string.");
                    string text = reader.GetString()!;
                    if (!SafeTensorsDTypes.TryParse(text, out var parsed))
                        throw new InvalidDataException($"safetensors: tensor '{name}': unknown dtype '{text}'.");
                    dtype = parsed;
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, name, "shape");
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(ref reader, name, "data_offsets");
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw new InvalidDataException($"safetensors: tensor '{name}': field '{field}' appears twice.");
                default:
                    throw new InvalidDataException($"safetensors: tensor '{name}': unknown field '{field}'.");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw new InvalidDataException($"safetensors: tensor '{name}': missing field '{(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}'.");
        if (offsets.Count != 2)
            throw new InvalidDataException($"safetensors: tensor '{name}': data_offsets has {offsets.Count} numbers, not 2.");
        long begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw new InvalidDataException($"safetensors: tensor '{name}': data_offsets [{begin}, {end}] end before they begin.");
        long count = 1;
        foreach (long dimension in shape)
        {
            try
            {
                count = checked(count * dimension);
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"safetensors: tensor '{name}': the element count of shape [{string.Join(", ", shape)}] overflows.");
            }
        }
        long size = SafeTensorsDTypes.SizeOf(dtype.Value);
        if (count > long.MaxValue / size || count * size != end - begin)
            throw new InvalidDataException($"safetensors: tensor '{name}': {dtype} with shape [{string.Join(", ", shape)}] needs {(count > long.MaxValue / size ? "more than 2^63" : (count * size).ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes, but data_offsets [{begin}, {end}] hold {end - begin}.");
        return new SafeTensorInfo(name, dtype.Value, shape.AsReadOnly(), count, begin, end);
    }

    /// <summary>Shapes and offsets are JSON arrays of non-negative integers that fit in 64 bits.</summary>
    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string name, string field)
    {
        Expect(ref reader, JsonTokenType.StartArray, $"tensor '{name}': {field} is not an array");
        var values = new List<long>();
        while (true)
        {
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.EndArray)
                return values;
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
                throw new InvalidDataException($"safetensors: tensor '{name}': {field} holds something other than a non-negative 64-bit integer.");
            if (values.Count == 64)
                throw new InvalidDataException($"safetensors: tensor '{name}': {field} has more than 64 entries.");
            values.Add(value);
        }
    }

    /// <summary>The tensors, in offset order, must tile the byte buffer: no overlap, no gap, nothing after.</summary>
    private static void CheckLayout(List<SafeTensorInfo> tensors, long bufferLength)
    {
        // Empty tensors occupy no bytes; ordering them by (begin, end) keeps them before the tensor that starts there.
        tensors.Sort(static (a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
        long expected = 0;
        foreach (var tensor in tensors)
        {
            if (tensor.DataBegin < expected)
                throw new InvalidDataException($"safetensors: tensor '{tensor.Name}': data_offsets [{tensor.DataBegin}, {tensor.DataEnd}] overlap the previous tensor, which ends at {expected}.");
            if (tensor.DataBegin > expected)
                throw new InvalidDataException($"safetensors: tensor '{tensor.Name}': data_offsets [{tensor.DataBegin}, {tensor.DataEnd}] leave a gap after byte {expected}.");
            expected = tensor.DataEnd;
        }
        if (expected != bufferLength)
            throw new InvalidDataException(expected > bufferLength
                ? $"safetensors: the file is truncated: its tensors need {expected} data bytes, it holds {bufferLength}."
                : $"safetensors: the file has {bufferLength - expected} bytes after its last tensor's data.");
    }

    private static void Read(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
            throw new InvalidDataException("safetensors: the header's JSON ends early.");
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string problem)
    {
        Read(ref reader);
        if (reader.TokenType != type)
            throw new InvalidDataException($"safetensors: {problem}.");
    }
}
