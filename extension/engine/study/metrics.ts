/**
 * The per-run table of a study: every run becomes one row of named metrics. The summary part (final
 * losses, memorization / generalization, transitions, loss-curve fits, epochs/s) comes from the one summary
 * derivation, `SummaryTracker` (shared/summary.ts), fed with the run's records; the probe metrics (activations, spectra, Benford)
 * are the values of the run's latest probe record (or of the latest at or before epoch k for `NAME@k`).
 *
 * A metric is a number or `null`: null when an event never happened (`generalizationEpoch` of a run that did
 * not generalize), when it does not apply (accuracy of a regression run), or when the run has not got there
 * yet. Every name is listed in METRIC_DOCS (the README's table is the same list).
 *
 * Pure: reads nothing, imports no vscode / DOM.
 */
import type { LossFit, MetricsRecord, RunJson, TransitionKind } from '../../shared/protocol';
import { SummaryTracker } from '../../shared/summary';
import { fitLossCurve } from '../probes/curvefit';

/** What a study reads of one run: its folder, run.json and the records of metrics.jsonl (live runs: those so far). */
export interface StudyRunInput {
  runDir: string;
  run: RunJson;
  records: readonly MetricsRecord[];
}

export const TRANSITION_KINDS: readonly TransitionKind[] = ['peak', 'levelling-off', 'drop-onset', 'rise-onset', 'slope-change'];
export const LOSS_FIT_FORMS: readonly LossFit['form'][] = ['power-law', 'exponential', 'stretched-exponential'];
const TRANSITION_FIELDS = ['epoch', 'detectedAt', 'lead', 'confirmedLead'] as const;
const FIT_PARAMS = ['a', 'b', 'tau', 'beta', 'c'] as const;

/** One documented metric (or family of metrics: `L` = a layer index, `T` = a tensor name such as `layers.0.kernel`). */
export interface MetricDoc {
  name: string;
  /** `event`: null means "never happened"; `value`: null means "does not apply / not measured". */
  kind: 'event' | 'value';
  /** `NAME@k` (value at epoch k) is accepted. */
  atEpoch: boolean;
  doc: string;
}

export const METRIC_DOCS: readonly MetricDoc[] = [
  { name: 'finalTrainLoss', kind: 'value', atEpoch: false, doc: 'training loss at the last epoch record (`trainLoss@k`: at epoch k)' },
  { name: 'finalTestLoss', kind: 'value', atEpoch: false, doc: 'test loss at the last epoch record (`testLoss@k`: at epoch k)' },
  { name: 'minTestLoss', kind: 'value', atEpoch: false, doc: 'lowest test loss over the run' },
  { name: 'finalTrainAcc', kind: 'value', atEpoch: false, doc: 'training accuracy at the end; null for regression (`trainAcc@k`)' },
  { name: 'finalTestAcc', kind: 'value', atEpoch: false, doc: 'test accuracy at the end; null for regression (`testAcc@k`)' },
  { name: 'maxTestAcc', kind: 'value', atEpoch: false, doc: 'highest test accuracy over the run; null for regression' },
  { name: 'finalTrainR2', kind: 'value', atEpoch: false, doc: 'training R² at the end; null for classification (`trainR2@k`)' },
  { name: 'finalTestR2', kind: 'value', atEpoch: false, doc: 'test R² at the end; null for classification (`testR2@k`)' },
  { name: 'memorizationEpoch', kind: 'event', atEpoch: false, doc: 'first epoch with train accuracy ≥ probes.memorizationThreshold' },
  { name: 'generalizationEpoch', kind: 'event', atEpoch: false, doc: 'first epoch with test accuracy ≥ probes.generalizationThreshold (regression: test loss < probes.regressionLossThreshold)' },
  { name: 'grokDelay', kind: 'event', atEpoch: false, doc: 'generalizationEpoch − memorizationEpoch; null unless both happened' },
  { name: 'transition.layerL.KIND.epoch', kind: 'event', atEpoch: false, doc: 'epoch of the first gradient-norm transition of dense layer L of KIND (peak, levelling-off, drop-onset, rise-onset, slope-change, or `any` kind)' },
  { name: 'transition.layerL.KIND.detectedAt', kind: 'event', atEpoch: false, doc: 'epoch at which that transition was confirmed' },
  { name: 'transition.layerL.KIND.lead', kind: 'event', atEpoch: false, doc: 'generalizationEpoch − transition epoch (positive: the transition came first)' },
  { name: 'transition.layerL.KIND.confirmedLead', kind: 'event', atEpoch: false, doc: 'generalizationEpoch − confirmation epoch (positive: it was known before generalization)' },
  { name: 'deadFraction.layerL', kind: 'value', atEpoch: true, doc: 'fraction of hidden layer L\'s units that are 0 on every example, at the last activations probe' },
  { name: 'sparsity.layerL', kind: 'value', atEpoch: true, doc: 'fraction of zero activations of hidden layer L over the training set, at the last probe' },
  { name: 'entropy.layerL', kind: 'value', atEpoch: true, doc: 'mean binary firing entropy (bits) of hidden layer L\'s units, at the last probe' },
  { name: 'alpha.T', kind: 'value', atEpoch: true, doc: 'power-law exponent α of the eigenvalue tail of weight matrix T at the last spectrum probe; null when no power law was fitted' },
  { name: 'fractionAbove.T', kind: 'value', atEpoch: true, doc: 'fraction of T\'s eigenvalues above the Marchenko–Pastur edge λ+ at the last spectrum probe' },
  { name: 'ks.T', kind: 'value', atEpoch: true, doc: 'KS distance between T\'s bulk eigenvalues and the fitted Marchenko–Pastur law at the last spectrum probe' },
  { name: 'benford.T', kind: 'value', atEpoch: true, doc: 'distance of tensor T\'s first-digit frequencies from Benford\'s law at the last Benford probe' },
  { name: 'gradNorm.T', kind: 'value', atEpoch: true, doc: 'L2 norm of weight matrix T\'s gradient at the last epoch record' },
  { name: 'bestLossFit.r2', kind: 'value', atEpoch: false, doc: 'R² of the best-fitting form of the training-loss curve (fitted once a run has ended; the form itself is the row\'s `bestLossFit`)' },
  { name: 'bestLossFit.P', kind: 'value', atEpoch: false, doc: 'parameter P (a, b, tau, beta, c) of the best form: power law a·t^(−b)+c, exponential a·e^(−t/tau)+c, stretched exponential a·e^(−(t/tau)^beta)+c; null where the form has no P' },
  { name: 'lossFit.FORM.r2', kind: 'value', atEpoch: false, doc: 'R² of FORM (power-law, exponential, stretched-exponential) fitted to the training-loss curve' },
  { name: 'epochsPerSecond', kind: 'value', atEpoch: false, doc: 'training speed of the run' },
  { name: 'epochs', kind: 'value', atEpoch: false, doc: 'epochs completed' },
];

