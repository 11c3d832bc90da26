namespace Oxbow;

/// <summary>
/// The daemon's own events. It logs through Oxbow itself (console by default), as any application would, so its
/// messages are structured and carry the daemon's identity.
/// </summary>
/// <remarks>It lives in the store's assembly because the collector's store runs inside the daemon and reports there
/// too; the daemon sees it through InternalsVisibleTo.</remarks>
internal static class OxbowDaemonLog
{
    private static readonly OxLogger Log = Ox.GetLogger("oxbow");

    public static void Info(string evt) => Log.Info(evt);

    public static void Info<T1>(string evt, string k1, T1 v1) => Log.Info(evt, k1, v1);

    public static void Info<T1, T2>(string evt, string k1, T1 v1, string k2, T2 v2) => Log.Info(evt, k1, v1, k2, v2);

    public static void Warning(string evt) => Log.Warning(evt);

    public static void Warning<T1>(string evt, string k1, T1 v1) => Log.Warning(evt, k1, v1);

    public static void Warning<T1, T2>(string evt, string k1, T1 v1, string k2, T2 v2) => Log.Warning(evt, k1, v1, k2, v2);

    public static void Warning<T1, T2, T3>(string evt, string k1, T1 v1, string k2, T2 v2, string k3, T3 v3) => Log.Warning(evt, k1, v1, k2, v2, k3, v3);

    public static void Error(string evt, Exception exception) => Log.Error(exception, evt);
}
