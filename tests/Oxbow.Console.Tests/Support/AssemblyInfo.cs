// One browser and real daemons: one test at a time keeps a 2-core CI machine predictable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
