namespace Oxbow.Templates;

/// <summary>What every level's interpolated-string handler does; the handlers differ only in the level they check.</summary>
internal struct MessageHandlerCore
{
    private int _holes;

    public MessageHandlerCore(OxLogger logger, OxLevel level, out bool isEnabled)
    {
        // The only work when the level is off: this comparison. The compiler then skips every append.
        Builder = (int)level >= logger.Floor.Gate ? MessageBuilder.Rent(logger) : null;
        isEnabled = Builder is not null;
        _holes = 0;
    }

    public readonly MessageBuilder? Builder { get; }

    public readonly void Literal(string value) => Builder?.Literal(value);

    public void Hole<T>(T value, int alignment, string? format, string? expression)
    {
        if (Builder is { } builder)
        {
            var name = HoleNames.Resolve(expression, format, _holes++, out var renderFormat);
            builder.Hole(value, name, alignment, renderFormat, HoleCapture.Default);
        }
    }
}
