import { test } from 'node:test';
import assert from 'node:assert/strict';
import { symmetricEigenvalues, gramEigenvalues, marchenkoPasturFit, mpCdf, powerLawFit, matrixSpectrum, ksDistance } from '../../extension/engine/probes/spectra';
import { mpDensity } from '../../extension/shared/marchenkoPastur';
import { layerActivationStats } from '../../extension/engine/probes/activations';
import { benford, firstDigit, BENFORD } from '../../extension/engine/probes/benford';
import { tensorStats, histogram } from '../../extension/engine/probes/stats';
import { ChangePointDetector, detectChangePoints, DEFAULT_CHANGE_POINT, SegmentCosts, lineFit } from '../../extension/engine/probes/changepoint';
import { fitLossCurve } from '../../extension/engine/probes/curvefit';
import { Rng } from '../../extension/engine/tasks/rng';

/** A random orthogonal matrix (Gram–Schmidt of a Gaussian matrix), row-major n×n. */
function orthogonal(n: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const v = Array.from({ length: n }, () => rng.normal());
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let k = 0; k < n; k++) d += v[k] * q[j * n + k];
      for (let k = 0; k < n; k++) v[k] -= d * q[j * n + k];
    }
    const norm = Math.hypot(...v);
    for (let k = 0; k < n; k++) q[i * n + k] = v[k] / norm;
  }
  return q;
}

test('symmetric eigenvalues of Q·diag(λ)·Qᵀ are λ', () => {
  const rng = new Rng(1);
  const n = 40;
  const lambda = Array.from({ length: n }, (_, i) => (i - 10) * 0.37 + (i % 3) * 0.01);
  const q = orthogonal(n, rng);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += q[k * n + i] * lambda[k] * q[k * n + j];
    a[i * n + j] = s;
  }
  const ev = symmetricEigenvalues(a, n);
  const want = [...lambda].sort((x, y) => x - y);
  ev.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-9, `λ${i} = ${v}, expected ${want[i]}`));
});

test('diagonal, rank-1 and repeated spectra', () => {
  assert.deepEqual(Array.from(symmetricEigenvalues(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3)), [-1, 2, 3]);
  // W = u vᵀ (m×n) ⇒ WᵀW/max has one eigenvalue ‖u‖²‖v‖²/max, the rest 0.
  const m = 30;
  const n = 20;
  const u = Array.from({ length: m }, (_, i) => Math.sin(i + 1));
  const v = Array.from({ length: n }, (_, j) => Math.cos(j * 0.5));
  const w = new Float64Array(m * n).map((_, k) => u[Math.floor(k / n)] * v[k % n]);
  const ev = gramEigenvalues(w, m, n);
  const uu = u.reduce((s, x) => s + x * x, 0);
  const vv = v.reduce((s, x) => s + x * x, 0);
  assert.ok(Math.abs(ev[n - 1] - (uu * vv) / m) < 1e-9);
  for (let i = 0; i < n - 1; i++) assert.ok(Math.abs(ev[i]) < 1e-9);
  // The identity: all eigenvalues 1 (degenerate case for QL).
  const id = new Float64Array(25).map((_, k) => (k % 6 === 0 ? 1 : 0));
  assert.ok(Array.from(symmetricEigenvalues(id, 5)).every((x) => Math.abs(x - 1) < 1e-12));
});

test('Gram eigenvalues agree with float64 power iteration, for wide and tall matrices', () => {
  const rng = new Rng(7);
  for (const [m, n] of [[50, 30], [30, 50]]) {
    const w = new Float64Array(m * n).map(() => rng.normal());
    const ev = gramEigenvalues(w, m, n);
    assert.equal(ev.length, Math.min(m, n));
    // Power iteration on WᵀW / max(m,n) for the top eigenvalue.
    let x = new Float64Array(n).fill(1);
    let lambda = 0;
    for (let it = 0; it < 2000; it++) {
      const wx = new Float64Array(m);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) wx[i] += w[i * n + j] * x[j];
      const y = new Float64Array(n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) y[j] += w[i * n + j] * wx[i];
      const norm = Math.hypot(...y);
      lambda = norm / Math.max(m, n);
      x = y.map((v) => v / norm);
    }
    assert.ok(Math.abs(ev[ev.length - 1] - lambda) / lambda < 1e-6, `${m}×${n}: top ${ev[ev.length - 1]} vs power iteration ${lambda}`);
    // Trace check: Σλ = ‖W‖²_F / max(m,n).
    const fro = w.reduce((s, v) => s + v * v, 0) / Math.max(m, n);
    assert.ok(Math.abs(ev.reduce((s, v) => s + v, 0) - fro) / fro < 1e-9);
  }
});

