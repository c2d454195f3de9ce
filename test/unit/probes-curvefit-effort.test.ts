import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FULL_FIT, QUICK_FIT, fitLossCurve } from '../../extension/engine/probes/curvefit';

test('loss-curve fit: the quick effort (a stopped run) finds the same best form on a long curve', () => {
  const e: number[] = [];
  const l: number[] = [];
  for (let i = 1; i <= 50_000; i++) {
    e.push(i);
    l.push(3 * Math.pow(i, -0.7) + 0.01);
  }
  const full = fitLossCurve(e, l, FULL_FIT);
  const quick = fitLossCurve(e, l, QUICK_FIT);
  assert.equal(full[0].form, 'power-law');
  assert.equal(quick[0].form, 'power-law');
  assert.ok(quick[0].r2 > 0.999, `quick fit R² ${quick[0].r2}`);
  assert.ok(Math.abs(quick[0].params.b - 0.7) < 0.05, `quick fit exponent ${quick[0].params.b}`);
});
