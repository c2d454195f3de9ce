/**
 * Slurm job arrays for sweeps: the sbatch script of `training-dynamics submit --slurm` (one array task per
 * point, each running the CLI on its point into the experiment's runs folder), the array's manifest, and the
 * reading of `sacct` / `squeue` output. Pure text in and out; the CLI and the extension run the commands.
 */

/** `<arrayJob>_<task>` (or the job id) of the Slurm job this process runs in, or null outside Slurm. */
export function slurmTaskId(env: NodeJS.ProcessEnv): string | null {
  const job = env.SLURM_JOB_ID;
  if (!job) return null;
  const array = env.SLURM_ARRAY_JOB_ID;
  const task = env.SLURM_ARRAY_TASK_ID;
  return array && task !== undefined && task !== '' ? `${array}_${task}` : job;
}
