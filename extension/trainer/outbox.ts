/**
 * What the trainer child sends the extension host: records coalesced into one `records` message per
 * `intervalMs` (or per `maxRecords`), so a run at a thousand epochs a second costs the host a few messages a
 * second instead of thousands. Every other message (started, log, error, done) is control: it goes at once,
 * right after the records queued before it, so the host sees everything in the order it happened.
 * The disk is not involved: every record is already in metrics.jsonl when it is posted here.
 *
 * Pure: sending and timers are injected (the trainer passes process.send and setTimeout; tests a fake clock).
 */
import type { MetricsRecord, TrainerToHost } from '../shared/protocol';

export interface OutboxClock {
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export class Outbox {
  private pending: MetricsRecord[] = [];
  private timer: unknown = null;

  constructor(
    private readonly send: (m: TrainerToHost) => void,
    private readonly clock: OutboxClock,
    readonly intervalMs = 50,
    readonly maxRecords = 2000,
  ) {}

  post(m: TrainerToHost): void {
    if (m.type === 'record' || m.type === 'records') {
      if (m.type === 'record') this.pending.push(m.record);
      else for (const r of m.records) this.pending.push(r);
      if (this.pending.length >= this.maxRecords) this.flush();
      else if (this.timer === null) this.timer = this.clock.setTimer(() => this.flush(), this.intervalMs);
      return;
    }
    this.flush();
    this.send(m);
  }

  /** Sends what is queued now (as one message). */
  flush(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const records = this.pending;
    this.pending = [];
    this.send({ type: 'records', records });
  }

  get queued(): number {
    return this.pending.length;
  }
}
