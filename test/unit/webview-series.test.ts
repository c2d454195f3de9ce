import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsRecord, SpectrumRecord } from '../../extension/shared/protocol';
import { compareTensors, indexAtEpoch, insertByEpoch, RunModel, Series } from '../../webview/shared/series';
import { epochRecord, fakeRun } from './export-fixture';
import { snapshotForView } from '../../extension/host/recordBatcher';

test('Series: skips non-finite values (and ≤ 0 on log series), replaces a repeated x, ignores an older x', () => {
  const s = new Series();
  assert.equal(s.push(1, 1), true);
  assert.equal(s.push(2, NaN), false);
  assert.equal(s.push(2, Infinity), false);
  assert.equal(s.push(2, -3), true);
  assert.equal(s.push(2, 5), true);
  assert.equal(s.push(1.5, 9), false);
  assert.deepEqual(s.points(100), [{ x: 1, y: 1 }, { x: 2, y: 5 }]);
  const log = new Series({ logY: true });
  assert.equal(log.push(1, 0), false);
  assert.equal(log.push(1, -1), false);
  assert.equal(log.push(1, 1e-9), true);
  assert.equal(log.length, 1);
});

test('Series: below the threshold the same array grows in place; above it LTTB keeps `threshold` points', () => {
  const s = new Series();
  for (let i = 0; i < 10; i++) s.push(i, i * i);
  const a = s.points(50);
  for (let i = 10; i < 20; i++) s.push(i, i * i);
  const b = s.points(50);
  assert.equal(a, b, 'same array reference (incremental chart update)');
  assert.equal(b.length, 20);
  assert.deepEqual(b[19], { x: 19, y: 361 });
  for (let i = 20; i < 100_000; i++) s.push(i, Math.sin(i / 500));
  const c = s.points(2000);
  assert.equal(c.length, 2000);
  assert.deepEqual(c[0], { x: 0, y: 0 });
  assert.equal(c[1999].x, 99_999);
  assert.equal(s.points(2000), c, 'unchanged series: cached decimation');
  s.push(100_000, 3);
  const d = s.points(2000);
  assert.notEqual(d, c);
  assert.deepEqual(d[1999], { x: 100_000, y: 3 });
});

test('Series: log series decimate in log space (a dip of decades is kept)', () => {
  const s = new Series({ logY: true });
  const n = 20_000;
  for (let i = 0; i < n; i++) s.push(i, i === 12_345 ? 1e-8 : 1 + 0.001 * Math.sin(i));
  assert.ok(s.points(200).some((p) => p.x === 12_345));
});

test('RunModel: ingest fills series per tensor and layer and reports the dirty charts', () => {
  const m = new RunModel('/r', fakeRun({ status: 'running' }));
  const dirty = m.ingest([epochRecord(1), epochRecord(2)]);
  assert.deepEqual([...dirty].sort(), ['accuracy', 'gradNorm', 'loss', 'updateRatio', 'weightNorm']);
  assert.equal(m.trainLoss.length, 2);
  assert.deepEqual([...m.grad.keys()].sort(compareTensors), ['layers.0.kernel', 'layers.0.bias', 'layers.1.kernel']);
  assert.equal(m.grad.get('layers.1.kernel')!.points(10)[1].y, epochRecord(2).gradNorms['layers.1.kernel']);
  assert.equal(m.lastEpoch, 2);
  assert.equal(m.isRegression, false);
  const d2 = m.ingest([{ type: 'activations', epoch: 2, layers: [{ layer: 0, units: 4, deadCount: 1, deadFraction: 0.25, sparsity: 0.5, entropy: 0.9 }] }]);
  assert.deepEqual([...d2], ['activations']);
  assert.equal(m.dead.get(0)!.points(10)[0].y, 0.25);
  assert.equal(m.entropy.get(0)!.points(10)[0].y, 0.9);
  // Re-sending the same epoch record changes nothing it would not overwrite; an older one is ignored.
  assert.equal(m.ingest([epochRecord(1)]).size, 0);
});

