using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using AotInference;
using DigitClassifier;

// Usage: AotInference [checkpoint] [--expect FINGERPRINT]
//   checkpoint   written by samples/DigitClassifier (default artifacts/digits.safetensors, relative to the working directory)
//   --expect     the "fingerprint:" the trainer printed; without it the answers are checked against a serial pass only
// Exits 0 when every answer equals the serial pass bit for bit, the fingerprint equals the trainer's and no prediction
// allocated; 1 on any mismatch; 2 when the checkpoint cannot be loaded.
long mainStarted = Stopwatch.GetTimestamp();
DateTime mainStartedUtc = DateTime.UtcNow;

string checkpoint = Path.Combine("artifacts", "digits.safetensors");
string? expected = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--expect" && i + 1 < args.Length)
        expected = args[++i];
    else
        checkpoint = args[i];
}

// ---- Start-up: load the checkpoint and answer a first request (a blank image), as a server would ----
var model = new Classifier(seed: 0);   // initialized, then overwritten: every parameter comes from the file
try
{
    model.Load(checkpoint);
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"cannot load {checkpoint}: {e.Message}");
    if (e is FileNotFoundException or DirectoryNotFoundException)
        Console.Error.WriteLine("Write it first: dotnet run --project samples/DigitClassifier -- " + checkpoint);
    return 2;
}
long loaded = Stopwatch.GetTimestamp();
Span<float> firstLogits = stackalloc float[Classifier.OutputSize];
model.Predict(stackalloc float[Classifier.InputSize], firstLogits);
long firstAnswered = Stopwatch.GetTimestamp();
Startup.Report(mainStartedUtc, mainStarted, loaded, firstAnswered);

// ---- The truth: every held-out digit predicted once, serially ----
var (_, heldOut) = Digits.LoadSplit();
var serial = new float[heldOut.Count * Classifier.OutputSize];
Fingerprint.PredictEach(model, heldOut, serial);
string fingerprint = Fingerprint.Of(serial, heldOut.Labels);
bool ok = true;
if (expected is null)
{
    Console.WriteLine($"fingerprint: {fingerprint} (no --expect given: not checked against the trainer)");
}
else if (expected == fingerprint)
{
    Console.WriteLine($"fingerprint: {fingerprint}, equal to the trainer's");
}
else
{
    Console.WriteLine($"fingerprint: {fingerprint}, but the trainer's is {expected}: MISMATCH");
    ok = false;
}

// ---- Serving: batch-1 Predict on the one shared model from 1, 2, 4 and 8 threads ----
Console.WriteLine($"kernel threads (Gemm.ThreadCount): {ChainRule.Kernels.Gemm.ThreadCount}; {Serving.Rounds} passes over {heldOut.Count} held-out digits per thread");
Console.WriteLine("threads   p50 µs   p99 µs   predictions/s   wrong   bytes allocated after warm-up (per thread, process)");
foreach (int threads in (ReadOnlySpan<int>)[1, 2, 4, 8])
{
    Serving.Result result = Serving.Run(model, heldOut, serial, threads);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{threads,7} {result.P50Microseconds,8:F2} {result.P99Microseconds,8:F2} {result.PerSecond,15:N0} {result.Wrong,7} {result.ThreadBytes,11:N0} {result.ProcessBytes,9:N0}"));
    if (result.Wrong != 0)
    {
        Console.WriteLine($"{result.Wrong} of {result.Predictions} answers at {threads} threads differ from the serial pass.");
        ok = false;
    }
    if (result.ThreadBytes != 0)
    {
        Console.WriteLine($"the serving threads allocated {result.ThreadBytes} B after warm-up at {threads} threads; predictions must allocate nothing.");
        ok = false;
    }
}
Console.WriteLine(ok ? "every answer matched" : "FAILED");
return ok ? 0 : 1;
