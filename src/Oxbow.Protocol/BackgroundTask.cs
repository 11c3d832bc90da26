namespace Oxbow.Transport;

/// <summary>Starts long-running background loops without the caller's ExecutionContext.</summary>
/// <remarks>
/// A loop started with <c>Task.Run</c> keeps the AsyncLocals of whoever started it for as long as it runs: an
/// application's ambient fields, an open context, an <c>Activity</c>, a test's capture. Logging infrastructure must
/// not carry those into its own work, where they would leak into every later event it touches.
/// </remarks>
internal static class BackgroundTask
{
    public static Task Run(Func<Task> loop)
    {
        if (ExecutionContext.IsFlowSuppressed())
        {
            return Task.Run(loop);
        }

        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(loop);
        }
    }
}
