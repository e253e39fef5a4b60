using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using ChainRule.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace ChainRule.Tests.Serialization;

/// <summary>
/// Point 4 of issue 14: seeded corruptions of valid files (bit flips, truncations, header edits, wrong header lengths)
/// either load or throw <see cref="InvalidDataException"/>, never anything else; and a refused copy leaves its
/// destination bit-identical.
/// </summary>
public class CorruptFileTests(ITestOutputHelper output)
{
    private const int Corruptions = 12_000;

    private static readonly byte[] Interesting = "0123456789\"',:[]{} -+.eE\\u"u8.ToArray();

    [Fact]
    public void Corrupted_files_throw_only_InvalidDataException_and_never_partially_copy()
    {
        byte[][] originals =
        [
            System.IO.File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Serialization", "Fixtures", "independent.safetensors")),
            Written(),
        ];
        var random = new Random(14);
        int refusedAtParse = 0, loaded = 0, refusedCopies = 0, copies = 0;
        for (int n = 0; n < Corruptions; n++)
        {
            byte[] original = originals[n % originals.Length];
            int kind = random.Next(7);
            byte[] bytes = Corrupt(original, kind, random);
            SafeTensorsFile file;
            try
            {
                file = SafeTensorsFile.Parse(bytes);
            }
            catch (InvalidDataException)
            {
                refusedAtParse++;
                continue;
            }
            catch (Exception e)
            {
                Assert.Fail($"corruption {n} (kind {kind}): {e.GetType().Name} from Parse: {e}");
                throw;
            }
            loaded++;
            foreach (var tensor in file.Tensors)
            {
                if (tensor.ElementCount > 1 << 16)
                    continue;
                bool requireFinite = random.Next(2) == 0;
                var single = new float[tensor.ElementCount];
                single.AsSpan().Fill(BitConverter.Int32BitsToSingle(0x7FC0_1234));
                var wide = new double[tensor.ElementCount];
                wide.AsSpan().Fill(BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234));
                copies += 2;
                refusedCopies += Copy(n, kind, () => file.CopyTo<float>(tensor.Name, single, requireFinite), single, s => BitConverter.SingleToInt32Bits(s) == 0x7FC0_1234);
                refusedCopies += Copy(n, kind, () => file.CopyTo<double>(tensor.Name, wide, requireFinite), wide, d => BitConverter.DoubleToInt64Bits(d) == 0x7FF8_0000_0000_1234);
            }
        }
        output.WriteLine($"{Corruptions} corrupted files: {refusedAtParse} refused by Parse, {loaded} still valid; {copies} copies from those, {refusedCopies} refused with the destination untouched.");
        Assert.True(refusedAtParse > Corruptions / 2, $"only {refusedAtParse} of {Corruptions} corruptions were refused: the mutations are too mild to test anything");
    }

    private static int Copy<T>(int n, int kind, Action copy, T[] destination, Func<T, bool> isSentinel)
    {
        try
        {
            copy();
            return 0;
        }
        catch (InvalidDataException)
        {
            for (int i = 0; i < destination.Length; i++)
                Assert.True(isSentinel(destination[i]), $"corruption {n} (kind {kind}): a refused copy wrote element {i}");
            return 1;
        }
        catch (Exception e)
        {
            Assert.Fail($"corruption {n} (kind {kind}): {e.GetType().Name} from CopyTo: {e}");
            throw;
        }
    }

    internal static byte[] Corrupt(byte[] original, int kind, Random random)
    {
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var bytes = (byte[])original.Clone();
        switch (kind)
        {
            case 0: // bit flips anywhere
                for (int flips = random.Next(1, 5); flips > 0; flips--)
                    bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1: // truncation
                return bytes[..random.Next(bytes.Length)];
            case 2: // a header byte replaced by JSON punctuation, a digit or a byte that is not UTF-8
                bytes[8 + random.Next(headerLength)] = random.Next(4) == 0 ? (byte)random.Next(0x80, 0x100) : Interesting[random.Next(Interesting.Length)];
                return bytes;
            case 3: // the header length field rewritten
                ulong length = random.Next(3) switch
                {
                    0 => (ulong)(headerLength + random.Next(-16, 17)),
                    1 => (ulong)random.NextInt64(),
                    _ => 1UL << random.Next(64),
                };
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
                return bytes;
            case 4: // a byte inserted into or deleted from the header, the length field adjusted or not
            {
                int at = 8 + random.Next(headerLength);
                var edited = new List<byte>(bytes);
                int delta = random.Next(2) == 0 ? 1 : -1;
                if (delta > 0)
                    edited.Insert(at, Interesting[random.Next(Interesting.Length)]);
                else
                    edited.RemoveAt(at);
                byte[] result = edited.ToArray();
                if (random.Next(2) == 0)
                    BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)(headerLength + delta));
                return result;
            }
            case 5: // a number in the header replaced
                return ReplaceNumber(bytes, headerLength, random);
            default: // bytes appended or the data cut short by a few
                return random.Next(2) == 0 ? [.. bytes, .. new byte[random.Next(1, 9)]] : bytes[..Math.Max(8, bytes.Length - random.Next(1, 9))];
        }
    }

    private static byte[] ReplaceNumber(byte[] bytes, int headerLength, Random random)
    {
        string header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        var numbers = new List<(int Start, int Length)>();
        for (int i = 0; i < header.Length; i++)
        {
            if (!char.IsAsciiDigit(header[i]))
                continue;
            int start = i;
            while (i < header.Length && char.IsAsciiDigit(header[i]))
                i++;
            numbers.Add((start, i - start));
        }
        var (at, count) = numbers[random.Next(numbers.Count)];
        long value = long.Parse(header.AsSpan(at, count), provider: System.Globalization.CultureInfo.InvariantCulture);
        string replacement = random.Next(8) switch
        {
            0 => "0",
            1 => "-1",
            2 => "9223372036854775807",
            3 => "18446744073709551616",
            4 => (value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            5 => (value - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            6 => "1e3",
            _ => (value * 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        string edited = header[..at] + replacement + header[(at + count)..];
        byte[] json = Encoding.UTF8.GetBytes(edited);
        var result = new byte[8 + json.Length + (bytes.Length - 8 - headerLength)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)json.Length);
        json.CopyTo(result, 8);
        bytes.AsSpan(8 + headerLength).CopyTo(result.AsSpan(8 + json.Length));
        return result;
    }

    private static byte[] Written()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("Body.0.norm.weight", [4], [1f, float.NaN, -2f, 3f]);
        writer.Add("Body.0.up.weight", [2, 3], [1.0, 2.0, 3.0, 1e300, 5.0, 6.0]);
        writer.Add("Hidden.bias", [], [0.5f]);
        writer.Add("empty", [0], ReadOnlySpan<float>.Empty);
        writer.AddMetadata("architecture", "Dense → PreNorm");
        return writer.ToArray();
    }
}
