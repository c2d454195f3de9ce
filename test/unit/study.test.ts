/**
 * Studies: the per-run table from hand-built run folders, seed groups against hand-computed aggregates,
 * curves and grids with empty cells and a split axis, Spearman ρ (ties) and its bootstrap interval against
 * values computed independently, the `study` block's checks, and the `study` CLI.
 *
 * Reference values of Spearman ρ and of the bootstrap were computed with numpy 1.24 by a separate Python
 * implementation (average ranks by counting, np.corrcoef, np.percentile's default linear quantile, and a
 * Python port of mulberry32 for the resampling indices: index = floor(next() · n), n per resample).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { MetricsRecord, RunJson, RunStatus } from '../../extension/shared/protocol';
import { parseExperiment } from '../../extension/engine/config';
import {
  aggregate,
  averageRanks,
  bootstrapSpearman,
  buildStudy,
  METRIC_DOCS,
  parseMetricName,
  predict,
  spearman,
  studyCurves,
  studyFromRuns,
  studyGrids,
  type StudyRunInput,
} from '../../extension/engine/study';
import { runMain } from './cli-fixture';
import { REPO, tempDir, tinyConfig } from './runs-fixture';

const close = (a: number | null, b: number, eps = 1e-9) => assert.ok(a !== null && Math.abs(a - b) <= eps, `${a} ≈ ${b}`);

function epoch(e: number, trainLoss: number, testLoss: number, testAcc: number | null, extra: Partial<Extract<MetricsRecord, { type: 'epoch' }>> = {}): MetricsRecord {
  return { type: 'epoch', epoch: e, t: e * 10, lr: 0.01, trainLoss, testLoss, trainAcc: testAcc === null ? null : 1, testAcc, trainR2: null, testR2: null, gradNorms: { 'layers.0.kernel': e, 'layers.0.bias': 0.5 }, weightNorms: {}, updateRatios: {}, ...extra };
}

interface RunSpec {
  config?: string;
  hidden?: number;
  seed?: number;
  lr?: number;
  status?: RunStatus;
  startedAt?: string;
  records: MetricsRecord[];
  swept?: string[];
}

let counter = 0;
/** A run folder written by hand: run.json and metrics.jsonl, as the trainer lays them out. */
function writeRun(experimentDir: string, s: RunSpec): StudyRunInput {
  const config = tinyConfig();
  config.model.hidden = [s.hidden ?? 8];
  config.training.seed = s.seed ?? 0;
  config.optimizer.lr = s.lr ?? 0.01;
  const sweepValues: Record<string, unknown> = {};
  for (const k of s.swept ?? ['model.hidden', 'training.seed']) sweepValues[k] = k === 'model.hidden' ? config.model.hidden : k === 'training.seed' ? config.training.seed : config.optimizer.lr;
  const id = `run-${String(++counter).padStart(3, '0')}`;
  const runDir = path.join(experimentDir, id);
  const last = [...s.records].reverse().find((r) => r.type === 'epoch');
  const run: RunJson = {
    formatVersion: 1,
    id,
    experiment: 'hand',
    experimentFile: null,
    configName: s.config ?? 'mlp',
    runName: `${s.config ?? 'mlp'}_${id}`,
    sweepValues,
    config,
    status: s.status ?? 'completed',
    reason: null,
    backend: 'cpu',
    versions: {},
    startedAt: s.startedAt ?? `2026-01-01T00:00:${String(counter).padStart(2, '0')}.000Z`,
    endedAt: null,
    epochsCompleted: last?.epoch ?? 0,
    totalEpochs: 100,
    summary: null,
  };
  mkdirSync(runDir, { recursive: true });
  writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(run, null, 2));
  writeFileSync(path.join(runDir, 'metrics.jsonl'), s.records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { runDir, run, records: s.records };
}

const { dir, cleanup } = tempDir('study');
after(cleanup);

