// Oxbow's configuration is process-wide (like Serilog's Log.Logger), so tests that configure it must not overlap.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
