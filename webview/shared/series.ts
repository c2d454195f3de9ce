/**
 * The webview's data model, free of the DOM (unit-tested under Node): growable typed-array series with
 * incremental point lists for chart.js and LTTB decimation past a threshold, and a per-run model that ingests
 * metrics records and reports which charts they touched.
 */
import type { BenfordRecord, EpochColumns, MetricsRecord, RunJson, SpectrumRecord, TransitionEvent } from '../../extension/shared/protocol';
import { epochValues, LOG_QUANTITIES, parseColumnName, type Quantity } from '../../extension/shared/view/epochColumns';
import { lttbIndices } from '../../extension/shared/view/lttb';
import { SummaryTracker } from '../../extension/shared/summary';
import type { XY } from '../../extension/shared/view/xy';

export interface SeriesOptions {
  /** Values ≤ 0 are dropped (log axes), and decimation works on log10(y). */
  logY?: boolean;
}

export class Series {
  private xs = new Float64Array(64);
  private ys = new Float64Array(64);
  /** log10(y), kept for log series so decimation does not recompute 100 000 logarithms per redraw. */
  private ls: Float64Array | null;
  private count = 0;
  private cache: XY[] = [];
  /** cache holds exactly the first `cached` points (undecimated), or a decimated copy when decimated. */
  private cached = 0;
  private decimated = false;
  private dirty = true;

  constructor(readonly options: SeriesOptions = {}) {
    this.ls = options.logY ? new Float64Array(64) : null;
  }

  get length(): number {
    return this.count;
  }

  get lastX(): number | null {
    return this.count ? this.xs[this.count - 1] : null;
  }

  get lastY(): number | null {
    return this.count ? this.ys[this.count - 1] : null;
  }

  /**
   * Append (x, y). Non-finite y (and y ≤ 0 on a log series) is skipped; an x equal to the last x replaces that
   * point; an x below the last x is ignored (records are per epoch and arrive in order). Returns whether the
   * series changed.
   */
  push(x: number, y: number): boolean {
    if (!Number.isFinite(x) || !Number.isFinite(y) || (this.options.logY && y <= 0)) return false;
    const n = this.count;
    if (n > 0) {
      const last = this.xs[n - 1];
      if (x < last) return false;
      if (x === last) {
        this.ys[n - 1] = y;
        if (this.ls) this.ls[n - 1] = Math.log10(y);
        if (!this.decimated && this.cached === n) this.cache[n - 1].y = y;
        this.dirty = true;
        return true;
      }
    }
    if (n === this.xs.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.xs = grow(this.xs);
      this.ys = grow(this.ys);
      if (this.ls) this.ls = grow(this.ls);
    }
    this.xs[n] = x;
    this.ys[n] = y;
    if (this.ls) this.ls[n] = Math.log10(y);
    this.count = n + 1;
    this.dirty = true;
    return true;
  }

  /**
   * Points for chart.js. Up to `threshold` points: one array that grows in place (new points appended, no
   * copy). Beyond: an LTTB-decimated array of `threshold` points, recomputed only after a change.
   */
  points(threshold: number): XY[] {
    const n = this.count;
    if (n <= threshold) {
      if (this.decimated) {
        this.cache = [];
        this.cached = 0;
        this.decimated = false;
      }
      for (let i = this.cached; i < n; i++) this.cache.push({ x: this.xs[i], y: this.ys[i] });
      this.cached = n;
      this.dirty = false;
      return this.cache;
    }
    if (!this.decimated || this.dirty) {
      const idx = lttbIndices(this.xs, this.ls ?? this.ys, n, threshold);
      this.cache = Array.from(idx, (i) => ({ x: this.xs[i], y: this.ys[i] }));
      this.cached = 0;
      this.decimated = true;
      this.dirty = false;
    }
    return this.cache;
  }
}

export type ChartName =
  | 'loss'
  | 'accuracy'
  | 'gradNorm'
  | 'weightNorm'
  | 'updateRatio'
  | 'activations'
  | 'spectrum'
  | 'benford'
  | 'landscape';

/** The chart each charted quantity is drawn on. */
const CHART_OF: Record<Quantity, ChartName> = {
  trainLoss: 'loss',
  testLoss: 'loss',
  trainAcc: 'accuracy',
  testAcc: 'accuracy',
  trainR2: 'accuracy',
  testR2: 'accuracy',
  grad: 'gradNorm',
  weight: 'weightNorm',
  ratio: 'updateRatio',
};

/** The chart markers: transitions as events (deduplicated), memorization and generalization as the summary derives them. */
export class Markers {
  readonly transitions: TransitionEvent[] = [];
  constructor(private readonly summary: SummaryTracker) {}
  get memorization(): number | null {
    return this.summary.memorizationEpoch;
  }
  get generalization(): number | null {
    return this.summary.generalizationEpoch;
  }
}

function getOrCreate<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

/** Everything the panel knows about one run. */
export class RunModel {
  readonly trainLoss = new Series({ logY: true });
  readonly testLoss = new Series({ logY: true });
  readonly trainAcc = new Series();
  readonly testAcc = new Series();
  readonly trainR2 = new Series();
  readonly testR2 = new Series();
  readonly grad = new Map<string, Series>();
  readonly weight = new Map<string, Series>();
  readonly ratio = new Map<string, Series>();
  readonly dead = new Map<number, Series>();
  readonly sparsity = new Map<number, Series>();
  readonly entropy = new Map<number, Series>();
  /** Ascending by epoch, one per epoch. */
  readonly spectra: SpectrumRecord[] = [];
  readonly benford: BenfordRecord[] = [];
  private readonly summary = new SummaryTracker();
  readonly markers = new Markers(this.summary);
  readonly checkpoints: number[] = [];
  lastEpoch: number | null = null;
  private readonly seenTransitions = new Set<string>();

