using Microsoft.Win32.SafeHandles;
using Oxbow.IO;

namespace Oxbow.Store.Files;

/// <summary>The real disk: <see cref="RandomAccess"/> on file handles, and fsync of directories (Shared/DirectorySync).</summary>
internal sealed class PhysicalFileSystem : IDurableFileSystem
{
    public static PhysicalFileSystem Instance { get; } = new();

    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    public IReadOnlyList<string> ListFiles(string directory, string suffix) =>
        [.. Directory.EnumerateFiles(directory, "*" + suffix)];

    public bool Exists(string path) => File.Exists(path);

    public IDurableFile Create(string path) =>
        new PhysicalFile(File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete));

    public IDurableFile Open(string path) =>
        new PhysicalFile(File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete));

    public void Delete(string path) => File.Delete(path);

    public void Rename(string from, string to) => File.Move(from, to, overwrite: true);

    public void SyncDirectory(string directory) => DirectorySync.Sync(directory);

    /// <remarks>
    /// On Linux, <c>/proc/self/fd/N</c> names the path a descriptor is linked at (with <c> (deleted)</c> once
    /// unlinked); elsewhere the path must still exist.
    /// </remarks>
    public bool IsLinked(IDurableFile file, string path)
    {
        if (OperatingSystem.IsLinux() && file is PhysicalFile physical)
        {
            var target = File.ResolveLinkTarget($"/proc/self/fd/{physical.Handle.DangerousGetHandle()}", returnFinalTarget: false);
            return target is null || string.Equals(target.FullName, path, StringComparison.Ordinal);
        }

        return File.Exists(path);
    }

    private sealed class PhysicalFile(SafeFileHandle handle) : IDurableFile
    {
        public SafeFileHandle Handle => handle;

        public long Length => RandomAccess.GetLength(handle);

        public int Read(Span<byte> buffer, long offset) => RandomAccess.Read(handle, buffer, offset);

        public void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle, data, offset);

        public void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset) => RandomAccess.Write(handle, buffers, offset);

        public void Flush() => RandomAccess.FlushToDisk(handle);

        public void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public void Dispose() => handle.Dispose();
    }
}
