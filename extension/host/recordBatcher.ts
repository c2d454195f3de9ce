/**
 * Rate-limited batching of live records for the Dynamics panel. Records arrive at whatever rate the trainer
 * runs (hundreds of epochs a second on a small model); the panel must receive at most ~`maxPerSecond`
 * messages a second. Records are coalesced per run and flushed on a timer; after a flush that posted k
 * messages, the next flush waits k / maxPerSecond seconds, so the message rate stays bounded however many
 * runs are shown at once. Status updates keep only the latest per run and go first (the latest state before
 * the history that led to it).
 *
 * Epoch records are sent at most at `maxEpochRecordsPerSecond` for the whole panel (shared by the runs
 * streaming; a token bucket per run that holds one second's worth, so a short burst after a quiet spell goes whole):
 * a run training faster than that has its epoch records of a batch thinned to an even subset that keeps the
 * newest (the other records — probes, events with the memorization and generalization markers, checkpoints —
 * are few and all kept). Every record reaching the webview costs the page it shares with the workbench its
 * relay, deserialization and ingestion, and a live chart draws at most two points per pixel: thousands of
 * epochs a second cannot be seen, only felt. A thinned run is marked `thinned`, and the panel re-reads it from
 * disk (which holds every record) once it has ended.
 *
 * Flow control: records go only when the webview has acknowledged the previous batch (`acknowledge(seq)`; the
 * webview answers every append carrying a `seq`), so a webview or a channel that cannot keep up receives fewer,
 * thinned batches instead of a growing queue; statuses (control) never wait for an acknowledgement. A batch
 * not acknowledged within `ackTimeoutMs` no longer holds the next one back.
 *
 * Pure: time and timers are injected (the host passes Date.now / setTimeout; tests pass a fake clock).
 */
import type { EpochColumns, MetricsRecord, RunJson } from '../shared/protocol';
import { epochColumns, type Quantity } from '../shared/view/epochColumns';

export type BatchMessage =
  | { type: 'append'; runDir: string; records: MetricsRecord[]; seq?: number }
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

/**
 * At most `max` records, in order: every non-epoch record, and an even subset of the epoch records that keeps
 * the newest (when the non-epoch records alone exceed `max`: those and the newest epoch record).
 */
export function thinRecords(records: readonly MetricsRecord[], max: number): MetricsRecord[] {
  if (records.length <= max) return [...records];
  const epochs = countEpochRecords(records);
  return thinOfType(records, 'epoch', Math.max(1, max - (records.length - epochs)), epochs);
}

/** Every record not of `type`, and `keep` (≥ 1) of those of `type`: an even subset that keeps the newest, in order. */
function thinOfType(records: readonly MetricsRecord[], type: MetricsRecord['type'], keep: number, count = countOfType(records, type)): MetricsRecord[] {
  keep = Math.max(1, Math.floor(keep));
  if (keep >= count) return [...records];
  const out: MetricsRecord[] = [];
  let j = 0;
  for (const r of records) {
    if (r.type !== type) out.push(r);
    // Record j of the type is kept when it ends one of `keep` equal windows (the last one always does).
    else if (Math.floor(((j + 1) * keep) / count) > Math.floor((j++ * keep) / count)) out.push(r);
  }
  return out;
}

function countOfType(records: readonly MetricsRecord[], type: MetricsRecord['type']): number {
  let n = 0;
  for (const r of records) if (r.type === type) n++;
  return n;
}

const countEpochRecords = (records: readonly MetricsRecord[]) => countOfType(records, 'epoch');

export class RecordBatcher {
  private readonly pending = new Map<string, Pending>();
  private timer: unknown = null;
  private timerAt = 0;
  private nextAllowed = 0;
  private disposed = false;
  private paused = false;
  private readonly thinnedRuns = new Set<string>();
  private seq = 0;
  private inFlight: { seq: number; at: number } | null = null;
  /** Per run: epoch records it may send now (refilled at its share of maxEpochRecordsPerSecond, at most a second's worth). */
  private readonly tokens = new Map<string, { n: number; at: number }>();

  constructor(
    private readonly send: (messages: BatchMessage[]) => void,
    private readonly clock: BatcherClock,
    private readonly maxPerSecond = 10,
    private readonly maxRecords = 1000,
    private readonly ackTimeoutMs = 5000,
    private readonly maxEpochRecordsPerSecond = 200,
  ) {}

  /** The webview has taken the batch `seq`: the next one may go. */
  acknowledge(seq: number): void {
    if (this.inFlight?.seq !== seq) return;
    this.inFlight = null;
    if (this.pending.size) this.schedule();
  }

  /** Forget the batch in flight (the webview was reloaded: it will never answer). */
  resetFlow(): void {
    this.inFlight = null;
    if (this.pending.size) this.schedule();
  }

  addRecord(runDir: string, record: MetricsRecord): void {
    this.slot(runDir).records.push(record);
    this.schedule();
  }

  addRecords(runDir: string, records: readonly MetricsRecord[]): void {
    const slot = this.slot(runDir).records;
    for (const r of records) slot.push(r);
    this.schedule();
  }

  /** Whether some of this run's epoch records were left out of the live path (it is then worth re-reading from disk). */
  thinned(runDir: string): boolean {
    return this.thinnedRuns.has(runDir);
  }

