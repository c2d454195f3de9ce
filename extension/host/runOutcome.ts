/**
 * How a trainer child process ended, decided from what it told us and how it exited. Pure: the run manager
 * gathers the facts, this module decides the status, the reason the user sees, and whether run.json must
 * be repaired (the child died without writing a final status).
 */
import type { RunJson, RunStatus } from '../shared/protocol';

export interface ExitFacts {
  /** The `done` message's run, if one arrived. */
  done: RunJson | null;
  /** The `error` message, if one arrived. */
  errorMessage: string | null;
  /** The run directory from `started` (or from the error message), if known. */
  runDir: string | null;
  /** The user (or deactivate) asked the run to stop. */
  stopRequested: boolean;
  exitCode: number | null;
  signal: string | null;
  /** The process could not be spawned / IPC failed before exit (child 'error' event). */
  spawnError: string | null;
}

export interface ExitOutcome {
  status: Exclude<RunStatus, 'running'>;
  /** One line for the user; null for a normal completion. */
  reason: string | null;
  /**
   * run.json may still say `running` (the child did not finish its own bookkeeping): the host must mark it
   * with this status and reason.
   */
  repairRunJson: boolean;
}

function describeExit(f: ExitFacts): string {
  if (f.spawnError) return `the trainer process could not run: ${f.spawnError}`;
  if (f.signal) return `the trainer process was killed (${f.signal})`;
  if (f.exitCode !== null && f.exitCode !== 0) return `the trainer process exited with code ${f.exitCode}`;
  return 'the trainer process exited without reporting a result';
}

export function classifyExit(f: ExitFacts): ExitOutcome {
  if (f.done) {
    const status = f.done.status === 'running' ? (f.stopRequested ? 'stopped' : 'completed') : f.done.status;
    return { status, reason: f.done.reason ?? null, repairRunJson: f.done.status === 'running' };
  }
  if (f.errorMessage !== null) {
    // The trainer reported its own failure and marks run.json itself; we repair only if it did not.
    return { status: 'failed', reason: f.errorMessage, repairRunJson: true };
  }
  if (f.stopRequested) {
    return { status: 'stopped', reason: 'stopped by user', repairRunJson: true };
  }
  return { status: 'failed', reason: `interrupted: ${describeExit(f)}`, repairRunJson: true };
}

/** Epoch progress 0..1 from the last epoch record (epochs are counted from 0 or 1; both end at totalEpochs). */
export function progressFraction(epochsDone: number, totalEpochs: number): number {
  if (!(totalEpochs > 0)) return 0;
  return Math.min(1, Math.max(0, epochsDone / totalEpochs));
}
