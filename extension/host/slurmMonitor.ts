/**
 * Follows the Slurm arrays of the workspace's sweeps — submitted by *Run Sweep on Slurm…* or by `submit --slurm`,
 * each leaving a manifest `<runs>/<experiment>/.slurm/job-<id>.json` — by asking Slurm (sacct, else squeue)
 * for their tasks' states while any task has not ended. A task that ended otherwise than COMPLETED whose run
 * still says `running` (its process was killed without a word: SIGKILL, node failure, out of memory) has its
 * run marked failed with Slurm's reason. No `vscode` import (unit-tested with node:test).
 */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { RunEntry } from '../engine/runs';
import {
  isSlurmEnded,
  isSlurmManifest,
  readSlurmStates,
  slurmArrayEnded,
  slurmArraySummary,
  slurmRepairs,
  slurmTaskRuns,
  type CommandRunner,
  type SlurmManifest,
  type SlurmTaskRun,
  type SlurmTaskState,
} from '../engine/sweep';
import { Emitter } from './emitter';
import { errorText } from '../shared/errors';

export interface SlurmArrayView {
  manifest: SlurmManifest;
  manifestFile: string;
  tasks: SlurmTaskRun<RunEntry>[];
  /** `3 running · 2 pending · 4 completed · 1 failed`. */
  summary: string;
  /** Every task has ended (or Slurm no longer knows the array): not asked again. */
  ended: boolean;
  /** The task states Slurm gave last. */
  states: SlurmTaskState[];
}

export interface SlurmMonitorOptions {
  roots: () => string[];
  /** The runs on disk as the index holds them. */
  entries: () => readonly RunEntry[];
  refreshIndex: () => Promise<unknown>;
  markFailed: (runDir: string, reason: string) => Promise<unknown>;
  log: (line: string) => void;
  run?: CommandRunner;
  intervalMs?: number;
  /** Manifests older than this are not followed. */
  maxAgeMs?: number;
  now?: () => number;
}

/** A job Slurm does not know yet (accounting lags behind the controller) is asked again for this long after submission. */
const UNKNOWN_GRACE_MS = 5 * 60_000;

async function manifestsUnder(roots: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const root of roots) {
    let exps: string[];
    try {
      exps = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => path.join(root, d.name, '.slurm'));
    } catch {
      continue;
    }
    for (const dir of exps) {
      try {
        for (const f of await readdir(dir)) if (/^job-\d+\.json$/.test(f)) out.push(path.join(dir, f));
      } catch {
        // no .slurm folder: nothing submitted for this experiment
      }
    }
  }
  return out;
}

export class SlurmMonitor {
  private readonly views = new Map<string, SlurmArrayView>();
  /** Per array job, the tasks seen ended at the previous look. */
  private readonly seenEnded = new Map<string, Set<number>>();
  private noSacct = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | null = null;
  private disposed = false;
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;
  /** Why Slurm could not be asked at the last look (neither sacct nor squeue answered), or null. */
  problem: string | null = null;

  constructor(private readonly o: SlurmMonitorOptions) {}

  /** Arrays known, newest submission first. */
  get arrays(): SlurmArrayView[] {
    return [...this.views.values()].sort((a, b) => b.manifest.submittedAt.localeCompare(a.manifest.submittedAt));
  }

  get active(): SlurmArrayView[] {
    return this.arrays.filter((a) => !a.ended);
  }

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.o.intervalMs ?? 10_000);
    this.timer.unref?.();
  }

  /** One look (concurrent calls share it): new manifests, the states of the arrays not ended, repairs. */
  poll(): Promise<void> {
    this.polling ??= this.look().finally(() => (this.polling = null));
    return this.polling;
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.timer);
    this.changed.dispose();
  }

  private async look(): Promise<void> {
    if (this.disposed) return;
    const now = (this.o.now ?? Date.now)();
    let changed = false;
    for (const file of await manifestsUnder(this.o.roots())) {
      if (this.views.has(file)) continue;
      try {
        const m: unknown = JSON.parse(await readFile(file, 'utf8'));
        if (!isSlurmManifest(m) || now - Date.parse(m.submittedAt) > (this.o.maxAgeMs ?? 14 * 86_400_000)) continue;
        this.views.set(file, { manifest: m, manifestFile: file, tasks: slurmTaskRuns(m, [], this.o.entries()), summary: 'state not asked yet', ended: false, states: [] });
        changed = true;
      } catch {
        // half-written or not ours: looked at again next time
      }
    }
    // The runs of arrays Slurm is done with still appear (the runs folder lags behind a task's end).
    for (const v of this.views.values()) {
      if (!v.ended) continue;
      const before = v.tasks.map((t) => `${t.entry?.runDir} ${t.entry?.run.status}`).join();
      v.tasks = slurmTaskRuns(v.manifest, v.states, this.o.entries());
      if (v.tasks.map((t) => `${t.entry?.runDir} ${t.entry?.run.status}`).join() !== before) changed = true;
    }
    const open = [...this.views.values()].filter((v) => !v.ended);
    if (open.length) {
      const states = await readSlurmStates([...new Set(open.map((v) => v.manifest.jobId))], { run: this.o.run, noSacct: this.noSacct });
      if (states.sacctFailed && states.source === 'squeue') this.noSacct = true; // accounting is off here: squeue from now on
      if (states.problem !== this.problem) changed = true;
      this.problem = states.problem;
      if (states.source !== null) {
        let repaired = 0;
        for (const v of open) {
          const tasks = states.byJob.get(v.manifest.jobId);
          if (!tasks && now - Date.parse(v.manifest.submittedAt) < UNKNOWN_GRACE_MS) continue;
          repaired += await this.update(v, tasks ?? null);
          changed = true;
        }
        if (repaired) await this.o.refreshIndex();
      }
    }
    if (changed && !this.disposed) this.changed.fire(undefined);
  }

  /** New states of one array; marks dead tasks' runs failed. Returns how many runs it marked. */
  private async update(v: SlurmArrayView, tasks: SlurmTaskState[] | null): Promise<number> {
    const total = v.manifest.points.length;
    const job = v.manifest.jobId;
    if (tasks === null) {
      // Slurm no longer knows the array (aged out of squeue / accounting): what the runs say is all there is.
      v.states = [];
      v.tasks = slurmTaskRuns(v.manifest, [], this.o.entries());
      v.summary = 'no longer known to Slurm';
      v.ended = true;
      return 0;
    }
    v.states = tasks;
    v.tasks = slurmTaskRuns(v.manifest, tasks, this.o.entries());
    const repairs = slurmRepairs(v.tasks, this.seenEnded.get(job) ?? new Set());
    this.seenEnded.set(job, new Set(v.tasks.filter((t) => t.state && isSlurmEnded(t.state.state)).map((t) => t.task)));
    let marked = 0;
    for (const r of repairs) {
      try {
        await this.o.markFailed(r.runDir, r.reason);
        this.o.log(`Marked ${r.runDir} failed: ${r.reason}`);
        marked++;
      } catch (err) {
        this.o.log(`Could not mark ${r.runDir} failed: ${errorText(err)}`);
      }
    }
    v.summary = slurmArraySummary(total, tasks);
    // Ended once every task ended and no run is left to repair (the repair happens at the next look).
    const waiting = v.tasks.some((t) => t.state && t.state.state !== 'COMPLETED' && t.entry?.run.status === 'running' && !repairs.some((r) => r.runDir === t.entry!.runDir));
    v.ended = slurmArrayEnded(total, tasks) && !waiting;
    return marked;
  }
}
