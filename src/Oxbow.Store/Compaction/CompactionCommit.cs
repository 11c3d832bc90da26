using Oxbow.Store.Files;
using Oxbow.Store.Index;

namespace Oxbow.Store.Compaction;

/// <summary>
/// The file steps that make a compaction atomic, over the durable file-system seam so the store's model test can
/// crash every one of them: (1) <see cref="Begin"/> names the inputs in <c>C.parquet.sources</c>, durably; (2) the
/// caller writes and flushes <c>C.parquet.tmp</c> (DuckDB, in <see cref="Compactor"/>); (3) <see cref="Commit"/>
/// renames it to <c>C.parquet</c> and syncs the directory; (4) <see cref="RemoveReplaced"/> deletes the inputs and
/// the list. Before (3) the inputs count and the rest is ignored; after it the new file counts and the inputs are
/// ignored (see <see cref="StoreLayout"/>); <see cref="Recover"/> finishes or discards what a crash left.
/// </summary>
/// <remarks>Errors: every member reports a failure of the disk by throwing <see cref="IOException"/>.</remarks>
internal sealed class CompactionCommit(IDurableFileSystem files, string directory)
{
    /// <summary>Step 1: the list of <paramref name="inputs"/> (file names in this directory) beside <paramref name="target"/>, fsynced and linked.</summary>
    public void Begin(string target, IEnumerable<string> inputs)
    {
        using (var list = files.Create(target + StoreLayout.SourcesSuffix))
        {
            list.Write(System.Text.Encoding.UTF8.GetBytes(string.Concat(inputs.Select(name => name + "\n"))), 0);
            list.Flush();
        }

        files.SyncDirectory(directory);
    }

    /// <summary>Step 3: the flushed <c>.tmp</c> becomes <paramref name="target"/>, durably; false when there was no output to commit.</summary>
    public bool Commit(string target)
    {
        var temporary = target + StoreLayout.TemporarySuffix;
        if (!files.Exists(temporary))
        {
            return false;
        }

        files.Rename(temporary, target);
        files.SyncDirectory(directory);
        return true;
    }

    /// <summary>
    /// Step 4: deletes what a committed compaction's <paramref name="list"/> (a path) names, then the list, then syncs
    /// the directory. The order keeps every crash point correct: a replaced Parquet file's own inputs go before its
    /// list, and its list before it, so no file that no longer counts ever counts again (a list without its Parquet
    /// file would un-replace its inputs).
    /// </summary>
    public void RemoveReplaced(string list)
    {
        RemoveNamed(list);
        files.SyncDirectory(directory);
    }

    private void RemoveNamed(string list)
    {
        foreach (var source in ReadSources(list))
        {
            var path = Path.Combine(directory, source);
            if (files.Exists(path + StoreLayout.SourcesSuffix))
            {
                RemoveNamed(path + StoreLayout.SourcesSuffix);
            }

            if (source.EndsWith(".ndjson.gz", StringComparison.Ordinal))
            {
                // The collector keeps a sealed file's NDJSON for a while (queries listed before the seal may still
                // read it); it goes first, so it never outlives its .gz and counts again.
                files.Delete(path[..^3]);
            }

            files.Delete(path);
            files.Delete(path + LookupKeys.Suffix);
        }

        files.Delete(list);
    }

    /// <summary>The names <paramref name="list"/> holds (none when it is gone).</summary>
    public IReadOnlyList<string> ReadSources(string list) =>
        DurableFiles.ReadAll(files, list) is { } bytes ? StoreLayout.ParseSources(System.Text.Encoding.UTF8.GetString(bytes)) : [];

    /// <summary>
    /// Finishes or discards what an interrupted compaction left in the directory: an uncommitted list and its partial
    /// output go; a committed one's inputs are removed once <paramref name="replacedLongEnough"/> says so for its
    /// Parquet file (queries that listed the inputs before the commit may still be reading them); leftover
    /// temporary files, and indexes whose Parquet file is gone, are removed.
    /// </summary>
    public void Recover(Func<string, bool> replacedLongEnough)
    {
        var names = files.ListFiles(directory, "");
        foreach (var list in names.Where(n => n.EndsWith(".parquet" + StoreLayout.SourcesSuffix, StringComparison.Ordinal)))
        {
            var parquet = list[..^StoreLayout.SourcesSuffix.Length];
            if (!files.Exists(parquet))
            {
                // Aborted: the inputs still count; the list and any partial output go.
                files.Delete(parquet + StoreLayout.TemporarySuffix);
                files.Delete(list);
            }
            else if (files.Exists(list) && replacedLongEnough(parquet))
            {
                RemoveReplaced(list);
            }
        }

        foreach (var temporary in names.Where(n => n.EndsWith(".parquet" + StoreLayout.TemporarySuffix, StringComparison.Ordinal)
            || n.EndsWith(".parquet" + LookupKeys.Suffix + StoreLayout.TemporarySuffix, StringComparison.Ordinal)))
        {
            files.Delete(temporary);
        }

        // An index whose file is gone (a compaction that crashed before its commit, or a removal that crashed
        // between the file and its index) describes nothing.
        foreach (var keys in names.Where(n => n.EndsWith(".parquet" + LookupKeys.Suffix, StringComparison.Ordinal)))
        {
            if (!files.Exists(keys[..^LookupKeys.Suffix.Length]))
            {
                files.Delete(keys);
            }
        }
    }
}
