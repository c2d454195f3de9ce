import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell, metricsCsv } from '../../extension/engine/export/csv';
import type { ActivationsRecord, MetricsRecord } from '../../extension/shared/protocol';
import { epochRecord } from './export-fixture';

/** Minimal RFC 4180 parser for the checks (quoted cells with doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

test('CSV: one row per epoch, sorted, with every per-tensor column and exact values', () => {
  const recs: MetricsRecord[] = [epochRecord(3), epochRecord(1), epochRecord(2)];
  const rows = parseCsv(metricsCsv(recs));
  const [header, ...body] = rows;
  assert.deepEqual(header.slice(0, 9), ['epoch', 't_ms', 'lr', 'train_loss', 'test_loss', 'train_acc', 'test_acc', 'train_r2', 'test_r2']);
  const tensors = ['layers.0.kernel', 'layers.0.bias', 'layers.1.kernel'];
  assert.deepEqual(header.slice(9), tensors.flatMap((t) => [`grad_norm[${t}]`, `weight_norm[${t}]`, `update_ratio[${t}]`]));
  assert.deepEqual(body.map((r) => Number(r[0])), [1, 2, 3]);
  for (const row of body) {
    const e = epochRecord(Number(row[0]));
    assert.equal(Number(row[3]), e.trainLoss);
    assert.equal(Number(row[4]), e.testLoss);
    assert.equal(Number(row[5]), e.trainAcc);
    assert.equal(row[7], '', 'null R² is an empty cell');
    tensors.forEach((t, i) => {
      assert.equal(Number(row[9 + 3 * i]), e.gradNorms[t]);
      assert.equal(Number(row[10 + 3 * i]), e.weightNorms[t]);
      assert.equal(Number(row[11 + 3 * i]), e.updateRatios[t]);
    });
  }
});

test('CSV: the last record of a repeated epoch wins; non-epoch records add activation columns only where probed', () => {
  const first = epochRecord(2);
  const again = { ...epochRecord(2), trainLoss: 0.123 };
  const act: ActivationsRecord = { type: 'activations', epoch: 2, layers: [{ layer: 0, units: 8, deadCount: 2, deadFraction: 0.25, sparsity: 0.5, entropy: 0.75 }] };
  const recs: MetricsRecord[] = [epochRecord(1), first, again, act, { type: 'checkpoint', epoch: 2, path: 'checkpoints/x' }];
  const [header, ...body] = parseCsv(metricsCsv(recs));
  assert.equal(body.length, 2);
  assert.equal(Number(body[1][3]), 0.123);
  const dead = header.indexOf('dead_fraction[0]');
  assert.ok(dead > 0);
  assert.equal(body[0][dead], '');
  assert.deepEqual(body[1].slice(dead, dead + 3).map(Number), [0.25, 0.5, 0.75]);
});

test('CSV: cells with commas or quotes are quoted', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  const rec = { ...epochRecord(1, ['odd,name']) };
  const [header] = parseCsv(metricsCsv([rec]));
  assert.ok(header.includes('grad_norm[odd,name]'));
});

test('CSV: no epochs gives just the header', () => {
  const text = metricsCsv([]);
  assert.equal(parseCsv(text).length, 1);
});
