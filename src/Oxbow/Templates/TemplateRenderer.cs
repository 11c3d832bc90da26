namespace Oxbow.Templates;

/// <summary>Positional arguments of a template call, unboxed (generated per arity in TemplateArgs.g.cs).</summary>
internal interface ITemplateArgs
{
    /// <summary>Appends the argument bound to <paramref name="hole"/>; false when the call passed none.</summary>
    bool TryAppend(MessageBuilder builder, in ParsedTemplate.Token hole);
}

/// <summary>A template call without arguments.</summary>
internal readonly struct NoTemplateArgs : ITemplateArgs
{
    public bool TryAppend(MessageBuilder builder, in ParsedTemplate.Token hole) => false;
}

/// <summary>Fills a <see cref="MessageBuilder"/> from a Serilog-style template and its positional arguments.</summary>
internal static class TemplateRenderer
{
    public static void Render<TArgs>(MessageBuilder builder, string template, in TArgs args)
        where TArgs : struct, ITemplateArgs
    {
        var parsed = ParsedTemplate.Get(template);
        builder.UseTemplate(template);
        foreach (ref readonly var token in parsed.Tokens.AsSpan())
        {
            // A hole without an argument stays in the message as written, as Serilog leaves it.
            if (token.Name is null || !args.TryAppend(builder, token))
            {
                builder.Literal(template.AsSpan(token.Start, token.Length));
            }
        }
    }
}
