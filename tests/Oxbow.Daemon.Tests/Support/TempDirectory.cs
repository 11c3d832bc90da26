namespace Oxbow.Daemon.Tests.Support;

/// <summary>A directory deleted at the end of a test (kept for inspection when OXBOW_KEEP_TEST_DIRS=1).</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "oxbow-tests", Guid.NewGuid().ToString("n"));

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("OXBOW_KEEP_TEST_DIRS") == "1")
        {
            return;
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