const detailed: MetricsRecord[] = [
  epoch(1, 2.0, 2.5, 0.1),
  { type: 'event', epoch: 1, event: { kind: 'transition', layer: 0, tensor: 'layers.0.kernel', epoch: 1, detectedAt: 3, changeKind: 'peak', slopeBefore: 1, slopeAfter: -1 } },
  epoch(2, 1.0, 1.5, 0.4),
  { type: 'event', epoch: 2, event: { kind: 'memorization', epoch: 2 } },
  { type: 'activations', epoch: 2, layers: [{ layer: 0, units: 8, deadCount: 1, deadFraction: 0.125, sparsity: 0.3, entropy: 0.9 }] },
  epoch(3, 0.5, 0.9, 0.8),
  { type: 'event', epoch: 3, event: { kind: 'transition', layer: 1, tensor: 'layers.1.kernel', epoch: 2, detectedAt: 3, changeKind: 'levelling-off', slopeBefore: -2, slopeAfter: 0 } },
  epoch(4, 0.25, 1.1, 0.95),
  { type: 'event', epoch: 4, event: { kind: 'generalization', epoch: 4 } },
  { type: 'activations', epoch: 4, layers: [{ layer: 0, units: 8, deadCount: 2, deadFraction: 0.25, sparsity: 0.5, entropy: 0.7 }] },
  {
    type: 'spectrum',
    epoch: 4,
    matrices: [
      {
        tensor: 'layers.0.kernel', shape: [14, 8], eigenvalues: [0.1, 0.2], histogram: { edges: [0, 1], counts: [2] },
        mp: { q: 0.5, sigma2Empirical: 1, sigma2Fit: 1, lambdaMinus: 0.1, lambdaPlus: 2, ksDistance: 0.07, fractionAbove: 0.25 },
        powerLaw: { alpha: 3.5, xmin: 0.1, ksDistance: 0.1, nTail: 4 }, top: [0.2],
      },
    ],
  },
  { type: 'benford', epoch: 4, tensors: [{ tensor: 'layers.0.kernel', frequencies: [0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.05, 0.03, 0.02], distance: 0.042 }] },
];

test('the per-run table from a hand-built run folder', async () => {
  const exp = path.join(dir, 'table', 'hand');
  writeRun(exp, { records: detailed });
  const study = await buildStudy(path.join(dir, 'table'), 'hand');
  assert.equal(study.runs.length, 1);
  const m = study.runs[0].metrics;
  assert.equal(m.finalTrainLoss, 0.25);
  assert.equal(m.finalTestLoss, 1.1);
  assert.equal(m.minTestLoss, 0.9);
  assert.equal(m.finalTestAcc, 0.95);
  assert.equal(m.maxTestAcc, 0.95);
  assert.equal(m.finalTestR2, null, 'R² does not apply to classification');
  assert.equal(m.memorizationEpoch, 2);
  assert.equal(m.generalizationEpoch, 4);
  assert.equal(m.grokDelay, 2);
  assert.equal(m['transition.layer0.peak.epoch'], 1);
  assert.equal(m['transition.layer0.peak.detectedAt'], 3);
  assert.equal(m['transition.layer0.peak.lead'], 3);
  assert.equal(m['transition.layer0.peak.confirmedLead'], 1);
  assert.equal(m['transition.layer0.any.epoch'], 1);
  assert.equal(m['transition.layer1.levelling-off.lead'], 2);
  assert.equal(m['transition.layer1.peak.epoch'], null, 'a transition that did not happen is null');
  assert.equal(m['transition.layer0.drop-onset.lead'], null);
  assert.equal(m['deadFraction.layer0'], 0.25);
  assert.equal(m['sparsity.layer0'], 0.5);
  assert.equal(m['entropy.layer0'], 0.7);
  assert.equal(m['alpha.layers.0.kernel'], 3.5);
  assert.equal(m['fractionAbove.layers.0.kernel'], 0.25);
  assert.equal(m['ks.layers.0.kernel'], 0.07);
  assert.equal(m['benford.layers.0.kernel'], 0.042);
  assert.equal(m['gradNorm.layers.0.kernel'], 4);
  assert.equal(m.epochs, 4);
  close(m.epochsPerSecond, 100, 1e-9); // 4 epochs in 40 ms
  assert.ok(study.metrics.includes('bestLossFit.r2') && study.metrics.includes('lossFit.power-law.r2'));

  const withAt = await buildStudy(path.join(dir, 'table'), 'hand', { metrics: ['sparsity.layer0@3', 'sparsity.layer0@9', 'testAcc@3', 'gradNorm.layers.0.kernel@2'] });
  const a = withAt.runs[0].metrics;
  assert.equal(a['sparsity.layer0@3'], 0.3, 'value of the latest probe at or before epoch 3');
  assert.equal(a['sparsity.layer0@9'], null, 'the run never reached epoch 9');
  assert.equal(a['testAcc@3'], 0.8);
  assert.equal(a['gradNorm.layers.0.kernel@2'], 2);
});

