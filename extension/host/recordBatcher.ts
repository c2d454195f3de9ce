/**
 * Rate-limited batching of live records for the Dynamics panel. Records arrive at whatever rate the trainer
 * runs (hundreds of epochs a second on a small model); the panel must receive at most ~`maxPerSecond`
 * messages a second. Records are accumulated per run and flushed on a timer; after a flush that posted k
 * messages, the next flush waits k / maxPerSecond seconds, so the message rate stays bounded however many
 * runs are shown at once. Status updates keep only the latest per run and are sent after that run's records.
 *
 * Pure: time and timers are injected (the host passes Date.now / setTimeout; tests pass a fake clock).
 */
import type { MetricsRecord, RunJson } from '../shared/protocol';

export type BatchMessage =
  | { type: 'append'; runDir: string; records: MetricsRecord[] }
  | { type: 'status'; runDir: string; run: RunJson };

export interface BatcherClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

interface Pending {
  records: MetricsRecord[];
  status: RunJson | null;
}

export class RecordBatcher {
  private readonly pending = new Map<string, Pending>();
  private timer: unknown = null;
  private nextAllowed = 0;
  private disposed = false;
  private paused = false;

  constructor(
    private readonly send: (messages: BatchMessage[]) => void,
    private readonly clock: BatcherClock,
    private readonly maxPerSecond = 10,
  ) {}

  addRecord(runDir: string, record: MetricsRecord): void {
    this.slot(runDir).records.push(record);
    this.schedule();
  }

  setStatus(runDir: string, run: RunJson): void {
    this.slot(runDir).status = run;
    this.schedule();
  }

  /** Hold everything back (nothing is sent, nothing is lost) until resume(). */
  pause(): void {
    this.paused = true;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  resume(): void {
    this.paused = false;
    if (this.pending.size) this.schedule();
  }

  /** Forget what is pending (e.g. the panel switched to other runs and will re-read everything). */
  clear(runDirs?: Iterable<string>): void {
    if (runDirs) for (const d of runDirs) this.pending.delete(d);
    else this.pending.clear();
  }

  /** Take (and forget) the pending records of one run without sending them. */
  take(runDir: string): Pending | undefined {
    const p = this.pending.get(runDir);
    this.pending.delete(runDir);
    return p;
  }

  get pendingCount(): number {
    let n = 0;
    for (const p of this.pending.values()) n += p.records.length + (p.status ? 1 : 0);
    return n;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private slot(runDir: string): Pending {
    let p = this.pending.get(runDir);
    if (!p) this.pending.set(runDir, (p = { records: [], status: null }));
    return p;
  }

  private schedule(): void {
    if (this.disposed || this.paused || this.timer !== null) return;
    const wait = Math.max(0, this.nextAllowed - this.clock.now());
    this.timer = this.clock.setTimer(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = null;
    if (this.disposed || this.paused) return;
    const messages: BatchMessage[] = [];
    for (const [runDir, p] of this.pending) {
      if (p.records.length) messages.push({ type: 'append', runDir, records: p.records });
      if (p.status) messages.push({ type: 'status', runDir, run: p.status });
    }
    this.pending.clear();
    if (messages.length === 0) return;
    this.nextAllowed = this.clock.now() + (messages.length * 1000) / this.maxPerSecond;
    this.send(messages);
  }
}

/**
 * A key identifying a record within a run, to drop records that arrive both in a snapshot and live (the
 * snapshot is read while records keep coming).
 */
export function recordKey(r: MetricsRecord): string {
  switch (r.type) {
    case 'event': {
      const e = r.event;
      return e.kind === 'transition' ? `event:transition:${e.tensor}:${e.epoch}:${e.changeKind}` : `event:${e.kind}:${e.epoch}`;
    }
    case 'checkpoint':
      return `checkpoint:${r.path}`;
    default:
      return `${r.type}:${r.epoch}`;
  }
}

/**
 * Live records that arrived while a snapshot was being read, minus those the snapshot already holds (the
 * snapshot of a live run is taken while records keep coming), in arrival order.
 */
export function recordsNotIn(snapshot: readonly MetricsRecord[], live: readonly MetricsRecord[]): MetricsRecord[] {
  if (live.length === 0) return [];
  const keys = new Set(snapshot.map(recordKey));
  return live.filter((r) => !keys.has(recordKey(r)));
}
