/**
 * Builds a run's summary from its metrics records. Pure: the trainer feeds it live, and the host or CLI can
 * rebuild a summary from metrics.jsonl alone.
 */
import type { EpochRecord, FinalMetrics, MetricsRecord, RunSummary, TransitionSummary } from '../shared/protocol';
import { fitLossCurve } from './probes/curvefit';

export class SummaryTracker {
  private last: EpochRecord | null = null;
  private memorizationEpoch: number | null = null;
  private generalizationEpoch: number | null = null;
  private readonly transitions: Omit<TransitionSummary, 'leadEpochs'>[] = [];
  private readonly lossEpochs: number[] = [];
  private readonly losses: number[] = [];

  add(r: MetricsRecord): void {
    switch (r.type) {
      case 'epoch':
        this.last = r;
        this.lossEpochs.push(r.epoch);
        this.losses.push(r.trainLoss);
        break;
      case 'event':
        if (r.event.kind === 'memorization') this.memorizationEpoch ??= r.event.epoch;
        else if (r.event.kind === 'generalization') this.generalizationEpoch ??= r.event.epoch;
        else if (r.event.kind === 'transition') this.transitions.push({ layer: r.event.layer, epoch: r.event.epoch, kind: r.event.changeKind });
        break;
      default:
        break;
    }
  }

  get lastEpoch(): EpochRecord | null {
    return this.last;
  }

  /** The summary; `withFits` runs the loss-curve fits (done once, at the end of a run). */
  summary(epochs: number, elapsedMs: number, withFits = false): RunSummary {
    const g = this.generalizationEpoch;
    const final: FinalMetrics | null = this.last
      ? { trainLoss: this.last.trainLoss, trainAcc: this.last.trainAcc, testLoss: this.last.testLoss, testAcc: this.last.testAcc }
      : null;
    const lossFits = withFits ? fitLossCurve(this.lossEpochs, this.losses) : [];
    return {
      epochs,
      epochsPerSecond: elapsedMs > 0 ? (epochs * 1000) / elapsedMs : 0,
      final,
      memorizationEpoch: this.memorizationEpoch,
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