test('metric names: documented families parse, others do not', () => {
  for (const ok of ['finalTestLoss', 'grokDelay', 'transition.layer2.slope-change.confirmedLead', 'sparsity.layer0@500', 'alpha.layers.1.kernel', 'testAcc@100', 'lossFit.stretched-exponential.r2', 'bestLossFit.tau']) {
    assert.ok(parseMetricName(ok), ok);
  }
  for (const bad of ['finalTestLos', 'testAcc', 'finalTestLoss@5', 'transition.layer0.bump.epoch', 'grokDelay@3', 'sparsity.layerX', '']) assert.equal(parseMetricName(bad), null, bad);
  assert.equal(parseMetricName('generalizationEpoch')?.kind, 'event');
});

test('seed groups: mean, std, min, max, n, never (hand-computed); newest run per point and seed', async () => {
  const root = path.join(dir, 'seeds');
  const exp = path.join(root, 'hand');
  const at = (testLoss: number, gen: number | null): MetricsRecord[] => [epoch(1, 1, testLoss, 0.5), ...(gen === null ? [] : [{ type: 'event', epoch: gen, event: { kind: 'generalization', epoch: gen } } as MetricsRecord])];
  // width 8: seeds 0, 1, 2 → finalTestLoss 1, 2, 4; generalization 100, 300, never.
  writeRun(exp, { hidden: 8, seed: 0, records: at(9, 5), startedAt: '2026-01-01T00:00:00.000Z' }); // superseded by the newer seed-0 run
  writeRun(exp, { hidden: 8, seed: 0, records: at(1, 100), startedAt: '2026-01-02T00:00:00.000Z' });
  writeRun(exp, { hidden: 8, seed: 1, records: at(2, 300), startedAt: '2026-01-02T00:00:01.000Z' });
  writeRun(exp, { hidden: 8, seed: 2, records: at(4, null), startedAt: '2026-01-02T00:00:02.000Z' });
  // width 16: one finished run, one still going without generalization yet.
  writeRun(exp, { hidden: 16, seed: 0, records: at(0.5, 50), startedAt: '2026-01-02T00:00:03.000Z' });
  writeRun(exp, { hidden: 16, seed: 1, records: at(0.7, null), status: 'running', startedAt: '2026-01-02T00:00:04.000Z' });

  const study = await buildStudy(root, 'hand', { axes: ['model.hidden', 'training.seed'] });
  assert.deepEqual(study.axes, ['model.hidden'], 'training.seed is not an axis');
  assert.deepEqual(study.axisValues['model.hidden'], [[8], [16]]);
  assert.equal(study.runs.length, 5, 'the older seed-0 run of width 8 is superseded');
  assert.equal(study.running, 1);
  assert.deepEqual(study.groups.map((g) => g.point), [{ 'model.hidden': [8] }, { 'model.hidden': [16] }]);
  const [w8, w16] = study.groups;
  assert.equal(w8.runs.length, 3);
  const loss = w8.metrics.finalTestLoss;
  close(loss.mean, 7 / 3);
  close(loss.std, Math.sqrt(7 / 3)); // ((4/3)² + (1/3)² + (5/3)²) / 2 = 7/3
  assert.deepEqual([loss.min, loss.max, loss.n, loss.never, loss.pending], [1, 4, 3, 0, 0]);
  const gen = w8.metrics.generalizationEpoch;
  assert.deepEqual([gen.mean, gen.min, gen.max, gen.n, gen.never, gen.pending], [200, 100, 300, 2, 1, 0]);
  close(gen.std, Math.sqrt(20000));
  assert.equal(w16.running, 1);
  assert.deepEqual([w16.metrics.generalizationEpoch.n, w16.metrics.generalizationEpoch.never, w16.metrics.generalizationEpoch.pending], [1, 0, 1]);
  assert.equal(w16.metrics.generalizationEpoch.std, null, 'no std from one value');

  const all = await buildStudy(root, 'hand', { runs: 'all' });
  assert.equal(all.runs.length, 6);
  assert.equal(all.groups[0].metrics.finalTestLoss.n, 4);
  assert.deepEqual(aggregate([]), { mean: null, std: null, min: null, max: null, n: 0, never: 0, pending: 0 });
});

