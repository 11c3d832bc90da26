using Oxbow.DuckDb;
using Oxbow.Store;

namespace Oxbow.Query.Store;

/// <summary>Reference tables (<c>oxbow table import</c>): CSV files turned into Parquet under <c>DATA/_tables/</c>, joinable by name.</summary>
public static class ReferenceTables
{
    /// <summary>
    /// Imports <paramref name="csvPath"/> (header row; column types detected by DuckDB) as table
    /// <paramref name="name"/>, replacing any table of that name at once (written aside, then renamed). Returns the rows.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not valid, or an event type has it.</exception>
    /// <exception cref="DuckDbException">The file cannot be read as CSV.</exception>
    public static long Import(string dataDirectory, string name, string csvPath)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid table name: use [a-z_][a-z0-9_]*, at most 64 characters");
        }

        if (StoreLayout.Types(dataDirectory).Contains(name))
        {
            throw new ArgumentException($"'{name}' is already an event type in this store; choose another table name");
        }

        if (!File.Exists(csvPath))
        {
            throw new FileNotFoundException($"{csvPath}: no such file");
        }

        var directory = StoreQuery.TablesDirectory(dataDirectory);
        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, name + ".parquet");
        var temporary = target + StoreLayout.TemporarySuffix;
        using var database = DuckDbDatabase.Open();
        using var connection = database.Connect();
        try
        {
            var result = connection.QueryAll($"COPY (SELECT * FROM read_csv({Sql.Literal(Path.GetFullPath(csvPath))}, header = true)) TO {Sql.Literal(temporary)} (FORMAT parquet)");
            File.Move(temporary, target, overwrite: true);
            return result.Rows.Count > 0 && result.Rows[0][0] is long rows ? rows : 0;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>A table name is <c>[a-z_][a-z0-9_]*</c>, at most 64 characters: it becomes a file name.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name[0] is (>= 'a' and <= 'z') or '_' && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');
}
