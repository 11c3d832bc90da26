// Oxbow's pipeline is process-wide: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