/** Runs over lr × width × config with one (lr, width) cell left out for config b. */
function landscape(): StudyRunInput[] {
  const exp = path.join(dir, 'grid', 'hand');
  const out: StudyRunInput[] = [];
  for (const config of ['a', 'b']) {
    for (const lr of [0.1, 0.01]) {
      for (const hidden of [16, 8]) {
        if (config === 'b' && lr === 0.1 && hidden === 16) continue;
        for (const seed of [0, 1]) {
          const value = lr * 100 + hidden + seed + (config === 'b' ? 1000 : 0);
          const gen = config === 'a' && hidden === 8 ? null : value;
          out.push(writeRun(exp, { config, lr, hidden, seed, swept: ['optimizer.lr', 'model.hidden', 'training.seed'], records: [epoch(1, 1, value, 0.5), ...(gen === null ? [] : [{ type: 'event', epoch: gen, event: { kind: 'generalization', epoch: gen } } as MetricsRecord])] }));
        }
      }
    }
  }
  return out;
}

test('curves and grids: numeric axes sorted, empty cells, a split axis, never cells', () => {
  const study = studyFromRuns('hand', landscape(), { axes: ['optimizer.lr', 'model.hidden', 'training.seed'], configs: ['a', 'b'] });
  assert.deepEqual(study.axes, ['config', 'optimizer.lr', 'model.hidden']);
  assert.deepEqual(study.axisValues['optimizer.lr'], [0.01, 0.1]);
  assert.deepEqual(study.axisValues['model.hidden'], [[8], [16]]);

  const c = studyCurves(study, 'finalTestLoss', 'model.hidden', 'config', { 'optimizer.lr': 0.01 });
  assert.equal(c.numeric, true);
  assert.deepEqual(c.curves.map((k) => k.split), ['a', 'b']);
  assert.deepEqual(c.curves[0].points.map((p) => [p.xNum, p.stats.mean, p.stats.n]), [[8, 9.5, 2], [16, 17.5, 2]]);
  assert.deepEqual(c.curves[1].points.map((p) => p.stats.mean), [1009.5, 1017.5]);
  // Without a filter a point pools the lr values too: width 16 of config b has only lr 0.01.
  const pooled = studyCurves(study, 'finalTestLoss', 'model.hidden', 'config');
  assert.deepEqual(pooled.curves[1].points.map((p) => [p.stats.mean, p.stats.n]), [[(1018.5 + 1009.5) / 2, 4], [1017.5, 2]]);

  const g = studyGrids(study, 'generalizationEpoch', 'optimizer.lr', 'model.hidden', 'config');
  assert.deepEqual(g.xValues, [0.01, 0.1]);
  assert.deepEqual(g.yValues, [[8], [16]]);
  const [a, b] = g.grids;
  assert.equal(a.split, 'a');
  assert.deepEqual(a.cells.map((row) => row.map((cell) => cell.state)), [['never', 'never'], ['value', 'value']]);
  assert.equal(a.cells[1][1].stats?.mean, 26.5);
  assert.deepEqual([a.min, a.max], [17.5, 26.5]);
  assert.deepEqual(b.cells.map((row) => row.map((cell) => cell.state)), [['value', 'value'], ['value', 'empty']]);
  assert.equal(b.cells[1][1].stats, null);
  assert.deepEqual(b.cells[1][1].runs, []);
  assert.deepEqual(b.cells[0][1].runs.map((r) => r.value).sort(), [1018, 1019]);
  assert.throws(() => studyGrids(study, 'generalizationEpoch', 'optimizer.lr', 'model.width'), /not an axis/);
  assert.throws(() => studyFromRuns('hand', landscape(), { by: ['training.seed'] }), /seeds are repeats/);
});

