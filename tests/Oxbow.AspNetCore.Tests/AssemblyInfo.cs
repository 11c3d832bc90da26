// Oxbow's pipeline is process-wide (OxCapture configures it): one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