test('Marchenko–Pastur: a 1000×500 Gaussian matrix fits the law (KS < 0.05, λ+ within 5 %)', () => {
  const rng = new Rng(11);
  const m = 1000;
  const n = 500;
  const sigma = 0.7;
  const w = new Float32Array(m * n).map(() => sigma * rng.normal());
  const s = matrixSpectrum('w', w, m, n, 40);
  const q = 0.5;
  const lambdaPlus = sigma ** 2 * (1 + Math.sqrt(q)) ** 2;
  assert.ok(Math.abs(s.mp.lambdaPlus - lambdaPlus) / lambdaPlus < 0.05, `λ+ fitted ${s.mp.lambdaPlus} vs ${lambdaPlus}`);
  assert.ok(Math.abs(s.mp.sigma2Empirical - sigma ** 2) / sigma ** 2 < 0.01);
  assert.ok(s.mp.ksDistance < 0.05, `KS ${s.mp.ksDistance}`);
  // Against the theoretical law with the TRUE σ² as well (not just the fitted one).
  assert.ok(ksDistance(s.eigenvalues, (x) => mpCdf(x, sigma ** 2, q)) < 0.05);
  // The largest eigenvalue sits near the edge; a planted spike is detected above λ+.
  assert.ok(Math.abs(s.top[0] - lambdaPlus) / lambdaPlus < 0.05);
  assert.ok(s.mp.fractionAbove < 0.02);
  const spiked = Float32Array.from(w);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) spiked[i * n + j] += 3 * Math.sin(i) * Math.cos(j) * 0.2;
  const sp = matrixSpectrum('w', spiked, m, n, 40);
  assert.ok(sp.top[0] > 2 * sp.mp.lambdaPlus && sp.mp.fractionAbove > 0, 'a rank-1 spike lies above λ+');
  // The density integrates to 1.
  let integral = 0;
  const [lo, hi] = [sigma ** 2 * (1 - Math.sqrt(q)) ** 2, lambdaPlus];
  const steps = 20000;
  for (let i = 0; i < steps; i++) integral += mpDensity(lo + ((i + 0.5) * (hi - lo)) / steps, sigma ** 2, q) * ((hi - lo) / steps);
  assert.ok(Math.abs(integral - 1) < 1e-3, `∫ρ = ${integral}`);
});

test('power-law α is recovered from Pareto samples (Clauset et al.)', () => {
  const rng = new Rng(5);
  const alpha = 2.5;
  const xs = Array.from({ length: 3000 }, () => Math.pow(1 - rng.next(), -1 / (alpha - 1)));
  const fit = powerLawFit(xs)!;
  assert.ok(Math.abs(fit.alpha - alpha) < 0.15, `α = ${fit.alpha}`);
  assert.equal(powerLawFit([1, 2, 3]), null);
});

test('dead neurons: exactly the units that are zero on every example, train AND test', () => {
  const nTrain = 6;
  const nTest = 4;
  const units = 5;
  const acts = new Float32Array((nTrain + nTest) * units);
  // Unit 0: alive everywhere; unit 1: dead everywhere; unit 2: dead on train, alive on one TEST example (not dead);
  // unit 3: dead everywhere; unit 4: alive on one train example.
  for (let i = 0; i < nTrain + nTest; i++) acts[i * units + 0] = 1 + i;
  acts[(nTrain + 2) * units + 2] = 0.5;
  acts[3 * units + 4] = 2;
  const s = layerActivationStats(0, acts, nTrain + nTest, units, nTrain);
  assert.equal(s.deadCount, 2);
  assert.equal(s.deadFraction, 0.4);
  // Train sparsity: zeros among 6×5 = 30 train entries: unit0 0, units 1-3 6 each, unit4 5 → 23.
  assert.equal(s.sparsity, 23 / 30);
  // Entropy: unit0 p=1 → 0, unit4 p=1/6 → H(1/6), the rest 0 → mean = H(1/6)/5.
  const h = -(1 / 6) * Math.log2(1 / 6) - (5 / 6) * Math.log2(5 / 6);
  assert.ok(Math.abs(s.entropy - h / 5) < 1e-12);
  assert.throws(() => layerActivationStats(0, acts, 3, units, 2), /expected/);
});