/** Series that `NAME@k` reads from epoch records (the final value of each is its `final…` metric). */
const EPOCH_SERIES = ['trainLoss', 'testLoss', 'trainAcc', 'testAcc', 'trainR2', 'testR2'] as const;
type EpochSeries = (typeof EPOCH_SERIES)[number];

const FIXED = new Set(['finalTrainLoss', 'finalTestLoss', 'minTestLoss', 'finalTrainAcc', 'finalTestAcc', 'maxTestAcc', 'finalTrainR2', 'finalTestR2', 'memorizationEpoch', 'generalizationEpoch', 'grokDelay', 'bestLossFit.r2', 'epochsPerSecond', 'epochs']);
const EVENT_FIXED = new Set(['memorizationEpoch', 'generalizationEpoch', 'grokDelay']);

/** A metric name taken apart: the base name and the epoch of `NAME@k` (null for the final value). */
export interface MetricName {
  name: string;
  base: string;
  at: number | null;
  kind: 'event' | 'value';
}

const TENSOR = '[A-Za-z0-9_]+(?:\\.[A-Za-z0-9_]+)*';
const PATTERNS: { re: RegExp; kind: 'event' | 'value'; atEpoch: boolean }[] = [
  { re: new RegExp(`^transition\\.layer\\d+\\.(?:${[...TRANSITION_KINDS, 'any'].join('|')})\\.(?:${TRANSITION_FIELDS.join('|')})$`), kind: 'event', atEpoch: false },
  { re: /^(?:deadFraction|sparsity|entropy)\.layer\d+$/, kind: 'value', atEpoch: true },
  { re: new RegExp(`^(?:alpha|fractionAbove|ks|benford|gradNorm)\\.${TENSOR}$`), kind: 'value', atEpoch: true },
  { re: new RegExp(`^bestLossFit\\.(?:${FIT_PARAMS.join('|')})$`), kind: 'value', atEpoch: false },
  { re: new RegExp(`^lossFit\\.(?:${LOSS_FIT_FORMS.join('|')})\\.r2$`), kind: 'value', atEpoch: false },
  { re: new RegExp(`^(?:${EPOCH_SERIES.join('|')})$`), kind: 'value', atEpoch: true },
];

/**
 * Parses a metric name (`finalTestLoss`, `sparsity.layer0@500`, `transition.layer1.peak.lead`); null when it
 * names no metric. The epoch series (`testAcc`, `trainLoss`, …) exist only as `NAME@k`.
 */
