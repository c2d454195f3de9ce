import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lttbIndices } from '../../extension/shared/view/lttb';
import { Rng } from '../../extension/engine/tasks/rng';

test('LTTB: at or below the threshold every point is kept', () => {
  const xs = [0, 1, 2, 3];
  assert.deepEqual([...lttbIndices(xs, xs, 4, 10)], [0, 1, 2, 3]);
  assert.deepEqual([...lttbIndices(xs, xs, 4, 4)], [0, 1, 2, 3]);
});

test('LTTB: threshold points, first and last kept, one per bucket, strictly increasing', () => {
  const rng = new Rng(7);
  const n = 100_000;
  const xs = Float64Array.from({ length: n }, (_, i) => i);
  const ys = Float64Array.from({ length: n }, () => rng.normal());
  const threshold = 2000;
  const idx = lttbIndices(xs, ys, n, threshold);
  assert.equal(idx.length, threshold);
  assert.equal(idx[0], 0);
  assert.equal(idx[threshold - 1], n - 1);
  const every = (n - 2) / (threshold - 2);
  for (let i = 1; i < threshold - 1; i++) {
    assert.ok(idx[i] > idx[i - 1]);
    const lo = Math.floor((i - 1) * every) + 1;
    const hi = Math.floor(i * every) + 1;
    assert.ok(idx[i] >= lo && idx[i] < hi, `index ${idx[i]} outside bucket [${lo}, ${hi})`);
  }
});

test('LTTB: isolated spikes survive decimation (a stride sampler would miss them)', () => {
  const rng = new Rng(3);
  const n = 50_000;
  const xs = Float64Array.from({ length: n }, (_, i) => i);
  const ys = Float64Array.from({ length: n }, () => 0.01 * rng.normal());
  const spikes = [1234, 20_011, 37_777];
  for (const s of spikes) ys[s] = 10;
  ys[44_444] = -10;
  const idx = new Set(lttbIndices(xs, ys, n, 500));
  for (const s of [...spikes, 44_444]) assert.ok(idx.has(s), `spike at ${s} dropped`);
  // The naive stride sampler at the same budget misses at least one of them.
  const stride = Math.ceil(n / 500);
  assert.ok([...spikes, 44_444].some((s) => s % stride !== 0));
});

test('LTTB: 100 000 points decimate fast enough for a 10 Hz redraw', () => {
  const n = 100_000;
  const xs = Float64Array.from({ length: n }, (_, i) => i);
  const ys = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 1000));
  const t0 = performance.now();
  for (let k = 0; k < 10; k++) lttbIndices(xs, ys, n, 2000);
  const ms = (performance.now() - t0) / 10;
  assert.ok(ms < 20, `one decimation took ${ms.toFixed(1)} ms`);
});