test('Spearman ρ with ties against hand and numpy values', () => {
  assert.deepEqual(averageRanks([10, 20, 20, 30, 20]), [1, 3, 3, 5, 3]);
  // Hand: ranks x = 1, 2.5, 2.5, 4 and y = 1, 3, 2, 4 → Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5 / √22.5.
  close(spearman([1, 2, 2, 3], [1, 3, 2, 4]), 4.5 / Math.sqrt(22.5), 1e-12);
  close(spearman([1, 2, 2, 3, 4, 4, 4, 5, 6, 7], [2, 1, 3, 3, 5, 4, 6, 5, 9, 7]), 0.9133520897645665, 1e-12);
  close(spearman([1, 1, 2, 2, 3], [1, 2, 2, 3, 3]), 0.8055555555555555, 1e-12);
  close(spearman([1, 2, 3], [3, 2, 1]), -1, 1e-12);
  assert.equal(spearman([2, 2, 2], [1, 2, 3]), null, 'a constant side has no rank correlation');
});

test('bootstrap interval of ρ against an independent numpy computation (same seeded indices)', () => {
  const x = [1, 2, 2, 3, 4, 4, 4, 5, 6, 7];
  const y = [2, 1, 3, 3, 5, 4, 6, 5, 9, 7];
  const b0 = bootstrapSpearman(x, y, { seed: 0, resamples: 2000 })!;
  close(b0.lo, 0.6516129032258065, 1e-12);
  close(b0.hi, 0.9809125930116709, 1e-12);
  assert.equal(b0.resamples, 2000);
  const b7 = bootstrapSpearman(x, y, { seed: 7, resamples: 500 })!;
  close(b7.lo, 0.6588732054968921, 1e-12);
  close(b7.hi, 0.9879052440856864, 1e-12);
  // Small, tied sample: 38 of the 1000 resamples are constant on a side and are dropped.
  const b3 = bootstrapSpearman([1, 1, 2, 2, 3], [1, 2, 2, 3, 3], { seed: 3, resamples: 1000 })!;
  assert.equal(b3.resamples, 962);
  close(b3.lo, 0.408248290463863, 1e-12);
  close(b3.hi, 1, 1e-12);
  assert.deepEqual(bootstrapSpearman(x, y, { seed: 0, resamples: 2000 }), b0, 'seeded: the same interval every time');
});

test('prediction over runs: ρ with its interval, and "too few runs" below 5', () => {
  const exp = path.join(dir, 'predict', 'hand');
  const xs = [1, 2, 2, 3, 4, 4, 4, 5, 6, 7];
  const ys = [2, 1, 3, 3, 5, 4, 6, 5, 9, 7];
  const inputs = xs.map((x, i) =>
    writeRun(exp, { hidden: 8, seed: i, records: [epoch(1, 1, x, 0.5), { type: 'event', epoch: ys[i], event: { kind: 'generalization', epoch: ys[i] } }] }),
  );
  inputs.push(writeRun(exp, { hidden: 8, seed: 50, records: [epoch(1, 1, 3, 0.5)] })); // never generalized: left out
  inputs.push(writeRun(exp, { hidden: 8, seed: 51, status: 'running', records: [epoch(1, 1, 3, 0.5)] }));
  const study = studyFromRuns('hand', inputs);
  const p = predict(study, 'finalTestLoss', 'generalizationEpoch', { seed: 0, resamples: 2000 });
  assert.equal(p.n, 10);
  assert.equal(p.missing, 1);
  assert.equal(p.running, 1);
  assert.equal(p.tooFew, false);
  close(p.rho, 0.9133520897645665, 1e-12);
  close(p.ci!.lo, 0.6516129032258065, 1e-12);
  close(p.ci!.hi, 0.9809125930116709, 1e-12);
  const few = predict(studyFromRuns('hand', inputs.slice(0, 4)), 'finalTestLoss', 'generalizationEpoch');
  assert.equal(few.tooFew, true);
  assert.equal(few.rho, null);
  assert.equal(few.n, 4);
  assert.match(few.note ?? '', /too few runs: 4 .*at least 5/);
});