export function parseMetricName(name: string): MetricName | null {
  const m = /^(.+?)@(\d+)$/.exec(name);
  const base = m ? m[1] : name;
  const at = m ? Number(m[2]) : null;
  if (FIXED.has(base)) return at === null ? { name, base, at, kind: EVENT_FIXED.has(base) ? 'event' : 'value' } : null;
  for (const p of PATTERNS) {
    if (!p.re.test(base)) continue;
    if (at !== null && !p.atEpoch) return null;
    if (at === null && (EPOCH_SERIES as readonly string[]).includes(base)) return null;
    return { name, base, at, kind: p.kind };
  }
  return null;
}

/** One row of the per-run table. */
export interface RunMetrics {
  /** Metric name → value (null: never happened / does not apply / not yet). */
  values: Record<string, number | null>;
  /** Form of the best loss-curve fit (categorical), null until fitted. */
  bestLossFit: LossFit['form'] | null;
}

function epochValue(r: Extract<MetricsRecord, { type: 'epoch' }>, s: EpochSeries): number | null {
  const v = r[s];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** The value named `base` (a probe or epoch series) in one record, or undefined when the record does not carry it. */
function seriesValue(r: MetricsRecord, base: string): number | null | undefined {
  const dot = base.indexOf('.');
  const head = dot < 0 ? base : base.slice(0, dot);
  const rest = dot < 0 ? '' : base.slice(dot + 1);
  switch (r.type) {
    case 'epoch':
      if ((EPOCH_SERIES as readonly string[]).includes(base)) return epochValue(r, base as EpochSeries);
      if (head === 'gradNorm') return rest in r.gradNorms ? r.gradNorms[rest] : null;
      return undefined;
    case 'activations': {
      if (head !== 'deadFraction' && head !== 'sparsity' && head !== 'entropy') return undefined;
      const layer = Number(rest.replace('layer', ''));
      const l = r.layers.find((x) => x.layer === layer);
      return l ? l[head] : null;
    }
    case 'spectrum': {
      if (head !== 'alpha' && head !== 'fractionAbove' && head !== 'ks') return undefined;
      const m = r.matrices.find((x) => x.tensor === rest);
      if (!m) return null;
      return head === 'alpha' ? m.powerLaw?.alpha ?? null : head === 'ks' ? m.mp.ksDistance : m.mp.fractionAbove;
    }
    case 'benford': {
      if (head !== 'benford') return undefined;
      return r.tensors.find((x) => x.tensor === rest)?.distance ?? null;
    }
    default:
      return undefined;
  }
}

/** Latest value of a series at or before epoch `at` (any epoch when null); null when no record carries it. */
function latestValue(records: readonly MetricsRecord[], base: string, at: number | null): number | null {
  let best: { epoch: number; value: number | null } | null = null;
  for (const r of records) {
    if (at !== null && r.epoch > at) continue;
    const v = seriesValue(r, base);
    if (v === undefined) continue;
    if (best === null || r.epoch >= best.epoch) best = { epoch: r.epoch, value: v };
  }
  return best === null || best.value === null || !Number.isFinite(best.value) ? null : best.value;
}

/** The probe-series names a run's records carry (final values of these are table columns). */
function seriesNames(input: StudyRunInput): string[] {
  const out = new Set<string>();
  const hidden = input.run.config.model?.hidden?.length ?? 0;
  for (let l = 0; l < hidden; l++) for (const h of ['deadFraction', 'sparsity', 'entropy']) out.add(`${h}.layer${l}`);
  for (const r of input.records) {
    if (r.type === 'spectrum') for (const m of r.matrices) for (const h of ['alpha', 'fractionAbove', 'ks']) out.add(`${h}.${m.tensor}`);
    else if (r.type === 'benford') for (const t of r.tensors) out.add(`benford.${t.tensor}`);
    else if (r.type === 'epoch') for (const t of Object.keys(r.gradNorms)) if (t.endsWith('.kernel')) out.add(`gradNorm.${t}`);
  }
  return [...out];
}

/** Dense layers of a run's model (the transition detector watches each one's kernel). */
function denseLayers(run: RunJson): number {
  return (run.config.model?.hidden?.length ?? 0) + 1;
}

/** The columns a run contributes to the table (besides the fixed ones), in a stable order. */
export function metricColumns(inputs: readonly StudyRunInput[]): string[] {
  const fixed = [
    'finalTrainLoss', 'finalTestLoss', 'minTestLoss', 'finalTrainAcc', 'finalTestAcc', 'maxTestAcc', 'finalTrainR2', 'finalTestR2',
    'memorizationEpoch', 'generalizationEpoch', 'grokDelay',
  ];
  let layers = 0;
  const series = new Set<string>();
  for (const i of inputs) {
    layers = Math.max(layers, denseLayers(i.run));
    for (const s of seriesNames(i)) series.add(s);
  }
  const transitions: string[] = [];
  for (let l = 0; l < layers; l++) for (const k of ['any', ...TRANSITION_KINDS]) for (const f of TRANSITION_FIELDS) transitions.push(`transition.layer${l}.${k}.${f}`);
  const order = ['deadFraction', 'sparsity', 'entropy', 'alpha', 'fractionAbove', 'ks', 'benford', 'gradNorm'];
  const probe = [...series].sort((a, b) => order.indexOf(a.split('.')[0]) - order.indexOf(b.split('.')[0]) || a.localeCompare(b, 'en', { numeric: true }));
  const fits = [...FIT_PARAMS.map((p) => `bestLossFit.${p}`), 'bestLossFit.r2', ...LOSS_FIT_FORMS.map((f) => `lossFit.${f}.r2`)];
  return [...fixed, ...transitions, ...probe, ...fits, 'epochsPerSecond', 'epochs'];
}

/**
 * The metrics of one run: every column of `columns` (see metricColumns) plus the `extra` names (`NAME@k`),
 * null where a value does not exist. Loss-curve fits are taken from run.json's summary once the run has
 * ended (computed from the records if it has none) and are null while it runs.
 */
export function runMetrics(input: StudyRunInput, columns: readonly string[], extra: readonly string[] = []): RunMetrics {
  const { run, records } = input;
  const tracker = new SummaryTracker();
  for (const r of records) tracker.add(r);
  const extent = tracker.extent;
  const epochs = Math.max(run.epochsCompleted, extent.epochs);
  const ended = run.status !== 'running';
  const stored = run.summary;
  const summary =
    ended && stored && stored.lossFits.length > 0
      ? { ...tracker.summary(epochs, extent.elapsedMs), lossFits: stored.lossFits, bestLossFit: stored.bestLossFit }
      : tracker.summary(epochs, extent.elapsedMs, ended ? fitLossCurve : undefined);
  const epochsPerSecond = ended && stored && stored.epochsPerSecond > 0 ? stored.epochsPerSecond : summary.epochsPerSecond > 0 ? summary.epochsPerSecond : null;
  const last = tracker.lastEpoch;
  const { minTestLoss, maxTestAcc } = tracker.extremes;
  const g = summary.generalizationEpoch;
  const m = summary.memorizationEpoch;
  const values: Record<string, number | null> = {
    finalTrainLoss: last ? epochValue(last, 'trainLoss') : null,
    finalTestLoss: last ? epochValue(last, 'testLoss') : null,
    minTestLoss,
    finalTrainAcc: last ? epochValue(last, 'trainAcc') : null,
    finalTestAcc: last ? epochValue(last, 'testAcc') : null,
    maxTestAcc,
    finalTrainR2: last ? epochValue(last, 'trainR2') : null,
    finalTestR2: last ? epochValue(last, 'testR2') : null,
    memorizationEpoch: m,
    generalizationEpoch: g,
    grokDelay: g !== null && m !== null ? g - m : null,
    epochsPerSecond,
    epochs,
  };
  const firsts = new Map<string, { epoch: number; detectedAt: number }>();
  for (const t of tracker.transitionDetails) {
    for (const k of [t.changeKind, 'any']) {
      const key = `transition.layer${t.layer}.${k}`;
      if (!firsts.has(key)) firsts.set(key, { epoch: t.epoch, detectedAt: t.detectedAt });
    }
  }
  const best = summary.bestLossFit;
  const want = [...columns, ...extra.filter((e) => !columns.includes(e))];
  for (const name of want) {
    if (name in values) continue;
    const parsed = parseMetricName(name);
    if (!parsed) {
      values[name] = null;
      continue;
    }
    const b = parsed.base;
    if (b.startsWith('transition.')) {
      const key = b.slice(0, b.lastIndexOf('.'));
      const field = b.slice(b.lastIndexOf('.') + 1);
      const t = firsts.get(key);
      values[name] =
        !t ? null : field === 'epoch' ? t.epoch : field === 'detectedAt' ? t.detectedAt : g === null ? null : field === 'lead' ? g - t.epoch : g - t.detectedAt;
    } else if (b.startsWith('bestLossFit.')) {
      const p = b.slice('bestLossFit.'.length);
      values[name] = !best ? null : p === 'r2' ? best.r2 : best.params[p] ?? null;
    } else if (b.startsWith('lossFit.')) {
      const form = b.slice('lossFit.'.length, -'.r2'.length);
      values[name] = summary.lossFits.find((f) => f.form === form)?.r2 ?? null;
    } else if (parsed.at !== null && (last === null || last.epoch < parsed.at)) {
      values[name] = null; // the run has not reached epoch k (yet)
    } else {
      values[name] = latestValue(records, b, parsed.at);
    }
  }
  return { values, bestLossFit: best?.form ?? null };
}
