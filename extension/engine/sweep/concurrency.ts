/**
 * How many runs to train at once by default, for the CLI (`run --jobs`) and the extension's queue
 * (`trainingDynamics.maxConcurrentRuns` = 0): as many as keep every core busy. A run on the native fast path
 * (fast/native.ts) trains on one thread, its test evaluation on a libuv worker beside it (a third of a step,
 * inline when the process may use one core only): one run a core, the evaluations oversubscribing a little. A run on the wasm or cpu
 * backend keeps one core busy with training and, on a machine with a second core, part of another with its
 * evaluation thread (testEvaluator.ts): the per-epoch test evaluation is a forward pass over as many rows as
 * training, against training's forward + backward pass, i.e. about a third of an epoch (npm run bench: the
 * inline evaluation adds 31–35 %). The tensorflow backend (tfjs-node) runs its own thread pool over every core,
 * so one such run at a time. A little oversubscription costs nothing here (the runs are CPU-bound and do not
 * share memory), while one thread short leaves a core idle: the count rounds up.
 */

/** Cores a run's evaluation thread keeps busy, on average. */
export const EVALUATION_THREAD_LOAD = 1 / 3;

/** Default number of concurrent runs on `cores` cores for runs on `backend` (a backend name or choice). */
export function defaultConcurrency(cores: number, backend: string): number {
  const n = Math.max(1, Math.floor(Number.isFinite(cores) ? cores : 1));
  if (backend === 'tensorflow') return 1;
  if (backend === 'native') return n;
  const perRun = 1 + (n > 1 ? EVALUATION_THREAD_LOAD : 0);
  return Math.max(1, Math.ceil(n / perRun - 1e-9));
}

/**
 * A concurrency setting (`--jobs N`, maxConcurrentRuns): a positive integer is taken as is; 0, unset or
 * invalid means the default for this machine.
 */
export function effectiveConcurrency(setting: unknown, cores: number, backend: string): number {
  if (typeof setting === 'number' && Number.isFinite(setting) && setting >= 1) return Math.floor(setting);
  return defaultConcurrency(cores, backend);
}

/**
 * The backend the concurrency rule counts for a backend choice: `auto` trains on the native fast path whenever
 * it is built (engine/backend.ts), so it counts as `native` then.
 */
export function concurrencyBackend(choice: string, nativeBuilt: boolean): string {
  return choice === 'auto' && nativeBuilt ? 'native' : choice;
}

/** Share of the cores a sweep kept busy: CPU time of its runs / (wall time × cores). */
export function utilisation(cpuMs: number, wallMs: number, cores: number): number | null {
  if (!(wallMs > 0) || !(cores > 0) || !(cpuMs >= 0)) return null;
  return cpuMs / (wallMs * cores);
}
