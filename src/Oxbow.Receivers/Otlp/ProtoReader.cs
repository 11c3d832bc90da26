using System.Buffers.Binary;

namespace Oxbow.Receivers.Otlp;

/// <summary>Protobuf's wire types (the low three bits of a tag).</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// Reads protobuf's wire format in place, without building messages: the log path maps records straight from the
/// request's bytes (the generated classes cost a string and an object per attribute). Positions are absolute in the
/// body the first reader was made over, so a field's bytes can be kept as a slice of the body.
/// </summary>
/// <remarks>Every read checks its bounds: a malformed body throws <see cref="FormatException"/>, never reads past it.</remarks>
internal ref struct ProtoReader(ReadOnlySpan<byte> data, int origin = 0)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool End => _position >= _data.Length;

    /// <summary>The next field's number and wire type.</summary>
    /// <exception cref="FormatException">The tag is malformed.</exception>
    public int ReadTag(out WireType wire)
    {
        var tag = Varint();
        var field = tag >> 3;
        wire = (WireType)(tag & 7);
        if (field is 0 or > 536_870_911 || (int)wire > 5)
        {
            throw new FormatException($"invalid protobuf tag {tag} at byte {origin + _position}");
        }

        return (int)field;
    }

    public ulong Varint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw Truncated();
            }

            var b = _data[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new FormatException($"a protobuf varint is over 10 bytes at byte {origin + _position}");
    }

    public ulong Fixed64()
    {
        if (_data.Length - _position < 8)
        {
            throw Truncated();
        }

        var value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
        _position += 8;
        return value;
    }

    /// <summary>A length-delimited field's bytes (a string, bytes or an embedded message).</summary>
    public ReadOnlySpan<byte> Bytes()
    {
        var (start, length) = Slice();
        return _data.Slice(start - origin, length);
    }

    /// <summary>A length-delimited field's position in the body and its length.</summary>
    public (int Start, int Length) Slice()
    {
        var length = Varint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw Truncated();
        }

        var start = _position;
        _position += (int)length;
        return (origin + start, (int)length);
    }

    /// <summary>An embedded message, read by a reader of its own.</summary>
    public ProtoReader Message()
    {
        var (start, length) = Slice();
        return new ProtoReader(_data.Slice(start - origin, length), start);
    }

    /// <summary>Steps over a field this reader does not use.</summary>
    public void Skip(WireType wire)
    {
        switch (wire)
        {
            case WireType.Varint:
                Varint();
                break;
            case WireType.Fixed64:
                Advance(8);
                break;
            case WireType.LengthDelimited:
                Slice();
                break;
            case WireType.Fixed32:
                Advance(4);
                break;
            default:
                // Groups are proto2's, and OTLP never has them.
                throw new FormatException($"protobuf groups are not supported (byte {origin + _position})");
        }
    }

    private void Advance(int count)
    {
        if (_data.Length - _position < count)
        {
            throw Truncated();
        }

        _position += count;
    }

    private readonly FormatException Truncated() => new($"the protobuf message is truncated at byte {origin + _position}");
}

/// <summary>
/// Every length-delimited occurrence of one field of a message (a repeated message or string), as slices of the
/// message, in wire order; other fields are skipped. <c>foreach (var record in new MessageFields(scopeLogs, 2))</c>.
/// </summary>
/// <exception cref="FormatException">From <see cref="MoveNext"/>, when the message is malformed.</exception>
internal ref struct MessageFields(ReadOnlyMemory<byte> message, int field)
{
    private readonly ReadOnlyMemory<byte> _message = message;
    private ProtoReader _reader = new(message.Span);

    public ReadOnlyMemory<byte> Current { get; private set; }

    public readonly MessageFields GetEnumerator() => this;

    public bool MoveNext()
    {
        while (!_reader.End)
        {
            if (_reader.ReadTag(out var wire) == field && wire == WireType.LengthDelimited)
            {
                var (start, length) = _reader.Slice();
                Current = _message.Slice(start, length);
                return true;
            }

            _reader.Skip(wire);
        }

        return false;
    }
}
