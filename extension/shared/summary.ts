/**
 * The one derivation of a run's summary (run.json `summary`) from its metrics records: final metrics from the
 * last epoch record, memorization / generalization epochs from the first such event, transitions with their
 * lead on generalization, epochs per second. Pure and incremental: the trainer feeds it live, the run reader
 * rebuilds an interrupted run's summary from metrics.jsonl, a study derives every run's summary the same way,
 * and the Dynamics panel reads its generalization marker from it.
 *
 * The loss-curve fits are the engine's (engine/probes/curvefit.ts `fitLossCurve`); callers that want them
 * pass that function, so this module stays on the shared floor.
 */
import type { EpochRecord, FinalMetrics, LossFit, MetricsRecord, RunSummary, TransitionEvent, TransitionSummary } from './protocol';

/** Fits of the training-loss curve L(epoch), best first. */
export type LossCurveFitter = (epochs: number[], losses: number[]) => LossFit[];

export class SummaryTracker {
  private last: EpochRecord | null = null;
  private memorization: number | null = null;
  private generalization: number | null = null;
  private readonly transitions: Omit<TransitionSummary, 'leadEpochs'>[] = [];
  private readonly lossEpochs: number[] = [];
  private readonly losses: number[] = [];
  private maxEpoch = 0;
  private maxT = 0;
  private readonly transitionEvents: TransitionEvent[] = [];
  private minTest: number | null = null;
  private maxTestAccuracy: number | null = null;

  add(r: MetricsRecord): void {
    switch (r.type) {
      case 'epoch':
        this.last = r;
        this.lossEpochs.push(r.epoch);
        this.losses.push(r.trainLoss);
        this.maxEpoch = Math.max(this.maxEpoch, r.epoch);
        this.maxT = Math.max(this.maxT, r.t);
        if (Number.isFinite(r.testLoss)) this.minTest = this.minTest === null ? r.testLoss : Math.min(this.minTest, r.testLoss);
        if (r.testAcc !== null) this.maxTestAccuracy = this.maxTestAccuracy === null ? r.testAcc : Math.max(this.maxTestAccuracy, r.testAcc);
        break;
      case 'event':
        if (r.event.kind === 'memorization') this.memorization ??= r.event.epoch;
        else if (r.event.kind === 'generalization') this.generalization ??= r.event.epoch;
        else if (r.event.kind === 'transition') {
          this.transitions.push({ layer: r.event.layer, epoch: r.event.epoch, kind: r.event.changeKind });
          this.transitionEvents.push(r.event);
        }
        break;
      default:
        break;
    }
  }

  get lastEpoch(): EpochRecord | null {
    return this.last;
  }

  get memorizationEpoch(): number | null {
    return this.memorization;
  }

  get generalizationEpoch(): number | null {
    return this.generalization;
  }

  /** Lowest test loss and highest test accuracy over the epoch records so far (null before any / for regression). */
  get extremes(): { minTestLoss: number | null; maxTestAcc: number | null } {
    return { minTestLoss: this.minTest, maxTestAcc: this.maxTestAccuracy };
  }

  /** The transition events in full (with their confirmation epoch `detectedAt`), by epoch then layer. */
  get transitionDetails(): TransitionEvent[] {
    return this.transitionEvents.slice().sort((a, b) => a.epoch - b.epoch || a.layer - b.layer);
  }

  /** The highest epoch and the latest time `t` (ms since the run started) of the epoch records seen. */
  get extent(): { epochs: number; elapsedMs: number } {
    return { epochs: this.maxEpoch, elapsedMs: this.maxT };
  }

  /** The summary after `epochs` epochs in `elapsedMs`; `fit` (engine's fitLossCurve) adds the loss-curve fits. */
  summary(epochs: number, elapsedMs: number, fit?: LossCurveFitter): RunSummary {
    const g = this.generalization;
    const final: FinalMetrics | null = this.last
      ? { trainLoss: this.last.trainLoss, trainAcc: this.last.trainAcc, testLoss: this.last.testLoss, testAcc: this.last.testAcc }
      : null;
    const lossFits = fit ? fit(this.lossEpochs, this.losses) : [];
    return {
      epochs,
      epochsPerSecond: elapsedMs > 0 ? (epochs * 1000) / elapsedMs : 0,
      final,
      memorizationEpoch: this.memorization,
      generalizationEpoch: g,
      transitions: this.transitions
        .slice()
        .sort((a, b) => a.epoch - b.epoch || a.layer - b.layer)
        .map((t) => ({ ...t, leadEpochs: g === null ? null : g - t.epoch })),
      lossFits,
      bestLossFit: lossFits[0] ?? null,
    };
  }
}

/**
 * A run's summary from its records alone (metrics.jsonl): epochs = the highest epoch recorded (at least
 * `minEpochs`), elapsed = the time of the latest epoch record.
 */
export function summarizeRecords(records: Iterable<MetricsRecord>, opts: { minEpochs?: number; fit?: LossCurveFitter } = {}): RunSummary {
  const tracker = new SummaryTracker();
  for (const r of records) tracker.add(r);
  const { epochs, elapsedMs } = tracker.extent;
  return tracker.summary(Math.max(opts.minEpochs ?? 0, epochs), elapsedMs, opts.fit);
}
