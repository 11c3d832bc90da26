using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Oxbow.Generators;
using Oxbow.Testing;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

internal static partial class ShopLog
{
    [OxbowMessage(OxLevel.Info, "Order {OrderId} shipped to {Country}")]
    public static partial void OrderShipped(this OxLogger log, string country, int orderId);

    [OxbowMessage(OxLevel.Error, "Payment {PaymentId} failed after {Ms,5}ms")]
    public static partial void PaymentFailed(OxLogger log, Exception error, long ms, Guid paymentId);
}

[Collection(Support.GlobalState.Name)]
public class GeneratedMessageTests : OxbowTestBase
{
    private static string Body(string line) => Regex.Match(line, "\"body\":(.*)}$").Groups[1].Value;

    [Fact]
    public void A_generated_method_writes_the_same_event_as_the_template_call()
    {
        Configure();
        using var capture = OxCapture.Start();
        Ox.Log.OrderShipped("NL", 42);
        Ox.Log.Write(OxLevel.Info, "Order {OrderId} shipped to {Country}", 42, "NL");
        Assert.Equal(2, capture.Lines.Count);
        Assert.Equal(
            """{"event":"Order {OrderId} shipped to {Country}","template":"Order {OrderId} shipped to {Country}","message":"Order 42 shipped to NL","OrderId":42,"Country":"NL"}""",
            Body(capture.Lines[0]));
        Assert.Equal(Body(capture.Lines[0]), Body(capture.Lines[1]));
    }

    [Fact]
    public void A_generated_method_passes_its_exception_and_checks_its_level()
    {
        Configure(o => o.MinimumLevel = OxLevel.Error);
        using var capture = OxCapture.Start();
        var id = Guid.Parse("5f2b6c1e-0000-4000-8000-000000000001");
        ShopLog.PaymentFailed(Ox.Log, new TimeoutException("gateway"), 1200, id);
        Ox.Log.OrderShipped("NL", 1); // Info is below the minimum
        var e = Assert.Single(capture.Events);
        Assert.Equal(OxLevel.Error, e.Level);
        Assert.Equal("Payment 5f2b6c1e-0000-4000-8000-000000000001 failed after  1200ms", e["message"]);
        Assert.Equal(1200L, e["Ms"]);
        Assert.Equal("gateway", ((FieldMap)e["exception"]!)["message"]);
    }

    [Theory]
    [InlineData("static partial void M(OxLogger log, int orderId);", "{OrderId} and {Missing}", "OXB0002")]
    [InlineData("static partial void M(OxLogger log, int orderId, int extra);", "{OrderId}", "OXB0003")]
    [InlineData("partial void M(OxLogger log, int orderId);", "{OrderId}", "OXB0001")]
    [InlineData("static partial void M(int orderId);", "{OrderId}", "OXB0001")]
    [InlineData("static partial void M(OxLogger l, int a, int b, int c, int d, int e, int f, int g);", "{a}{b}{c}{d}{e}{f}{g}", "OXB0004")]
    public void A_template_that_does_not_match_its_method_is_a_compile_error(string declaration, string template, string id)
    {
        var source = $$"""
            using Oxbow;
            partial class Log
            {
                [OxbowMessage(OxLevel.Info, "{{template}}")]
                {{declaration}}
            }
            """;
        var compilation = CSharpCompilation.Create(
            "bad",
            [CSharpSyntaxTree.ParseText(source)],
            [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p)),
                MetadataReference.CreateFromFile(typeof(OxLogger).Assembly.Location)],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        CSharpGeneratorDriver.Create(new OxbowMessageGenerator()).RunGeneratorsAndUpdateCompilation(compilation, out _, out var diagnostics);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
    }
}
