/**
 * Sweep points and resuming. A point is identified by its experiment, its config and its swept values (not
 * by the run directory's name, which carries a timestamp, nor by the run name, which abbreviates the swept
 * paths): `pointKey` is that identity in canonical JSON (object keys sorted). Resuming runs the points whose
 * newest run is not `completed` — never run, failed, stopped, or left `running` by a process that died.
 */
import type { RunStatus } from '../../shared/protocol';
import { newestFirst, type RunEntry } from '../runs/reader';

export interface PointIdentity {
  experiment: string;
  configName: string;
  sweepValues?: Record<string, unknown> | null;
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as Record<string, unknown>).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function pointKey(p: PointIdentity): string {
  const values = p.sweepValues && Object.keys(p.sweepValues).length > 0 ? canonical(p.sweepValues) : null;
  return JSON.stringify([p.experiment, p.configName, values]);
}

/** The newest run of each point among `entries`. */
export function newestRunByPoint(entries: readonly RunEntry[]): Map<string, RunEntry> {
  const out = new Map<string, RunEntry>();
  for (const e of [...entries].sort(newestFirst)) {
    const k = pointKey(e.run);
    if (!out.has(k)) out.set(k, e);
  }
  return out;
}

export interface ResumePlan<P> {
  /** Points to run: no run yet, or the newest is not completed. */
  pending: P[];
  /** Points whose newest run completed, with that run. */
  completed: { point: P; entry: RunEntry }[];
  /** Of the pending points, those whose newest run is still marked `running` (its process may be gone). */
  wasRunning: { point: P; entry: RunEntry }[];
}

export function planResume<P extends PointIdentity>(points: readonly P[], entries: readonly RunEntry[]): ResumePlan<P> {
  const newest = newestRunByPoint(entries);
  const plan: ResumePlan<P> = { pending: [], completed: [], wasRunning: [] };
  for (const point of points) {
    const e = newest.get(pointKey(point));
    if (e && e.run.status === 'completed') plan.completed.push({ point, entry: e });
    else {
      plan.pending.push(point);
      if (e && e.run.status === 'running') plan.wasRunning.push({ point, entry: e });
    }
  }
  return plan;
}

export type PointState = 'queued' | 'running' | 'done';

interface Tracked {
  state: PointState;
  status: Exclude<RunStatus, 'running'> | null;
  epochs: number;
  totalEpochs: number;
}

export interface SweepProgress {
  total: number;
  queued: number;
  running: number;
  done: number;
  completed: number;
  failed: number;
  stopped: number;
  /** Share of the sweep's epochs trained (a finished point counts whole). */
  fraction: number;
  elapsedMs: number;
  /** Estimated time left (null until there is progress to extrapolate from). */
  etaMs: number | null;
}

/** Bookkeeping of a sweep's points for its progress display (CLI) and progress notification (extension). */
export class SweepTracker {
  private readonly points: Tracked[];

  constructor(totalEpochs: readonly number[], private readonly startedAt: number) {
    this.points = totalEpochs.map((t) => ({ state: 'queued', status: null, epochs: 0, totalEpochs: Math.max(1, t) }));
  }

  start(i: number): void {
    if (this.points[i].state === 'queued') this.points[i].state = 'running';
  }

  progress(i: number, epochs: number): void {
    const p = this.points[i];
    p.epochs = Math.min(p.totalEpochs, Math.max(p.epochs, epochs));
  }

  finish(i: number, status: Exclude<RunStatus, 'running'>): void {
    const p = this.points[i];
    p.state = 'done';
    p.status = status;
  }

  snapshot(now: number): SweepProgress {
    const count = (f: (p: Tracked) => boolean) => this.points.filter(f).length;
    const all = this.points.reduce((s, p) => s + p.totalEpochs, 0);
    const trained = this.points.reduce((s, p) => s + (p.state === 'done' ? p.totalEpochs : p.epochs), 0);
    const fraction = all > 0 ? trained / all : 1;
    const elapsedMs = Math.max(0, now - this.startedAt);
    const done = count((p) => p.state === 'done');
    return {
      total: this.points.length,
      queued: count((p) => p.state === 'queued'),
      running: count((p) => p.state === 'running'),
      done,
      completed: count((p) => p.status === 'completed'),
      failed: count((p) => p.status === 'failed'),
      stopped: count((p) => p.status === 'stopped'),
      fraction,
      elapsedMs,
      etaMs: trained >= all ? 0 : trained > 0 && elapsedMs > 0 ? (elapsedMs * (all - trained)) / trained : null,
    };
  }
}

/** `1 h 02 min`, `3 min 05 s`, `12 s`. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** One line: `3/8 done · 2 running · 3 queued · 1 failed · ETA 1 min 20 s`. */
export function sweepProgressText(p: SweepProgress): string {
  const parts = [`${p.done}/${p.total} done`, `${p.running} running`, `${p.queued} queued`];
  if (p.failed) parts.push(`${p.failed} failed`);
  if (p.stopped) parts.push(`${p.stopped} stopped`);
  if (p.done < p.total) parts.push(p.etaMs === null ? 'ETA …' : `ETA ${durationText(p.etaMs)}`);
  return parts.join(' · ');
}

