/** Sweeps at scale: the default concurrency rule, point identity and resuming, progress bookkeeping, Slurm job arrays. */
export * from './concurrency';
export * from './points';
export * from './slurm';
