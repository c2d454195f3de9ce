import { test } from 'node:test';
import assert from 'node:assert/strict';
import { benfordExpected, histogramDensity, mpCurvePoints, spectrumYMax } from '../../extension/shared/view/spectrumCurve';
import { mpEdges } from '../../extension/shared/marchenkoPastur';
import { histogram } from '../../extension/engine/probes/stats';
import { Rng } from '../../extension/engine/tasks/rng';

test('histogram density integrates to 1 and follows the counts', () => {
  const rng = new Rng(11);
  const values = Array.from({ length: 5000 }, () => Math.abs(rng.normal()));
  const h = histogram(values, 40);
  const pts = histogramDensity(h);
  assert.equal(pts.length, h.counts.length + 1);
  let area = 0;
  for (let i = 0; i < h.counts.length; i++) area += pts[i].y * (h.edges[i + 1] - h.edges[i]);
  assert.ok(Math.abs(area - 1) < 1e-9, `area ${area}`);
  const maxBin = h.counts.indexOf(Math.max(...h.counts));
  const maxPt = pts.slice(0, -1).reduce((b, p, i) => (p.y > pts[b].y ? i : b), 0);
  assert.equal(maxPt, maxBin);
  assert.deepEqual(histogramDensity({ edges: [0, 1], counts: [0] }), []);
});

test('MP curve: on [λ−, λ+], zero at the edges, integrates to 1', () => {
  for (const [sigma2, q] of [[1, 0.5], [0.3, 0.25], [2, 1]] as const) {
    const pts = mpCurvePoints(sigma2, q, 400);
    const [lo, hi] = mpEdges(sigma2, q);
    assert.equal(pts[0].x, lo);
    assert.equal(pts[pts.length - 1].x, hi);
    assert.equal(pts[0].y, 0);
    assert.equal(pts[pts.length - 1].y, 0);
    let area = 0;
    for (let i = 1; i < pts.length; i++) {
      assert.ok(pts[i].x >= pts[i - 1].x);
      area += ((pts[i].y + pts[i - 1].y) / 2) * (pts[i].x - pts[i - 1].x);
    }
    // q = 1 has an integrable 1/√x singularity at 0 the trapezoid rule under-counts.
    assert.ok(Math.abs(area - 1) < (q === 1 ? 0.06 : 0.01), `σ²=${sigma2} q=${q}: area ${area}`);
  }
  assert.deepEqual(mpCurvePoints(0, 0.5), []);
  assert.deepEqual(mpCurvePoints(1, 1.5), []);
});

test('Benford reference: log10(1 + 1/d), decreasing, sums to 1', () => {
  const b = benfordExpected();
  assert.equal(b.length, 9);
  assert.ok(Math.abs(b.reduce((a, x) => a + x, 0) - 1) < 1e-12);
  for (let d = 1; d < 9; d++) assert.ok(b[d] < b[d - 1]);
  assert.ok(Math.abs(b[0] - Math.log10(2)) < 1e-15);
});

test('spectrum y range: above the histogram and the MP curve, not pulled up by the curve at its edges', () => {
  const density = [{ x: 0, y: 2 }, { x: 1, y: 3 }, { x: 2, y: 3 }];
  const curve = [{ x: 0, y: 1000 }, { x: 0.5, y: 4 }, { x: 1.5, y: 1 }, { x: 2, y: 0 }];
  assert.equal(spectrumYMax(density, curve, 0, 2), 1.15 * 4);
  assert.equal(spectrumYMax(density, [], 0, 2), 1.15 * 3);
  assert.equal(spectrumYMax([], [], 0, 1), 1.15e-12);
});