test('Benford first digits and distance', () => {
  assert.deepEqual([0.00314, 271, -9.99, 1000, 1e-30, 0, NaN].map(firstDigit), [3, 2, 9, 1, 1, 0, 0]);
  // A log-uniform sample over many decades follows Benford.
  const rng = new Rng(2);
  const xs = Array.from({ length: 50000 }, () => Math.pow(10, rng.uniform(-6, 6)) * (rng.next() < 0.5 ? -1 : 1));
  const b = benford('w', xs);
  assert.ok(b.distance < 0.006, `MAD ${b.distance}`);
  b.frequencies.forEach((f, i) => assert.ok(Math.abs(f - BENFORD[i]) < 0.01));
  // Uniform in [0, 1) does not (digits roughly equally frequent).
  assert.ok(benford('u', Array.from({ length: 50000 }, () => rng.next())).distance > 0.03);
});

test('tensor statistics: population std, NaN/Inf counted and excluded, histogram counts', () => {
  const s = tensorStats([1, 2, 3, 4, NaN, Infinity, 0]);
  assert.equal(s.numel, 7);
  assert.equal(s.nanCount, 1);
  assert.equal(s.infCount, 1);
  assert.equal(s.mean, 2);
  assert.ok(Math.abs(s.std - Math.sqrt(2)) < 1e-12);
  assert.equal(s.min, 0);
  assert.equal(s.max, 4);
  assert.ok(Math.abs(s.l2 - Math.sqrt(30)) < 1e-12);
  assert.equal(s.zeroFraction, 1 / 7);
  const h = histogram([0, 0.1, 0.5, 0.99, 1], 2, [0, 1]);
  assert.deepEqual(h.counts, [2, 3]);
});

const cp = { ...DEFAULT_CHANGE_POINT };

function noisy(n: number, f: (t: number) => number, sd: number, seed: number) {
  const rng = new Rng(seed);
  const epochs = Array.from({ length: n }, (_, i) => i + 1);
  return { epochs, values: epochs.map((t) => f(t) + sd * rng.normal()) };
}

test('change points: a known break in slope is found within ±5 % and labelled', () => {
  const n = 2000;
  // Falls 1.5 decades per 1000 epochs until epoch 1200, then flat: a levelling-off at 1200.
  const { epochs, values } = noisy(n, (t) => (t < 1200 ? -1 - 1.5e-3 * t : -2.8), 0.02, 1);
  const found = detectChangePoints(epochs, values, cp);
  const lev = found.find((c) => c.changeKind === 'levelling-off');
  assert.ok(lev, `no levelling-off in ${JSON.stringify(found)}`);
  assert.ok(Math.abs(lev.epoch - 1200) <= 0.05 * n, `at ${lev.epoch}`);
  // Online: the same break is confirmed once, after it happened.
  const det = new ChangePointDetector(cp);
  const online = epochs.flatMap((e, i) => det.push(e, values[i]));
  const ol = online.filter((c) => c.changeKind === 'levelling-off');
  assert.equal(ol.length, 1, JSON.stringify(online));
  assert.ok(Math.abs(ol[0].epoch - 1200) <= 0.05 * n && ol[0].detectedAt > ol[0].epoch);
});

test('change points: a peak (rise then fall) is labelled as such', () => {
  const { epochs, values } = noisy(1500, (t) => (t < 300 ? -2 + 2e-3 * t : -1.4 - 2e-3 * (t - 300)), 0.02, 3);
  const found = detectChangePoints(epochs, values, cp);
  const peak = found.find((c) => c.changeKind === 'peak');
  assert.ok(peak && Math.abs(peak.epoch - 300) <= 75, JSON.stringify(found));
});

