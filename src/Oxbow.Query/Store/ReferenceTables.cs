namespace Oxbow.Query.Store;

/// <summary>Reference tables (<c>oxbow table import</c>): CSV files turned into Parquet under <c>DATA/_tables/</c>, joinable by name.</summary>
public static class ReferenceTables
{
    /// <summary>A table name is <c>[a-z_][a-z0-9_]*</c>, at most 64 characters: it becomes a file name.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name[0] is (>= 'a' and <= 'z') or '_' && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');
}