  constructor(
    readonly runDir: string,
    public run: RunJson,
  ) {}

  get isRegression(): boolean {
    return this.trainAcc.length === 0 && this.trainR2.length > 0;
  }

  /** From the event records, else from run.json's summary. */
  get memorizationEpoch(): number | null {
    return this.markers.memorization ?? this.run.summary?.memorizationEpoch ?? null;
  }

  get generalizationEpoch(): number | null {
    return this.markers.generalization ?? this.run.summary?.generalizationEpoch ?? null;
  }

  /** The series of a charted quantity (a tensor's is made when first needed). */
  private seriesOf(quantity: Quantity, tensor: string | null): Series {
    const logY = LOG_QUANTITIES.has(quantity);
    switch (quantity) {
      case 'grad':
        return getOrCreate(this.grad, tensor ?? '', () => new Series({ logY }));
      case 'weight':
        return getOrCreate(this.weight, tensor ?? '', () => new Series({ logY }));
      case 'ratio':
        return getOrCreate(this.ratio, tensor ?? '', () => new Series({ logY }));
      default:
        return this[quantity];
    }
  }

  /** Ingest a long run's epoch series as the host sends them (columns of LTTB's picks); before its records. */
  ingestColumns(columns: EpochColumns): void {
    for (const [name, [xs, ys]] of Object.entries(columns)) {
      const q = parseColumnName(name);
      if (!q) continue;
      const s = this.seriesOf(q.quantity, q.tensor);
      for (let i = 0; i < xs.length; i++) s.push(xs[i], ys[i]);
      const last = s.lastX;
      if (last !== null) this.lastEpoch = this.lastEpoch === null ? last : Math.max(this.lastEpoch, last);
    }
  }

  /** Ingest records; returns the charts whose data changed. */
  ingest(records: readonly MetricsRecord[]): Set<ChartName> {
    const dirty = new Set<ChartName>();
    for (const r of records) {
      switch (r.type) {
        case 'epoch': {
          const e = r.epoch;
          this.lastEpoch = this.lastEpoch === null ? e : Math.max(this.lastEpoch, e);
          for (const v of epochValues(r)) if (v.y !== null && this.seriesOf(v.quantity, v.tensor).push(e, v.y)) dirty.add(CHART_OF[v.quantity]);
          break;
        }
        case 'activations':
          for (const l of r.layers) {
            getOrCreate(this.dead, l.layer, () => new Series()).push(r.epoch, l.deadFraction);
            getOrCreate(this.sparsity, l.layer, () => new Series()).push(r.epoch, l.sparsity);
            getOrCreate(this.entropy, l.layer, () => new Series()).push(r.epoch, l.entropy);
          }
          dirty.add('activations');
          break;
        case 'spectrum':
          insertByEpoch(this.spectra, r);
          dirty.add('spectrum');
          break;
        case 'benford':
          insertByEpoch(this.benford, r);
          dirty.add('benford');
          break;
        case 'event': {
          const ev = r.event;
          if (ev.kind === 'transition') {
            const key = `${ev.tensor}:${ev.epoch}:${ev.changeKind}`;
            if (this.seenTransitions.has(key)) break;
            this.seenTransitions.add(key);
            this.markers.transitions.push(ev);
          } else this.summary.add(r);
          dirty.add('gradNorm').add('loss').add('accuracy');
          break;
        }
        case 'checkpoint':
          if (!this.checkpoints.includes(r.epoch)) this.checkpoints.push(r.epoch);
          break;
      }
    }
    return dirty;
  }
}

/** Insert keeping ascending epoch order; a record for an epoch already held replaces it. */
export function insertByEpoch<T extends { epoch: number }>(list: T[], rec: T): void {
  let i = list.length;
  while (i > 0 && list[i - 1].epoch > rec.epoch) i--;
  if (i > 0 && list[i - 1].epoch === rec.epoch) list[i - 1] = rec;
  else list.splice(i, 0, rec);
}

/** Index of the record with the largest epoch ≤ target (0 when target precedes them all; -1 when empty). */
export function indexAtEpoch(list: readonly { epoch: number }[], target: number): number {
  if (list.length === 0) return -1;
  let lo = 0;
  let hi = list.length - 1;
  if (target <= list[0].epoch) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (list[mid].epoch <= target) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Natural order of tensor names: layers.0.kernel, layers.0.bias, layers.1.kernel, … */
export function compareTensors(a: string, b: string): number {
  const pa = /layers\.(\d+)\.(\w+)/.exec(a);
  const pb = /layers\.(\d+)\.(\w+)/.exec(b);
  if (pa && pb) {
    const d = Number(pa[1]) - Number(pb[1]);
    if (d !== 0) return d;
    const rank = (s: string) => (s === 'kernel' ? 0 : 1);
    return rank(pa[2]) - rank(pb[2]) || pa[2].localeCompare(pb[2]);
  }
  return a.localeCompare(b);
}
