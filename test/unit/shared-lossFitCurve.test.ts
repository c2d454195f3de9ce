import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lossFitPoints, lossFitValue, lossFitTailDecades, lossFitText } from '../../extension/shared/view/lossFitCurve';
import { fitLossCurve } from '../../extension/engine/probes/curvefit';
import type { LossFit } from '../../extension/shared/protocol';

test('loss-fit overlay reproduces the curve the engine fitted', () => {
  const epochs = Array.from({ length: 300 }, (_, i) => i + 1);
  const truth = (t: number) => 3 * Math.exp(-Math.pow(t / 80, 1.4)) + 0.05;
  const losses = epochs.map(truth);
  const [best] = fitLossCurve(epochs, losses);
  assert.ok(best.r2 > 0.999, `fit R² ${best.r2}`);
  for (const t of [1, 50, 120, 300]) assert.ok(Math.abs(lossFitValue(best, t) - truth(t)) < 0.02 * truth(t) + 1e-3, `t=${t}`);
});

test('loss-fit forms and filtering', () => {
  const pl: LossFit = { form: 'power-law', params: { a: 2, b: 0.5, c: 0 }, r2: 1 };
  assert.equal(lossFitValue(pl, 4), 1);
  const ex: LossFit = { form: 'exponential', params: { a: 1, tau: 10, c: -0.5 }, r2: 1 };
  assert.ok(Math.abs(lossFitValue(ex, 10) - (Math.exp(-1) - 0.5)) < 1e-12);
  // t ≤ 0 dropped; negative values dropped on a log axis, kept otherwise.
  const pts = lossFitPoints(ex, [0, 1, 5, 100]);
  assert.deepEqual(pts.map((p) => p.x), [1, 5]);
  assert.equal(lossFitPoints(ex, [0, 1, 5, 100], false).length, 3);
});

test('loss-fit tail: a fit that plateaus while the loss goes on falling is reported as off, a good one as within', () => {
  // The loss falls as 1/t to 1e-6; a plateauing fit sits at 1e-2 in the tail, an exact one follows it.
  const points = Array.from({ length: 1000 }, (_, i) => ({ x: (i + 1) * 1000, y: 1 / ((i + 1) * 1000) }));
  const plateau: LossFit = { form: 'exponential', params: { a: 1, tau: 50, c: 0.01 }, r2: 0.9999 };
  const exact: LossFit = { form: 'power-law', params: { a: 1, b: 1, c: 0 }, r2: 0.9999 };
  const off = lossFitTailDecades(plateau, points)!;
  assert.ok(off > 3.5 && off < 4.5, `plateau off by ${off} decades`);
  assert.ok(lossFitTailDecades(exact, points)! < 1e-9);
  assert.equal(lossFitText(exact, points), 'power-law (R² 0.9999 · tail within 0%)');
  assert.match(lossFitText(plateau, points), /^exponential \(R² 0\.9999 · tail off ×\de\d\)$/);
  assert.equal(lossFitTailDecades(exact, points.slice(0, 3)), null);
  assert.equal(lossFitText(exact, []), 'power-law (R² 0.9999)');
});