test('change points: a gradual bend (grokking-like) is one levelling-off at its onset, and one peak', () => {
  // Rise to a peak at 300, straight fall until 1400, then the fall decays smoothly (e-folding 500 epochs):
  // the shape of per-layer gradient norms in reference grokking runs. The segmentation cuts the bend into
  // several pieces; they must be reported as ONE levelling-off near 1400, not as a late flattening.
  const f = (t: number) => (t < 300 ? -2 + 1.5e-3 * t : t < 1400 ? -1.55 - 2e-3 * (t - 300) : -3.75 - (1 - Math.exp(-(t - 1400) / 500)));
  for (const seed of [1, 2]) {
    const { epochs, values } = noisy(3000, f, 0.005, seed);
    const det = new ChangePointDetector(cp);
    const online = epochs.flatMap((e, i) => det.push(e, values[i]));
    assert.deepEqual(online.map((c) => c.changeKind), ['peak', 'levelling-off'], JSON.stringify(online));
    assert.ok(Math.abs(online[0].epoch - 300) <= 50, `peak at ${online[0].epoch}`);
    assert.ok(Math.abs(online[1].epoch - 1400) <= 240, `levelling-off at ${online[1].epoch}`);
    assert.ok(online[1].detectedAt > online[1].epoch && online[1].slopeAfter > online[1].slopeBefore / 2);
  }
});

test('change points: the prefix-sum segment costs equal the direct least-squares fit of every segment', () => {
  // Epochs far from 0 and a large offset in y: where uncentred one-pass sums would lose digits.
  const { epochs, values } = noisy(200, (t) => 40 + (t < 120 ? -1.5e-2 * t : -1.8), 0.01, 4);
  const x = Float64Array.from(epochs, (e) => 5000 + 15 * e);
  const y = Float64Array.from(values);
  const costs = new SegmentCosts(x, y);
  let worst = 0;
  for (let s = 0; s < 200; s += 7) {
    for (let e = s + 2; e <= 200; e += 5) {
      const a = costs.fit(s, e);
      const b = lineFit(x, y, s, e);
      worst = Math.max(worst, Math.abs(a.sse - b.sse) / Math.max(b.sse, 1e-6), Math.abs(a.slope - b.slope) / Math.max(Math.abs(b.slope), 1e-9));
    }
  }
  assert.ok(worst < 1e-6, `largest relative difference ${worst}`);
});

test('change points: an online detector over 5000 epochs costs well under a millisecond per epoch', () => {
  const f = (t: number) => (t < 300 ? -2 + 1.5e-3 * t : t < 1400 ? -1.55 - 2e-3 * (t - 300) : -3.75 - (1 - Math.exp(-(t - 1400) / 500)));
  const { epochs, values } = noisy(5000, f, 0.005, 5);
  const det = new ChangePointDetector(cp);
  const t0 = process.cpuUsage();
  epochs.forEach((e, i) => det.push(e, values[i]));
  const used = process.cpuUsage(t0);
  const perEpoch = (used.user + used.system) / 1000 / epochs.length;
  assert.ok(perEpoch < 0.3, `${perEpoch.toFixed(3)} ms of CPU per epoch`);
});

test('change points: no false alarm on a stationary noisy series or a steady decline', () => {
  for (const seed of [1, 2, 3]) {
    const flat = noisy(3000, () => -3, 0.2, seed);
    const det = new ChangePointDetector(cp);
    const events = flat.epochs.flatMap((e, i) => det.push(e, flat.values[i]));
    assert.deepEqual(events, [], `stationary seed ${seed}: ${JSON.stringify(events)}`);
    const line = noisy(3000, (t) => -1 - 1e-3 * t, 0.05, seed);
    assert.deepEqual(detectChangePoints(line.epochs, line.values, cp), [], `linear seed ${seed}`);
  }
});

test('loss-curve fits recover the generating form', () => {
  const t = Array.from({ length: 300 }, (_, i) => i + 1);
  const exp = fitLossCurve(t, t.map((x) => 2 * Math.exp(-x / 50) + 0.1));
  assert.equal(exp[0].form === 'exponential' || exp[0].form === 'stretched-exponential', true);
  const e = exp.find((f) => f.form === 'exponential')!;
  assert.ok(Math.abs(e.params.tau - 50) < 1 && e.r2 > 0.9999, JSON.stringify(e));
  const pl = fitLossCurve(t, t.map((x) => 3 * Math.pow(x, -0.7) + 0.05));
  assert.equal(pl[0].form, 'power-law');
  assert.ok(Math.abs(pl[0].params.b - 0.7) < 0.02, JSON.stringify(pl[0]));
});
