namespace Oxbow.Daemon.Tests.Support;

/// <summary>Waits for a condition with a deadline, never for a fixed time.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, Func<string> describe, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(describe());
            }

            await Task.Delay(25);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, Func<string> describe, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(describe());
            }

            await Task.Delay(25);
        }
    }
}
