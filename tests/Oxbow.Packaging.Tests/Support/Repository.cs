namespace Oxbow.Packaging.Tests.Support;

/// <summary>The repository this test was built from, and the configuration it was built in.</summary>
internal static class Repository
{
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string Root { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Oxbow.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Oxbow.slnx not found above " + AppContext.BaseDirectory);
    }
}
