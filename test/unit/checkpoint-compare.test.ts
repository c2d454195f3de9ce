import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompareAccumulator, compareValues, spectrumShift, topEigenvalue } from '../../extension/engine/probes/compare';
import { gramEigenvalues } from '../../extension/engine/probes/spectra';
import { rng } from './gaussian-fixture';

test('relative change and cosine of small vectors match hand computation', () => {
  // W0 = (3, 4): ‖W0‖ = 5. W1 = (0, 4): W1 − W0 = (−3, 0), ‖·‖ = 3 → 3/5. cos = 16 / (5·4) = 0.8.
  const r = compareValues([3, 4], [0, 4]);
  assert.ok(Math.abs(r.relChange! - 0.6) < 1e-12);
  assert.ok(Math.abs(r.cosine! - 0.8) < 1e-12);
  // Identical tensors: no change, cosine 1; opposite: relative change 2, cosine −1.
  assert.deepEqual(compareValues([1, -2, 5], [1, -2, 5]), { relChange: 0, cosine: 1 });
  const opp = compareValues([1, -2, 5], [-1, 2, -5]);
  assert.ok(Math.abs(opp.relChange! - 2) < 1e-12);
  assert.ok(Math.abs(opp.cosine! + 1) < 1e-12);
});

test('undefined measures are null, not NaN/Infinity', () => {
  assert.deepEqual(compareValues([0, 0], [1, 0]), { relChange: null, cosine: null });
  assert.deepEqual(compareValues([0, 0], [0, 0]), { relChange: 0, cosine: null });
  assert.deepEqual(compareValues([NaN, 1], [1, 1]), { relChange: null, cosine: null });
  assert.throws(() => compareValues([1], [1, 2]), /1 vs 2/);
});

test('relative change of a scaled random matrix is |c − 1| and its cosine 1', () => {
  const g = rng(7);
  const w0 = Float32Array.from({ length: 300 }, g);
  const w1 = w0.map((x) => 1.25 * x);
  const r = compareValues(w0, w1);
  assert.ok(Math.abs(r.relChange! - 0.25) < 1e-6, String(r.relChange));
  assert.ok(Math.abs(r.cosine! - 1) < 1e-9);
});

test('top eigenvalue by power iteration equals the largest eigenvalue from the dense eigensolver', () => {
  const g = rng(11);
  for (const [m, n] of [
    [40, 25],
    [25, 40],
    [1, 30],
    [30, 1],
  ]) {
    const w = Float64Array.from({ length: m * n }, g);
    // A planted spike so the top eigenvalue is well separated (power iteration converges fast).
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[i * n + j] += 0.8 * Math.sin(i + 1) * Math.cos(j + 2);
    const eig = gramEigenvalues(w, m, n);
    const expected = eig[eig.length - 1];
    const got = topEigenvalue(w, m, n);
    assert.ok(Math.abs(got - expected) / expected < 1e-6, `${m}×${n}: ${got} vs ${expected}`);
  }
});

test('top eigenvalue of a known matrix: diag(3, 1) padded is 9 / max(m, n)', () => {
  // W = [[3,0],[0,1],[0,0]] (3×2): WᵀW = diag(9, 1), divided by max(m,n) = 3 → 3.
  assert.ok(Math.abs(topEigenvalue([3, 0, 0, 1, 0, 0], 3, 2) - 3) < 1e-9);
  assert.equal(topEigenvalue([0, 0, 0, 0], 2, 2), 0);
});

test('spectrum shift: the top eigenvalue grows by c² when the matrix is scaled by c; λ+ only below the size limit', () => {
  const g = rng(3);
  const m = 60;
  const n = 30;
  const w0 = Float64Array.from({ length: m * n }, g);
  const w1 = w0.map((x) => 2 * x);
  const s = spectrumShift(w0, w1, m, n);
  assert.ok(s.topA! > 0 && Math.abs(s.topB! / s.topA! - 4) < 1e-6, JSON.stringify(s));
  assert.ok(s.lambdaPlusA! > 0 && Math.abs(s.lambdaPlusB! / s.lambdaPlusA! - 4) < 0.05, JSON.stringify(s));
  // Above the limit: power iteration only, no λ+.
  const big = spectrumShift(w0, w1, m, n, 10);
  assert.equal(big.lambdaPlusA, null);
  assert.ok(Math.abs(big.topA! - s.topA!) / s.topA! < 1e-6);
  // Non-finite values: undefined.
  const bad = Float64Array.from(w0);
  bad[5] = NaN;
  assert.equal(spectrumShift(bad, w1, m, n).topA, null);
});

test('the streaming accumulator over chunks equals the one-shot comparison', () => {
  const g = rng(5);
  const a = Float64Array.from({ length: 1000 }, g);
  const b = Float64Array.from({ length: 1000 }, g);
  const acc = new CompareAccumulator();
  for (let i = 0; i < 1000; i += 300) acc.add(a.subarray(i, i + 300), b.subarray(i, i + 300));
  const whole = compareValues(a, b);
  const parts = acc.result();
  assert.ok(Math.abs(parts.relChange! - whole.relChange!) < 1e-12 && Math.abs(parts.cosine! - whole.cosine!) < 1e-12);
  // Independent check: cosine of two independent Gaussian vectors is small, relative change near √2.
  assert.ok(Math.abs(whole.cosine!) < 0.15 && Math.abs(whole.relChange! - Math.SQRT2) < 0.15, JSON.stringify(whole));
});