test('the study block: axes and metric names are checked; a good block is kept', () => {
  const file = (study: string) => `{
  "name": "s", "defaults": { "task": { "kind": "modular", "p": 7 } },
  "configs": [{ "name": "a" }, { "name": "b" }],
  "sweep": { "grid": { "model.hidden": [[8], [16]], "training.seed": [0, 1] } },
  "study": ${study}
}`;
  const good = parseExperiment(file('{ "metric": "sparsity.layer0@500", "by": ["model.hidden"], "split": "config", "predict": { "feature": "sparsity.layer0@500", "outcome": "generalizationEpoch" }, "logX": true }'));
  assert.deepEqual(good.problems, []);
  assert.deepEqual(good.study?.by, ['model.hidden']);
  assert.deepEqual(good.sweep?.axes, ['model.hidden', 'training.seed']);
  const bad = parseExperiment(file('{ "metric": "finalTestLos", "by": ["model.hiden", "training.seed"], "split": "optimizer.lr", "predict": { "feature": "x", "outcome": "finalTestAcc" }, "colour": 1 }'));
  const msgs = bad.problems.map((p) => `${p.path}: ${p.message}`);
  assert.ok(msgs.some((m) => /^study\.metric: unknown metric 'finalTestLos' — did you mean 'finalTestLoss'/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^study\.by\[0\]: 'model\.hiden' is not an axis .*did you mean 'model\.hidden'/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^study\.by\[1\]: 'training\.seed' is not an axis: seeds are repeats/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^study\.split: 'optimizer\.lr' is not an axis/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^study\.predict\.feature: unknown metric 'x'/.test(m)), msgs.join('\n'));
  assert.ok(msgs.some((m) => /^study\.colour: unknown key/.test(m)), msgs.join('\n'));
  assert.ok(parseExperiment(file('{ "by": ["a", "b", "c"] }')).problems.some((p) => p.path === 'study.by' && /at most 2/.test(p.message)));
  // reference lines: kept when their axis is swept, located problems otherwise
  const marked = parseExperiment(file('{ "by": ["model.hidden"], "marks": [{ "axis": "model.hidden", "value": 12, "label": "width = nTrain" }] }'));
  assert.deepEqual(marked.problems, []);
  assert.deepEqual(marked.study?.marks?.map((m) => ({ ...m })), [{ axis: 'model.hidden', value: 12, label: 'width = nTrain' }]);
  const badMarks = parseExperiment(file('{ "marks": [{ "axis": "model.hiden", "value": 12, "label": "n" }, { "axis": "model.hidden", "value": "12", "label": "n" }, { "axis": "model.hidden", "value": 12 }] }'))
    .problems.map((p) => `${p.path}: ${p.message}`);
  assert.ok(badMarks.some((m) => /^study\.marks\[0\]\.axis: 'model\.hiden' is not an axis .*did you mean 'model\.hidden'/.test(m)), badMarks.join('\n'));
  assert.ok(badMarks.some((m) => /^study\.marks\[1\]\.value/.test(m)), badMarks.join('\n'));
  assert.ok(badMarks.some((m) => /^study\.marks\[2\]/.test(m) && /label/.test(m)), badMarks.join('\n'));
});

const root = path.join(dir, 'cli');
const file = path.join(dir, 'hand.experiment.json');
writeFileSync(file, `{ "name": "hand", "defaults": { "task": { "kind": "modular", "p": 7 } }, "configs": [{ "name": "mlp" }],
  "sweep": { "grid": { "model.hidden": [[8], [16]], "training.seed": [0, 1] } }, "study": { "metric": "generalizationEpoch" } }`);

const cli = runMain;

