/**
 * Helpers of the export / webview-model tests (not a test file itself): run.json and record factories, and a
 * fake clock for the batching and redraw-throttle tests.
 */
import type { EpochRecord, MetricsRecord, RunJson, RunStatus } from '../../extension/shared/protocol';
import { tinyConfig } from './runs-fixture';

export function fakeRun(over: Partial<RunJson> = {}): RunJson {
  return {
    formatVersion: 1,
    id: 'r-1',
    experiment: 'exp',
    experimentFile: null,
    configName: 'cfg',
    runName: 'cfg',
    sweepValues: null,
    config: tinyConfig(),
    status: 'completed' as RunStatus,
    reason: null,
    backend: 'cpu',
    versions: {},
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: null,
    epochsCompleted: 0,
    totalEpochs: 20,
    summary: null,
    ...over,
  };
}

/** A deterministic epoch record whose values are functions of the epoch (so tests can recompute them). */
export function epochRecord(epoch: number, tensors = ['layers.0.kernel', 'layers.0.bias', 'layers.1.kernel']): EpochRecord {
  const per = (k: number) => Object.fromEntries(tensors.map((t, i) => [t, (k + i) / (epoch + 1)]));
  return {
    type: 'epoch',
    epoch,
    t: epoch * 10,
    lr: 0.001,
    trainLoss: 1 / epoch,
    testLoss: 2 / epoch,
    trainAcc: Math.min(1, epoch / 50),
    testAcc: Math.min(1, epoch / 100),
    trainR2: null,
    testR2: null,
    gradNorms: per(1),
    weightNorms: per(2),
    updateRatios: per(3),
  };
}

export function records(n: number): MetricsRecord[] {
  return Array.from({ length: n }, (_, i) => epochRecord(i + 1));
}

/** Timers run only when the test advances the clock. */
export class FakeClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number; seq: number }[] = [];
  private nextId = 1;

  now = (): number => this.t;

  setTimer = (fn: () => void, ms: number): number => {
    const id = this.nextId++;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id, seq: id });
    return id;
  };

  clearTimer = (h: unknown): void => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Advance to t + ms, running due timers in time order (timers they add run too if due). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = end;
  }
}
