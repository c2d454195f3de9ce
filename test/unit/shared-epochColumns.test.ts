import { test } from 'node:test';
import assert from 'node:assert/strict';
import { columnName, epochColumns, epochValues, parseColumnName } from '../../extension/shared/view/epochColumns';
import type { MetricsRecord } from '../../extension/shared/protocol';
import { epochRecord } from './export-fixture';

test('epoch columns: names round-trip; other names (prototype ones too) stand for nothing', () => {
  for (const [q, t] of [['trainLoss', null], ['testR2', null], ['grad', 'layers.0.kernel'], ['weight', 'layers.1.bias'], ['ratio', 'a:b']] as const) {
    assert.deepEqual(parseColumnName(columnName(q, t)), { quantity: q, tensor: t });
  }
  for (const bad of ['', 'loss', 'constructor', 'toString', '__proto__', '__proto__:x', 'constructor:x', 'x:layers.0.kernel', ':t']) assert.equal(parseColumnName(bad), null, bad);
});

test('epoch columns: only drawable values (finite; > 0 on log charts); a regression has R² columns and no accuracy ones', () => {
  const records: MetricsRecord[] = [1, 2, 3].map((e) => ({ ...epochRecord(e), trainAcc: null, testAcc: null, trainR2: 0.5 + e / 10, testR2: 0.4, trainLoss: e === 2 ? 0 : 1 / e }));
  const cols = epochColumns(records, 2000);
  assert.equal(cols.trainAcc, undefined);
  assert.deepEqual(cols.trainR2, [[1, 2, 3], [0.6, 0.7, 0.8]]);
  assert.deepEqual(cols.trainLoss, [[1, 3], [1, 1 / 3]], 'a zero loss is not drawn on the log chart');
  const r = epochRecord(1);
  const perTensor = epochValues(r).filter((v) => v.tensor !== null);
  assert.equal(perTensor.length, Object.keys(r.gradNorms).length + Object.keys(r.weightNorms).length + Object.keys(r.updateRatios).length);
  assert.equal(epochValues(r).length - perTensor.length, 6, 'losses, accuracies and R² of train and test');
});
