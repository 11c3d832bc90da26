using System.Buffers;

namespace Oxbow.Daemon.Ingest;

/// <summary>
/// Says whether UTF-8 text is well-formed JSON (RFC 8259), with the same answer as <c>Utf8JsonReader</c> under
/// <see cref="EventLines"/>' options (no comments, no trailing commas, at most 64 levels), but without producing
/// tokens. It runs on every event at ingest, where the reader's token bookkeeping was a fifth of the daemon's CPU; a
/// test compares both on a large set of valid and mutated documents. It answers yes or no only: for a no,
/// <see cref="EventLines"/> asks <c>Utf8JsonReader</c> to say what is wrong and where.
/// </summary>
/// <remarks>The text must already be valid UTF-8: the caller checks a whole batch at once, which is faster.</remarks>
internal static class JsonSyntax
{
    /// <summary>The deepest nesting allowed, as <c>JsonReaderOptions.MaxDepth</c>'s default.</summary>
    public const int MaxDepth = 64;

    // In a string, the bytes that end the fast scan: the closing quote, an escape, or a control character (not allowed raw).
    private static readonly SearchValues<byte> StringStops = SearchValues.Create(
        "\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"u8);

    private static readonly bool[] IsStringStop = [.. Enumerable.Range(0, 256).Select(b => StringStops.Contains((byte)b))];

    /// <summary>Whether <paramref name="json"/> is exactly one JSON value, with optional whitespace around it.</summary>
    public static bool IsValid(ReadOnlySpan<byte> json) => Validate(json, depth: 0, objects: 0, afterValue: false);

    /// <summary>
    /// Whether <paramref name="rest"/> correctly finishes an object whose opening brace and first member came before
    /// it: it must be <c>,"name":value…}</c> or <c>}</c>, then nothing but whitespace. The head of a canonical event line
    /// is checked byte by byte elsewhere, so only its rest needs this.
    /// </summary>
    public static bool IsValidObjectRest(ReadOnlySpan<byte> rest) => Validate(rest, depth: 1, objects: 1, afterValue: true);

    /// <summary>
    /// As <see cref="IsValidObjectRest(ReadOnlySpan{byte})"/>, and also whether every key can stay as it is
    /// (<see cref="KeyRepair"/>'s rules): no key is empty, none repeats an earlier key of its object ignoring ASCII
    /// case (at the top level, <c>id</c>, <c>type</c>, <c>start</c> and <c>end</c> came before), and none has an escape
    /// (which this scan does not decode). A false <paramref name="keysClean"/> stops the scan: the caller checks and
    /// repairs the line the slow way.
    /// </summary>
    [System.Runtime.CompilerServices.SkipLocalsInit] // every slot is written before it is read: no need to zero 2 KiB per event
    public static bool IsValidObjectRest(ReadOnlySpan<byte> rest, out bool keysClean)
    {
        var keys = new KeyTracker(stackalloc int[MaxKeys * 2], stackalloc int[MaxDepth + 1]);
        keys.Opened(1);
        var valid = Validate(rest, depth: 1, objects: 1, afterValue: true, ref keys);
        keysClean = keys.Clean;
        return valid;
    }

    private const int MaxKeys = 256; // keys open at once, over all levels; more sends the line the slow way

    private static bool Validate(ReadOnlySpan<byte> json, int depth, ulong objects, bool afterValue)
    {
        var none = new KeyTracker(default, default);
        return Validate(json, depth, objects, afterValue, ref none);
    }

    /// <summary>The keys of the objects open during a scan, to find an empty or repeated one.</summary>
    private ref struct KeyTracker(Span<int> keys, Span<int> firstKey)
    {
        private readonly Span<int> _keys = keys; // start and length of each key, pairwise
        private readonly Span<int> _firstKey = firstKey; // per depth: the index in _keys of the object's first key
        private int _count;

        public bool Clean { get; private set; } = true;

        public readonly bool Tracking => !_firstKey.IsEmpty;

        public void Opened(int depth)
        {
            _firstKey[depth] = _count;
        }

        public void Closed(int depth)
        {
            _count = _firstKey[depth];
        }

        /// <summary>Records a key (the bytes between its quotes); false when it must be repaired.</summary>
        public bool Add(ReadOnlySpan<byte> json, int start, int length, int depth)
        {
            var key = json.Slice(start, length);
            if (length == 0 || key.IndexOf((byte)'\\') >= 0 || _count == _keys.Length / 2
                || (depth == 1 && (IsHeadKey(key))))
            {
                return Clean = false;
            }

            // Same length, then the same first byte ignoring case (| 0x20 folds ASCII letters), before the full compare.
            var first = key[0] | 0x20;
            for (var j = _firstKey[depth]; j < _count; j++)
            {
                if (_keys[(2 * j) + 1] == length && (json[_keys[2 * j]] | 0x20) == first
                    && System.Text.Ascii.EqualsIgnoreCase(json.Slice(_keys[2 * j], length), key))
                {
                    return Clean = false;
                }
            }

            _keys[2 * _count] = start;
            _keys[(2 * _count) + 1] = length;
            _count++;
            return true;
        }

        private static bool IsHeadKey(ReadOnlySpan<byte> key) => key.Length switch
        {
            2 => System.Text.Ascii.EqualsIgnoreCase(key, "id"u8),
            3 => System.Text.Ascii.EqualsIgnoreCase(key, "end"u8),
            4 => System.Text.Ascii.EqualsIgnoreCase(key, "type"u8),
            5 => System.Text.Ascii.EqualsIgnoreCase(key, "start"u8),
            _ => false,
        };
    }

