/**
 * The Dynamics and Study panels' RunSource: runs trained by this window come from the run manager (records over
 * IPC); runs written by another process — the CLI, another window, a Slurm task on another machine writing to
 * a shared filesystem — are followed on disk. Reading such a run while it is `running` starts tailing it:
 * every `intervalMs` the new complete lines of its metrics.jsonl become record events and a changed run.json a
 * run event, until run.json says it ended (or the directory goes). A snapshot and the events that follow it
 * come from one byte offset, so a panel neither misses a record nor gets one twice. No `vscode` import
 * (unit-tested with node:test).
 */
import { open, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { MetricsRecord, RunJson, RunSnapshot } from '../shared/protocol';
import { METRICS_JSONL, RUN_JSON, parseMetrics, parseMetricsYielding, readRunJson } from '../engine/runs';
import { Emitter, type DisposableLike, type EventLike } from './emitter';
import type { RunChangeEvent, RunRecordEvent, RunSource } from './runSource';

/** What the follower needs of the run manager: its live runs, their events, stopping one. */
export interface LiveRuns extends RunSource {
  isActive(runDir: string): boolean;
}

interface Tail {
  /** Bytes of metrics.jsonl already delivered (as a snapshot or as events): always the end of a line. */
  offset: number;
  /** run.json as last seen: `mtimeMs size`. */
  runStamp: string;
}

const NEWLINE = 0x0a;

function merge<T>(a: EventLike<T>, b: EventLike<T>): EventLike<T> {
  return (listener, thisArgs, disposables) => {
    const subs = [a(listener, thisArgs), b(listener, thisArgs)];
    const d: DisposableLike = { dispose: () => subs.forEach((s) => s.dispose()) };
    disposables?.push(d);
    return d;
  };
}

async function runStamp(runDir: string): Promise<string> {
  const s = await stat(path.join(runDir, RUN_JSON));
  return `${s.mtimeMs} ${s.size}`;
}

/** How many bytes of `buf` its complete lines span (up to and including the last newline). */
const completeBytes = (buf: Buffer): number => buf.lastIndexOf(NEWLINE) + 1;

/** Complete lines of `buf` as records, and how many bytes they span. */
function completeLines(buf: Buffer): { records: MetricsRecord[]; bytes: number } {
  const end = completeBytes(buf);
  return end === 0 ? { records: [], bytes: 0 } : { records: parseMetrics(buf.subarray(0, end).toString('utf8')).records, bytes: end };
}

export class FollowingRunSource implements RunSource {
  private readonly tails = new Map<string, Tail>();
  private readonly records = new Emitter<RunRecordEvent>();
  private readonly runs = new Emitter<RunChangeEvent>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private disposed = false;
  readonly onDidRecord: EventLike<RunRecordEvent>;
  readonly onDidChangeRun: EventLike<RunChangeEvent>;

  constructor(
    private readonly live: LiveRuns,
    private readonly intervalMs = 1000,
  ) {
    this.onDidRecord = merge(live.onDidRecord as EventLike<RunRecordEvent>, this.records.event);
    this.onDidChangeRun = merge(live.onDidChangeRun as EventLike<RunChangeEvent>, this.runs.event);
  }

  /** Runs being tailed (written by another process, still running). */
  get followed(): string[] {
    return [...this.tails.keys()];
  }

  async readRun(runDir: string): Promise<RunSnapshot> {
    if (this.live.isActive(runDir)) return this.live.readRun(runDir);
    const stamp = await runStamp(runDir).catch(() => '');
    const run = await readRunJson(runDir);
    let buf: Buffer;
    try {
      buf = await readFile(path.join(runDir, METRICS_JSONL));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      buf = Buffer.alloc(0);
    }
    // The snapshot (a long run's whole file) is parsed handing the event loop back; the tails below are small.
    const bytes = completeBytes(buf);
    const { records } = await parseMetricsYielding(buf.subarray(0, bytes).toString('utf8'));
    const tail = this.tails.get(runDir);
    if (tail) {
      // Followed already (another panel read it earlier): what lies past its offset goes out as events first,
      // so whoever holds the earlier snapshot gets it; this snapshot holds it too.
      if (bytes > tail.offset) this.emitRecords(runDir, completeLines(buf.subarray(tail.offset, bytes)).records);
      tail.offset = Math.max(tail.offset, bytes);
    } else if (run.status === 'running' && !this.disposed) {
      this.tails.set(runDir, { offset: bytes, runStamp: stamp });
      this.startTimer();
    }
    return { runDir, run, records };
  }

  stop(runDir: string): void {
    this.live.stop(runDir);
  }

  /** One look at every followed run. */
  async tick(): Promise<void> {
    if (this.busy || this.disposed) return;
    this.busy = true;
    try {
      for (const [runDir, tail] of [...this.tails]) {
        if (this.live.isActive(runDir)) {
          this.tails.delete(runDir);
          continue;
        }
        try {
          await this.catchUp(runDir, tail);
          const stamp = await runStamp(runDir);
          if (stamp === tail.runStamp) continue;
          tail.runStamp = stamp;
          const run = await readRunJson(runDir);
          if (run.status !== 'running') {
            // run.json is written after the last record: take what came meanwhile, then stop following.
            await this.catchUp(runDir, tail);
            this.tails.delete(runDir);
          }
          this.emitRun(runDir, run);
        } catch (err) {
          // The directory went away (deleted, unmounted): nothing more to follow. A half-written run.json is
          // read again next time (it is rewritten atomically, so that is a passing state at most).
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.tails.delete(runDir);
        }
      }
    } finally {
      this.busy = false;
      if (this.tails.size === 0) this.stopTimer();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.stopTimer();
    this.tails.clear();
    this.records.dispose();
    this.runs.dispose();
  }

  private async catchUp(runDir: string, tail: Tail): Promise<void> {
    const file = path.join(runDir, METRICS_JSONL);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // no record yet
      throw err;
    }
    if (size < tail.offset) tail.offset = size; // replaced by a shorter file (writers only append): follow from its end
    if (size === tail.offset) return;
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(size - tail.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, tail.offset);
      const { records, bytes } = completeLines(buf.subarray(0, bytesRead));
      tail.offset += bytes;
      this.emitRecords(runDir, records);
    } finally {
      await fh.close();
    }
  }

  private emitRecords(runDir: string, records: MetricsRecord[]): void {
    if (records.length) this.records.fire({ runDir, records });
  }

  private emitRun(runDir: string, run: RunJson): void {
    this.runs.fire({ runDir, run });
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref?.();
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