test('training-dynamics study: table, --csv, --json, running runs marked', async () => {
  const exp = path.join(root, 'hand');
  writeRun(exp, { hidden: 8, seed: 0, records: [epoch(1, 1, 1, 0.5), { type: 'event', epoch: 100, event: { kind: 'generalization', epoch: 100 } }] });
  writeRun(exp, { hidden: 8, seed: 1, records: [epoch(1, 1, 3, 0.5)] });
  writeRun(exp, { hidden: 16, seed: 0, status: 'running', records: [epoch(1, 1, 0.5, 0.5)] });

  const plain = await cli(['study', file, '--out', root]);
  assert.equal(plain.code, 0, plain.err);
  assert.match(plain.out, /hand: 3 runs in 2 groups/);
  assert.match(plain.out, /model\.hidden\s+runs\s+generalizationEpoch\s+finalTrainLoss\s+finalTestLoss/);
  assert.match(plain.out, /^8\s+2\s+100 \(1 never\)\s+1 ± 0\s+2 ± 1\.414\s+0\.5 ± 0$/m);
  assert.match(plain.out, /^16\s+1 \(1 running\)\s+pending\s+1\s+0\.5\s+0\.5$/m);
  assert.match(plain.err, /1 run is still going/);

  const csv = await cli(['study', file, '--out', root, '--csv', '--metric', 'finalTestLoss']);
  assert.equal(csv.code, 0, csv.err);
  assert.deepEqual(csv.out.trim().split('\n'), [
    'model.hidden,runs,running,finalTestLoss.mean,finalTestLoss.std,finalTestLoss.min,finalTestLoss.max,finalTestLoss.n,finalTestLoss.never',
    `8,2,0,2,${Math.SQRT2},1,3,2,0`,
    '16,1,1,0.5,,0.5,0.5,1,0',
  ]);

  const json = await cli(['study', file, '--out', root, '--json', '--by', 'model.hidden']);
  assert.equal(json.code, 0, json.err);
  const o = JSON.parse(json.out);
  assert.equal(o.experiment, 'hand');
  assert.deepEqual(o.axes, ['model.hidden']);
  assert.equal(o.runs.length, 3);
  assert.equal(o.runs.filter((r: { running: boolean }) => r.running).length, 1);
  assert.deepEqual(o.groups[0].point, { 'model.hidden': [8] });
  assert.ok(o.groups[0].runs.every((d: string) => path.isAbsolute(d)));
  assert.deepEqual(Object.keys(o.groups[0].metrics.finalTestLoss).slice(0, 6), ['mean', 'std', 'min', 'max', 'n', 'never']);
  for (const name of ['finalTrainLoss', 'minTestLoss', 'maxTestAcc', 'finalTrainR2', 'grokDelay', 'transition.layer0.peak.confirmedLead', 'deadFraction.layer0', 'bestLossFit.r2', 'epochsPerSecond']) {
    assert.ok(name in o.groups[0].metrics, `${name} in every group`);
  }
  assert.equal(o.groups[0].metrics.finalTrainR2.mean, null, 'null where a metric does not apply');
});

const errors: [string, string[], RegExp][] = [
  ['unknown flag', ['--colour'], /study: Unknown option '--colour'/],
  ['--json with --csv', ['--json', '--csv'], /--json and --csv cannot be used together/],
  ['bad --runs', ['--runs', 'latest'], /--runs must be newest or all \(got 'latest'\)/],
  ['unknown metric', ['--metric', 'finalTestLos'], /unknown metric 'finalTestLos'/],
  ['unknown axis', ['--by', 'model.width'], /'model\.width' is not an axis of this study \(axes: model\.hidden\)/],
  ['misspelt axis', ['--split', 'model.hiden'], /'model\.hiden' is not an axis of this study — did you mean 'model\.hidden'\?/],
  ['three --by axes', ['--by', 'a,b,c'], /--by takes one or two axes/],
  ['bad --predict', ['--predict', 'finalTestLoss'], /--predict takes FEATURE,OUTCOME/],
];
for (const [name, extra, re] of errors) {
  test(`training-dynamics study exits 2: ${name}`, async () => {
    const r = await cli(['study', file, '--out', root, ...extra]);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, re);
    assert.equal(r.out, '');
  });
}

test('training-dynamics study exits 2 with a clear message when there are no runs or no file', async () => {
  const none = await cli(['study', path.join(dir, 'hand.experiment.json'), '--out', path.join(dir, 'empty')]);
  assert.equal(none.code, 2);
  assert.match(none.err, /no runs of 'hand' in .*empty.*hand yet: train them first \(training-dynamics run .* --sweep --out /);
  const missing = await cli(['study', path.join(dir, 'nope.experiment.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /cannot read .*nope\.experiment\.json: no such file/);
  assert.equal((await cli(['study'])).code, 2);
  assert.equal((await cli(['study', '--help'])).code, 0);
});

test('every metric is documented in the README', () => {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  for (const m of METRIC_DOCS) assert.ok(readme.includes(`| \`${m.name}\``), `README lists ${m.name}`);
});