    /// <param name="json">The text.</param>
    /// <param name="depth">Containers open at the start.</param>
    /// <param name="objects">One bit per open container, innermost lowest: 1 for an object, 0 for an array.</param>
    /// <param name="afterValue">Whether a value (or member) was just read at the start.</param>
    /// <param name="keys">The open objects' keys, when tracked: the scan stops at the first key that needs repair.</param>
    private static bool Validate(ReadOnlySpan<byte> json, int depth, ulong objects, bool afterValue, ref KeyTracker keys)
    {
        var i = 0;
        if (afterValue)
        {
            goto AfterValue;
        }

    Value:
        i = SkipWhitespace(json, i);
        if (i >= json.Length)
        {
            return false;
        }

        switch (json[i])
        {
            case (byte)'"':
                i = SkipString(json, i);
                if (i < 0)
                {
                    return false;
                }

                goto AfterValue;
            case (byte)'{' or (byte)'[':
                if (depth >= MaxDepth)
                {
                    return false;
                }

                var isObject = json[i] == '{';
                depth++;
                objects = (objects << 1) | (isObject ? 1UL : 0UL);
                if (isObject && keys.Tracking)
                {
                    keys.Opened(depth);
                }

                i = SkipWhitespace(json, i + 1);
                if (i < json.Length && json[i] == (isObject ? '}' : ']'))
                {
                    // Empty.
                    i++;
                    depth--;
                    objects >>= 1;
                    goto AfterValue;
                }

                if (isObject)
                {
                    goto MemberName;
                }

                goto Value;
            case (byte)'t' or (byte)'f' or (byte)'n':
                var literal = json[i] switch { (byte)'t' => "true"u8, (byte)'f' => "false"u8, _ => "null"u8 };
                if (!json[i..].StartsWith(literal))
                {
                    return false;
                }

                i += literal.Length;
                goto AfterValue;
            default:
                i = SkipNumber(json, i);
                if (i < 0)
                {
                    return false;
                }

                goto AfterValue;
        }

    MemberName:
        i = SkipWhitespace(json, i);
        if (i >= json.Length || json[i] != '"')
        {
            return false;
        }

        var keyStart = i + 1;
        i = SkipString(json, i);
        if (i < 0)
        {
            return false;
        }

        if (keys.Tracking && !keys.Add(json, keyStart, i - 1 - keyStart, depth))
        {
            return false;
        }

        i = SkipWhitespace(json, i);
        if (i >= json.Length || json[i] != ':')
        {
            return false;
        }

        i++;
        goto Value;

    AfterValue:
        i = SkipWhitespace(json, i);
        if (depth == 0)
        {
            return i == json.Length;
        }

        if (i >= json.Length)
        {
            return false;
        }

        var inObject = (objects & 1) != 0;
        switch (json[i])
        {
            case (byte)',':
                i++;
                if (inObject)
                {
                    goto MemberName;
                }

                goto Value;
            case (byte)'}' when inObject:
            case (byte)']' when !inObject:
                if (inObject && keys.Tracking)
                {
                    keys.Closed(depth);
                }

                i++;
                depth--;
                objects >>= 1;
                goto AfterValue;
            default:
                return false;
        }
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i;
    }

    /// <summary>From an opening quote, the index after the closing one; -1 when the string is not well-formed.</summary>
    private static int SkipString(ReadOnlySpan<byte> json, int i)
    {
        i++;
        while (true)
        {
            // Most strings in events are short (levels, hosts, methods): a plain loop over the first bytes beats the
            // vector search's setup; longer ones go on with the vector search.
            var shortEnd = Math.Min(json.Length, i + 16);
            while (i < shortEnd && !IsStringStop[json[i]])
            {
                i++;
            }

            if (i == shortEnd)
            {
                var stop = json[i..].IndexOfAny(StringStops);
                if (stop < 0)
                {
                    return -1;
                }

                i += stop;
            }

            switch (json[i])
            {
                case (byte)'"':
                    return i + 1;
                case (byte)'\\':
                    if (i + 1 >= json.Length)
                    {
                        return -1;
                    }

                    switch (json[i + 1])
                    {
                        case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                            i += 2;
                            break;
                        case (byte)'u':
                            if (i + 6 > json.Length || !IsHex(json[i + 2]) || !IsHex(json[i + 3]) || !IsHex(json[i + 4]) || !IsHex(json[i + 5]))
                            {
                                return -1;
                            }

                            i += 6;
                            break;
                        default:
                            return -1;
                    }

                    break;
                default:
                    // A raw control character.
                    return -1;
            }
        }
    }

    /// <summary>The index after a number (<c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>); -1 when there is none.</summary>
    private static int SkipNumber(ReadOnlySpan<byte> json, int i)
    {
        if (json[i] == '-')
        {
            i++;
        }

        if (i >= json.Length)
        {
            return -1;
        }

        if (json[i] == '0')
        {
            i++;
        }
        else if (IsDigit(json[i]))
        {
            i = SkipDigits(json, i + 1);
        }
        else
        {
            return -1;
        }

        if (i < json.Length && json[i] == '.')
        {
            if (i + 1 >= json.Length || !IsDigit(json[i + 1]))
            {
                return -1;
            }

            i = SkipDigits(json, i + 2);
        }

        if (i < json.Length && json[i] is (byte)'e' or (byte)'E')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            if (i >= json.Length || !IsDigit(json[i]))
            {
                return -1;
            }

            i = SkipDigits(json, i + 1);
        }

        return i;
    }

    private static int SkipDigits(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && IsDigit(json[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsHex(byte b) => IsDigit(b) || (uint)((b | 0x20) - 'a') <= 5;
}
