namespace Oxbow;

/// <summary>What a logging call does when the background writer has fallen behind and the queue is full.</summary>
public enum QueueFullMode
{
    /// <summary>Drop the new event and count it in <see cref="OxbowStats.DroppedQueueFull"/>. The caller never waits (default).</summary>
    DropNewest,

    /// <summary>Block the caller until the writer frees space. Nothing is lost, but a slow sink slows the application.</summary>
    Wait,
}