test('RunModel: markers, de-duplicated transitions, spectra ordered by epoch, checkpoints', () => {
  const m = new RunModel('/r', fakeRun());
  const tr = { kind: 'transition', layer: 0, tensor: 'layers.0.kernel', epoch: 40, detectedAt: 60, changeKind: 'levelling-off', slopeBefore: -2, slopeAfter: 0 } as const;
  const spec = (epoch: number): SpectrumRecord => ({ type: 'spectrum', epoch, matrices: [] });
  const recs: MetricsRecord[] = [
    { type: 'event', epoch: 60, event: tr },
    { type: 'event', epoch: 61, event: { ...tr } },
    { type: 'event', epoch: 70, event: { kind: 'memorization', epoch: 70 } },
    { type: 'event', epoch: 90, event: { kind: 'generalization', epoch: 90 } },
    spec(100),
    spec(50),
    spec(100),
    { type: 'checkpoint', epoch: 100, path: 'checkpoints/epoch-000100.safetensors' },
  ];
  const dirty = m.ingest(recs);
  assert.ok(dirty.has('gradNorm') && dirty.has('spectrum'));
  assert.equal(m.markers.transitions.length, 1);
  assert.equal(m.markers.memorization, 70);
  assert.equal(m.markers.generalization, 90);
  assert.deepEqual(m.spectra.map((s) => s.epoch), [50, 100]);
  assert.deepEqual(m.checkpoints, [100]);
});

test('RunModel: a regression run is recognised by R² without accuracy', () => {
  const m = new RunModel('/r', fakeRun());
  m.ingest([{ ...epochRecord(1), trainAcc: null, testAcc: null, trainR2: 0.5, testR2: 0.4 }]);
  assert.equal(m.isRegression, true);
  assert.equal(m.testR2.points(10)[0].y, 0.4);
});

test('insertByEpoch / indexAtEpoch / compareTensors', () => {
  const list: { epoch: number; v: string }[] = [];
  for (const [e, v] of [[30, 'a'], [10, 'b'], [20, 'c'], [20, 'd']] as const) insertByEpoch(list, { epoch: e, v });
  assert.deepEqual(list.map((x) => `${x.epoch}${x.v}`), ['10b', '20d', '30a']);
  assert.equal(indexAtEpoch(list, 25), 1);
  assert.equal(indexAtEpoch(list, 30), 2);
  assert.equal(indexAtEpoch(list, 5), 0);
  assert.equal(indexAtEpoch(list, 1000), 2);
  assert.equal(indexAtEpoch([], 3), -1);
  assert.deepEqual(['layers.10.kernel', 'layers.2.bias', 'layers.2.kernel', 'layers.0.bias'].sort(compareTensors), ['layers.0.bias', 'layers.2.kernel', 'layers.2.bias', 'layers.10.kernel']);
});

test('RunModel: a long run taken as the host sends it (columns, then its last epoch record and the other records) draws as it would from every record', () => {
  const records: MetricsRecord[] = [];
  for (let e = 1; e <= 20_000; e++) {
    const r = epochRecord(e);
    if (e === 7_777) r.gradNorms['layers.0.kernel'] = 1e4;
    records.push(r);
  }
  records.push({ type: 'event', epoch: 300, event: { kind: 'generalization', epoch: 300 } });
  records.push({ type: 'checkpoint', epoch: 20_000, path: 'checkpoints/epoch-20000.safetensors' });
  const whole = new RunModel('/r', fakeRun());
  whole.ingest(records);
  const view = snapshotForView(records, 2000);
  const m = new RunModel('/r', fakeRun());
  m.ingestColumns(view.columns!);
  m.ingest(view.records);
  assert.equal(m.lastEpoch, 20_000);
  assert.equal(m.generalizationEpoch, 300);
  assert.deepEqual(m.checkpoints, [20_000]);
  assert.deepEqual([...m.grad.keys()].sort(), [...whole.grad.keys()].sort());
  for (const [name, a, b] of [['train loss', m.trainLoss, whole.trainLoss], ['test acc', m.testAcc, whole.testAcc], ['grad', m.grad.get('layers.0.kernel')!, whole.grad.get('layers.0.kernel')!]] as const) {
    assert.ok(a.length <= 2000, `${name}: ${a.length} points held`);
    const pa = a.points(800);
    const pb = b.points(800);
    assert.equal(pa.length, 800, name);
    assert.deepEqual([pa[0], pa.at(-1)], [pb[0], pb.at(-1)], `${name}: ends`);
    const max = (ps: { y: number }[]) => Math.max(...ps.map((p) => p.y));
    assert.equal(max(pa), max(pb), `${name}: the peak`);
  }
  // live records continue the columns
  m.ingest([epochRecord(20_001)]);
  assert.equal(m.lastEpoch, 20_001);
  assert.equal(m.trainLoss.lastX, 20_001);
});
