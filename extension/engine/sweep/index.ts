/** Sweeps at scale: the default concurrency rule, point identity and resuming, progress bookkeeping, Slurm job arrays and the commands that submit and follow them. */
export * from './concurrency';
export * from './points';
export * from './slurm';
export * from './slurmCommands';
