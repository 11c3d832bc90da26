namespace Oxbow.Store.Files;

/// <summary>
/// A forward-only <see cref="Stream"/> over an <see cref="IDurableFile"/>, for code that writes or reads through
/// streams (gzip): every byte still goes through the seam, so a crash test can stop at any of its writes.
/// Flushing the stream writes nothing durable; the owner calls <see cref="IDurableFile.Flush"/>.
/// </summary>
internal sealed class DurableFileStream(IDurableFile file, bool writable) : Stream
{
    private long _position;

    public override bool CanRead => !writable;

    public override bool CanSeek => false;

    public override bool CanWrite => writable;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = file.Read(buffer, _position);
        _position += read;
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        file.Write(buffer, _position);
        _position += buffer.Length;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
