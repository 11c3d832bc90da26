using Oxbow.Testing;
using Oxbow.Tests.Support;

namespace Oxbow.Tests;

[Collection(Support.GlobalState.Name)]
public class RedactionTests : OxbowTestBase
{
    [Fact]
    public void Secret_keys_are_redacted_by_default_in_log_calls_bound_fields_and_contexts()
    {
        using var capture = OxCapture.Start();
        Ox.Log.Bind("api_key", "k-123").Info("login", "user", "bob", "password", "hunter2", "Authorization", "Bearer x");
        using (Ox.Context("request"))
        {
            Ox.Set("headers.cookie", "session=1");
            Ox.Set("db.connection_secret", "s");
            Ox.Set("auth", new Dictionary<string, object?> { ["refresh_token"] = "t", ["user"] = "bob" });
            Ox.Set("path", "/login");
        }

        Assert.EndsWith("""
            "body":{"event":"login","user":"bob","password":"[redacted]","Authorization":"[redacted]","api_key":"[redacted]"}}
            """, capture.Lines[0]);
        Assert.EndsWith("""
            "body":{"headers":{"cookie":"[redacted]"},"db":{"connection_secret":"[redacted]"},"auth":{"refresh_token":"[redacted]","user":"bob"},"path":"/login"}}
            """, capture.Lines[1]);
        Assert.DoesNotContain("hunter2", string.Join("\n", capture.Lines));
    }

    [Fact]
    public void The_patterns_are_configurable()
    {
        var sink = Configure(o => o.Redaction = new RedactionPolicy(["ssn"]));
        Ox.Log.Info("signup", "customer_ssn", "123-45-6789", "password", "visible-now");
        Ox.Flush();
        Assert.EndsWith("""
            "body":{"event":"signup","customer_ssn":"[redacted]","password":"visible-now"}}
            """, Assert.Single(sink.Lines));
    }

    [Fact]
    public void Oxbow_redact_adds_patterns_to_the_defaults()
    {
        var options = OxbowOptions.FromEnvironment(name => name == "OXBOW_REDACT" ? "iban, ssn" : null);
        Assert.True(options.Redaction.IsSecret("customer_IBAN"));
        Assert.True(options.Redaction.IsSecret("password"));
        Assert.False(options.Redaction.IsSecret("user"));
    }
}
