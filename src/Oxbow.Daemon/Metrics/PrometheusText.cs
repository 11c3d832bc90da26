using System.Globalization;
using System.Text;

namespace Oxbow.Daemon.Metrics;

/// <summary>The <c>/metrics</c> page in Prometheus text exposition format 0.0.4.</summary>
internal static class PrometheusText
{
    public static string Write(IEnumerable<MetricFamily> families)
    {
        var text = new StringBuilder(4096);
        foreach (var family in families)
        {
            var name = family.Kind == MetricKind.Counter ? family.Name + "_total" : family.Name;
            text.Append("# HELP ").Append(name).Append(' ').Append(family.Help).Append('\n')
                .Append("# TYPE ").Append(name).Append(' ').Append(family.Kind == MetricKind.Counter ? "counter" : "gauge").Append('\n');
            foreach (var sample in family.Samples)
            {
                text.Append(name);
                if (sample.LabelName is not null)
                {
                    text.Append('{').Append(sample.LabelName).Append("=\"")
                        .Append(sample.LabelValue!.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n")).Append("\"}");
                }

                text.Append(' ').Append(sample.Value.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }
        }

        return text.ToString();
    }
}
