using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ChainRule.Serialization;

/// <summary>
/// Replaces a file so that, whenever the process dies, the path holds either the complete old content or the
/// complete new content, never a mixture or a truncated file.
/// </summary>
/// <remarks>
/// <para>
/// The steps: write a temporary file in the same directory (a rename is atomic only within one file system), flush
/// it to the device (<see cref="FileStream.Flush(bool)"/> with <see langword="true"/>: <c>fsync</c> on Unix,
/// <c>FlushFileBuffers</c> on Windows), rename it over the target (<see cref="File.Move(string, string, bool)"/>:
/// <c>rename(2)</c> on Unix, <c>MoveFileEx</c> with <c>MOVEFILE_REPLACE_EXISTING</c> on Windows), then on Linux and
/// macOS <c>fsync</c> the directory so the rename itself survives a power cut. .NET cannot open a directory as a
/// file, so that last step calls <c>open</c>/<c>fsync</c>/<c>close</c> from libc.
/// </para>
/// <para>
/// Guaranteed: a killed process (SIGKILL, a crash) leaves the old or the new file, everywhere. A power cut or kernel
/// crash leaves the old or the new file on Linux and macOS (given a file system and device that honour
/// <c>fsync</c>); on Windows the data is flushed but the rename may be lost, leaving the old file. A process killed
/// between creating and renaming the temporary file leaves it behind, named <c>.{name}.{random}.tmp</c>; nothing
/// reads it, and it may be deleted.
/// </para>
/// </remarks>
public static partial class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, replacing it atomically.</summary>
    /// <param name="path">The target file; its directory must exist.</param>
    /// <param name="bytes">The complete new content.</param>
    /// <exception cref="IOException">Writing, flushing or renaming failed; the old file, if any, is intact.</exception>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Path.GetRandomFileName()}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        FlushDirectory(directory);
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void FlushDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        int descriptor;
        try
        {
            descriptor = Open(directory, 0 /* O_RDONLY: the same value on Linux and macOS */);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return; // a libc that cannot be found under that name: the rename has happened, only its durability is weaker
        }
        if (descriptor < 0)
            return; // an unreadable directory cannot be flushed; the rename has happened, only its durability is weaker
        try
        {
            if (FSync(descriptor) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                const int EINVAL = 22; // the file system does not support flushing directories
                if (error != EINVAL)
                    throw new IOException($"The new '{directory}' entry is in place, but flushing the directory failed (errno {error}); it may not survive a power cut.");
            }
        }
        finally
        {
            _ = Close(descriptor);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int descriptor);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int descriptor);
}
