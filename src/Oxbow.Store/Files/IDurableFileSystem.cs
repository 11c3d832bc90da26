namespace Oxbow.Store.Files;

/// <summary>
/// The file operations of the spool and the store, behind one seam so a test can stop them at any step as a power cut would, or fail
/// one as a full or broken disk would. Paths are built by the caller from its own directory and names it chose, never
/// from input.
/// </summary>
/// <remarks>
/// <para>Durability, as POSIX promises it and no more: bytes written to a file survive a power cut once the file is
/// flushed (<see cref="IDurableFile.Flush"/>); a file's creation, a rename and a delete survive once the directory
/// holding them is synced (<see cref="SyncDirectory"/>). Anything else may be lost, in part.</para>
/// <para>Errors: every member reports a failure of the disk (ENOSPC and EIO included) by throwing
/// <see cref="IOException"/>.</para>
/// </remarks>
internal interface IDurableFileSystem
{
    void CreateDirectory(string path);

    /// <summary>The full paths of the files in <paramref name="directory"/> whose names end with <paramref name="suffix"/>.</summary>
    IReadOnlyList<string> ListFiles(string directory, string suffix);

    bool Exists(string path);

    /// <summary>Creates the file, or empties it when it exists; open for reading and writing.</summary>
    IDurableFile Create(string path);

    /// <summary>Opens an existing file for reading and writing.</summary>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    IDurableFile Open(string path);

    /// <summary>Deletes the file; nothing happens when it does not exist.</summary>
    void Delete(string path);

    /// <summary>Renames <paramref name="from"/> to <paramref name="to"/>, replacing it: a reader sees one or the other.</summary>
    void Rename(string from, string to);

    /// <summary>Makes the creations, renames and deletes in <paramref name="directory"/> durable.</summary>
    void SyncDirectory(string directory);

    /// <summary>
    /// True while <paramref name="file"/> is still the file at <paramref name="path"/>: false once someone removed or
    /// replaced it (writes through the open file then go where no path leads).
    /// </summary>
    bool IsLinked(IDurableFile file, string path);
}

/// <summary>An open file of an <see cref="IDurableFileSystem"/>: positioned reads and writes, no cursor.</summary>
internal interface IDurableFile : IDisposable
{
    long Length { get; }

    /// <summary>Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>; fewer at the end of the file.</summary>
    int Read(Span<byte> buffer, long offset);

    void Write(ReadOnlySpan<byte> data, long offset);

    /// <summary>Writes <paramref name="buffers"/> one after another at <paramref name="offset"/>, in one call where the system allows.</summary>
    void Write(IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset);

    /// <summary>Makes what was written durable (fsync).</summary>
    void Flush();

    void SetLength(long length);
}
