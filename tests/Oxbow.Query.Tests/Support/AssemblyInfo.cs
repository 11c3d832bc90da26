// These tests start real processes (oxbow, s3rver) and DuckDB uses every core: one test at a time keeps a 2-core
// CI machine predictable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
