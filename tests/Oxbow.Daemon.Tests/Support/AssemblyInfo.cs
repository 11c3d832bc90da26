// Each test starts real daemons on real ports; running them one at a time keeps a 2-core CI machine predictable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