  /** Forget that a run was thinned (after it was re-read). */
  forgetThinned(runDir?: string): void {
    if (runDir === undefined) this.thinnedRuns.clear();
    else this.thinnedRuns.delete(runDir);
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
    for (const m of [this.pending, this.tokens]) {
      if (runDirs) for (const d of runDirs) m.delete(d);
      else m.clear();
    }
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
    if (this.disposed || this.paused) return;
    const now = this.clock.now();
    let wait = Math.max(0, this.nextAllowed - now);
    // Only records are waiting, behind a batch in flight: look again when its acknowledgement times out.
    const statuses = [...this.pending.values()].some((p) => p.status);
    if (!statuses && this.inFlight) wait = Math.max(wait, this.inFlight.at + this.ackTimeoutMs - now);
    // A timer already due as soon (or sooner) stays; one due later (an acknowledgement's timeout) is replaced.
    if (this.timer !== null) {
      if (this.timerAt <= now + wait) return;
      this.clock.clearTimer(this.timer);
    }
    this.timerAt = now + wait;
    this.timer = this.clock.setTimer(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = null;
    if (this.disposed || this.paused) return;
    const now = this.clock.now();
    if (this.inFlight && now - this.inFlight.at >= this.ackTimeoutMs) this.inFlight = null;
    const sendRecords = this.inFlight === null;
    const seq = this.seq + 1;
    const messages: BatchMessage[] = [];
    let streaming = 0;
    for (const p of this.pending.values()) if (p.records.length) streaming++;
    for (const [runDir, p] of this.pending) {
      if (p.status) messages.push({ type: 'status', runDir, run: p.status });
      p.status = null;
      if (sendRecords && p.records.length) {
        const records = this.allowed(runDir, p.records, now, streaming);
        if (records.length < p.records.length) this.thinnedRuns.add(runDir);
        messages.push({ type: 'append', runDir, records, seq });
        p.records = [];
      }
      if (!p.records.length) this.pending.delete(runDir);
    }
    if (sendRecords && messages.some((m) => m.type === 'append')) {
      this.seq = seq;
      this.inFlight = { seq, at: now };
    }
    if (messages.length === 0) {
      if (this.pending.size) this.schedule();
      return;
    }
    this.nextAllowed = now + (messages.length * 1000) / this.maxPerSecond;
    this.send(messages);
    if (this.pending.size) this.schedule();
  }

  /** The records of one run's batch within its epoch-record budget (thinned when over it), and the budget spent. */
  private allowed(runDir: string, records: MetricsRecord[], now: number, streaming: number): MetricsRecord[] {
    const rate = this.maxEpochRecordsPerSecond / Math.max(1, streaming);
    const t = this.tokens.get(runDir) ?? { n: rate, at: now };
    t.n = Math.min(rate, t.n + (rate * (now - t.at)) / 1000);
    t.at = now;
    this.tokens.set(runDir, t);
    const epochs = countEpochRecords(records);
    const keep = Math.min(Math.floor(t.n), this.maxRecords - (records.length - epochs));
    const out = epochs > keep ? thinOfType(records, 'epoch', keep, epochs) : records;
    t.n = Math.max(0, t.n - countEpochRecords(out));
    return out;
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

/** The most spectrum and Benford records the panel gets of a run (its epoch sliders' positions); the newest kept. */
export const VIEW_PROBE_RECORDS = 400;

/**
 * A run as the Dynamics panel needs it to draw it. Up to `maxPoints` epoch records, every record. Past that, the
 * epoch series as columns (per charted quantity, LTTB's picks of at most `maxPoints`: every series keeps its peaks
 * and troughs, and the first and last epoch) with the last epoch record, and every other record (probes, events —
 * the memorization and generalization markers —, checkpoints) in order: a 170 000-epoch run goes to the webview
 * as about 1 MB instead of its 120 MB of records, which would take the page tens of seconds to take in. Of the
 * weight-spectrum and Benford probes (4 KB and 1 KB each, one per slider position) an even subset of at most
 * VIEW_PROBE_RECORDS of each goes.
 */
export function snapshotForView(records: readonly MetricsRecord[], maxPoints: number, view: ViewNeeds = SINGLE_RUN_VIEW): { records: MetricsRecord[]; columns?: EpochColumns } {
  const types = view.types;
  if (types) records = records.filter((r) => types.has(r.type));
  let epochs = 0;
  let last = -1;
  for (let i = 0; i < records.length; i++) {
    if (records[i].type !== 'epoch') continue;
    epochs++;
    last = i;
  }
  let rest = epochs <= maxPoints ? [...records] : records.filter((r, i) => r.type !== 'epoch' || i === last);
  for (const type of ['spectrum', 'benford'] as const) rest = thinOfType(rest, type, VIEW_PROBE_RECORDS);
  return epochs <= maxPoints ? { records: rest } : { records: rest, columns: epochColumns(records, maxPoints, view.quantities) };
}

/** What a Dynamics view draws: the record types it needs and which charted quantities (null: every one). */
export interface ViewNeeds {
  types: ReadonlySet<MetricsRecord['type']> | null;
  quantities: ReadonlySet<Quantity> | null;
}

/** One run: every chart. */
export const SINGLE_RUN_VIEW: ViewNeeds = { types: null, quantities: null };

/**
 * Several runs compared (webview/dynamics/main.ts): the loss, accuracy and gradient-norm charts, the landscape and the
 * run list — no probe charts, no weight norms or update ratios. Sixty runs of a sweep were 60 × their spectra.
 */
export const COMPARE_VIEW: ViewNeeds = {
  types: new Set<MetricsRecord['type']>(['epoch', 'event', 'checkpoint']),
  quantities: new Set<Quantity>(['trainLoss', 'testLoss', 'trainAcc', 'testAcc', 'trainR2', 'testR2', 'grad']),
};
