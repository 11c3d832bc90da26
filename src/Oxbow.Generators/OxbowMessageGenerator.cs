using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Oxbow.Generators;

/// <summary>
/// Writes the bodies of <c>[OxbowMessage]</c> methods: a level check, then <c>OxLogger.Write</c> with the template
/// and the parameters in the order the template's holes first name them. The template is checked here, at compile
/// time, so a hole without a parameter or a parameter without a hole is an error instead of a silent gap in the logs.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class OxbowMessageGenerator : IIncrementalGenerator
{
    private const string AttributeName = "Oxbow.OxbowMessageAttribute";
    private const int MaxHoles = 6;
    private static readonly string[] Levels = ["Trace", "Debug", "Info", "Warning", "Error", "Critical"];

    private static readonly DiagnosticDescriptor BadShape = new(
        "OXB0001", "Invalid [OxbowMessage] method", "[OxbowMessage] method '{0}' must be static partial void, have an OxLogger parameter and at most one Exception parameter",
        "Oxbow", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor HoleWithoutParameter = new(
        "OXB0002", "Template hole without a parameter", "The template of '{0}' has the hole {{{1}}} but the method has no parameter named '{1}'",
        "Oxbow", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor ParameterWithoutHole = new(
        "OXB0003", "Parameter without a template hole", "Parameter '{1}' of '{0}' is not in its template; add {{{1}}} or remove the parameter",
        "Oxbow", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor TooManyHoles = new(
        "OXB0004", "Too many template holes", "The template of '{0}' has {1} distinct holes; at most 6 are supported",
        "Oxbow", DiagnosticSeverity.Error, isEnabledByDefault: true);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var methods = context.SyntaxProvider.ForAttributeWithMetadataName(
            AttributeName,
            static (node, _) => node is MethodDeclarationSyntax,
            static (ctx, _) => Describe(ctx));
        context.RegisterSourceOutput(methods, static (output, result) =>
        {
            foreach (var diagnostic in result.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic);
            }

            if (result.Source is not null)
            {
                output.AddSource(result.HintName!, result.Source);
            }
        });
    }

    private sealed class Result
    {
        public string? HintName;
        public string? Source;
        public ImmutableArray<Diagnostic> Diagnostics = ImmutableArray<Diagnostic>.Empty;
    }

    private static Result Describe(GeneratorAttributeSyntaxContext ctx)
    {
        var method = (IMethodSymbol)ctx.TargetSymbol;
        var syntax = (MethodDeclarationSyntax)ctx.TargetNode;
        var location = syntax.Identifier.GetLocation();
        var attribute = ctx.Attributes[0];
        var level = attribute.ConstructorArguments.Length == 2 && attribute.ConstructorArguments[0].Value is int l && l >= 0 && l < Levels.Length ? Levels[l] : null;
        var template = attribute.ConstructorArguments.Length == 2 ? attribute.ConstructorArguments[1].Value as string : null;

        var loggers = method.Parameters.Where(p => p.Type.ToDisplayString() == "Oxbow.OxLogger").ToList();
        var exceptions = method.Parameters.Where(p => IsException(p.Type)).ToList();
        var isPartialDefinition = syntax.Modifiers.Any(SyntaxKind.PartialKeyword) && syntax.Body is null && syntax.ExpressionBody is null;
        if (!method.IsStatic || !isPartialDefinition || !method.ReturnsVoid || loggers.Count != 1 || exceptions.Count > 1 || level is null || template is null)
        {
            return Fail(Diagnostic.Create(BadShape, location, method.Name));
        }

        var holes = HoleNames(template);
        var values = method.Parameters.Where(p => !SymbolEqualityComparer.Default.Equals(p, loggers[0]) && (exceptions.Count == 0 || !SymbolEqualityComparer.Default.Equals(p, exceptions[0]))).ToList();
        var diagnostics = new List<Diagnostic>();
        var ordered = new List<IParameterSymbol>();
        foreach (var hole in holes)
        {
            var parameter = values.FirstOrDefault(p => string.Equals(p.Name.TrimStart('@'), hole, System.StringComparison.OrdinalIgnoreCase));
            if (parameter is null)
            {
                diagnostics.Add(Diagnostic.Create(HoleWithoutParameter, location, method.Name, hole));
            }
            else
            {
                ordered.Add(parameter);
            }
        }

        foreach (var parameter in values.Where(p => !ordered.Contains(p, SymbolEqualityComparer.Default)))
        {
            diagnostics.Add(Diagnostic.Create(ParameterWithoutHole, location, method.Name, parameter.Name));
        }

        if (holes.Count > MaxHoles)
        {
            diagnostics.Add(Diagnostic.Create(TooManyHoles, location, method.Name, holes.Count));
        }

        if (diagnostics.Count > 0)
        {
            return new Result { Diagnostics = diagnostics.ToImmutableArray() };
        }

        return new Result
        {
            HintName = HintName(method),
            Source = Emit(method, syntax, level, template, loggers[0], exceptions.FirstOrDefault(), ordered),
        };
    }

    private static Result Fail(Diagnostic diagnostic) => new() { Diagnostics = ImmutableArray.Create(diagnostic) };

    private static bool IsException(ITypeSymbol type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.ToDisplayString() == "System.Exception")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Distinct hole names in order of first appearance, by the grammar of Oxbow's templates.</summary>
    internal static List<string> HoleNames(string template)
    {
        var names = new List<string>();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                i++;
                continue;
            }

            var close = c == '{' ? template.IndexOf('}', i + 1) : -1;
            if (close < 0)
            {
                continue;
            }

            var inside = template.Substring(i + 1, close - i - 1).TrimStart('@', '$');
            var cut = inside.IndexOfAny([',', ':']);
            var name = cut < 0 ? inside : inside.Substring(0, cut);
            if (name.Length > 0 && name.All(ch => ch == '_' || (ch < 128 && char.IsLetterOrDigit(ch))))
            {
                if (!names.Contains(name))
                {
                    names.Add(name);
                }

                i = close;
            }
        }

        return names;
    }

    private static string HintName(IMethodSymbol method)
    {
        var type = method.ContainingType.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "").Replace('<', '_').Replace('>', '_');
        return $"{type}.{method.Name}.OxbowMessage.g.cs";
    }

    private static string Emit(IMethodSymbol method, MethodDeclarationSyntax syntax, string level, string template, IParameterSymbol logger, IParameterSymbol? exception, List<IParameterSymbol> ordered)
    {
        var sb = new StringBuilder();
        sb.AppendLine("// <auto-generated>Generated by Oxbow.Generators from [OxbowMessage].</auto-generated>");
        sb.AppendLine("#nullable enable");
        var ns = method.ContainingNamespace.IsGlobalNamespace ? null : method.ContainingNamespace.ToDisplayString();
        if (ns is not null)
        {
            sb.Append("namespace ").Append(ns).AppendLine(";");
        }

        var containers = new List<INamedTypeSymbol>();
        for (var t = method.ContainingType; t is not null; t = t.ContainingType)
        {
            containers.Insert(0, t);
        }

        foreach (var type in containers)
        {
            var keyword = type.IsRecord ? (type.IsValueType ? "record struct" : "record") : type.IsValueType ? "struct" : type.TypeKind == TypeKind.Interface ? "interface" : "class";
            sb.Append("partial ").Append(keyword).Append(' ').Append(type.Name);
            if (type.TypeParameters.Length > 0)
            {
                sb.Append('<').Append(string.Join(", ", type.TypeParameters.Select(p => p.Name))).Append('>');
            }

            sb.AppendLine().AppendLine("{");
        }

        var parameters = string.Join(", ", method.Parameters.Select((p, i) =>
            (i == 0 && method.IsExtensionMethod ? "this " : "") + p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier)) + " @" + p.Name));
        var modifiers = string.Join(" ", syntax.Modifiers.Select(m => m.Text));
        var levelExpr = "global::Oxbow.OxLevel." + level;
        var args = new List<string> { levelExpr };
        if (exception is not null)
        {
            args.Add("@" + exception.Name);
        }

        args.Add(SymbolDisplay.FormatLiteral(template, quote: true));
        args.AddRange(ordered.Select(p => "@" + p.Name));

        sb.AppendLine("    [global::System.CodeDom.Compiler.GeneratedCode(\"Oxbow.Generators\", \"1.0\")]");
        sb.Append("    ").Append(modifiers).Append(" void ").Append(method.Name).Append('(').Append(parameters).AppendLine(")");
        sb.AppendLine("    {");
        sb.Append("        if (@").Append(logger.Name).Append(".IsEnabled(").Append(levelExpr).AppendLine("))");
        sb.AppendLine("        {");
        sb.Append("            @").Append(logger.Name).Append(".Write(").Append(string.Join(", ", args)).AppendLine(");");
        sb.AppendLine("        }");
        sb.AppendLine("    }");
        foreach (var _ in containers)
        {
            sb.AppendLine("}");
        }

        return sb.ToString();
    }
}
