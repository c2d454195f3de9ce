import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ProgressDisplay, jsonResult, summaryText, trainLossPoints } from '../../extension/cli/progress';
import type { EpochRecord, RunJson } from '../../extension/shared/protocol';
import { tinyConfig } from './runs-fixture';

function rec(epoch: number): EpochRecord {
  return {
    type: 'epoch', epoch, t: epoch * 20, lr: 0.01, trainLoss: 1 / epoch, testLoss: 3, trainAcc: Math.min(1, epoch / 50), testAcc: 0.25,
    trainR2: null, testR2: null, gradNorms: {}, weightNorms: {}, updateRatios: {},
  };
}

function runJson(over: Partial<RunJson> = {}): RunJson {
  return {
    formatVersion: 1, id: 'x-1', experiment: 'e', experimentFile: null, configName: 'x', runName: 'x', sweepValues: null,
    config: tinyConfig(), status: 'completed', reason: null, backend: 'wasm', versions: {}, startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:10.000Z', epochsCompleted: 100, totalEpochs: 100,
    summary: {
      epochs: 100, epochsPerSecond: 10, final: { trainLoss: 0.01, trainAcc: 1, testLoss: 0.5, testAcc: 0.95 },
      memorizationEpoch: 40, generalizationEpoch: 90,
      transitions: [{ layer: 0, epoch: 70, kind: 'levelling-off', leadEpochs: 20 }, { layer: 1, epoch: 95, kind: 'peak', leadEpochs: -5 }],
      lossFits: [], bestLossFit: null,
    },
    ...over,
  };
}

test('TTY: the bar is redrawn in place at most every 100 ms and events print on their own lines', () => {
  let out = '';
  let now = 0;
  const d = new ProgressDisplay({ write: (s) => (out += s), tty: true, columns: 200, label: 'tiny', totalEpochs: 100, now: () => now });
  d.onMessage({ type: 'record', record: rec(1) });
  now = 50;
  d.onMessage({ type: 'record', record: rec(2) }); // within 100 ms: not drawn
  now = 150;
  d.onMessage({ type: 'record', record: rec(3) });
  d.onMessage({ type: 'record', record: { type: 'event', epoch: 3, event: { kind: 'memorization', epoch: 3 } } });
  const draws = out.split('\r\x1b[K').filter((s) => s.startsWith('tiny ['));
  assert.deepEqual(draws.map((s) => /\] +\d+% (\d+)\/100/.exec(s)![1]), ['1', '3', '3']);
  assert.match(draws[1], /50\.0 ep\/s \| train 0\.333 acc 0\.060 \| test 3\.00 acc 0\.250/);
  assert.match(out, /\n?  epoch 3: memorization[^\n]*\n/);
  d.onMessage({ type: 'done', run: runJson() });
  assert.ok(out.endsWith('\r\x1b[K'), 'the bar is cleared at the end');
});

test('plain: one line per 10 % of the epochs, no control characters', () => {
  let out = '';
  const d = new ProgressDisplay({ write: (s) => (out += s), tty: false, columns: 80, label: 'tiny', totalEpochs: 100, now: () => 0 });
  for (let e = 1; e <= 100; e++) d.onMessage({ type: 'record', record: rec(e) });
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 11); // epoch 1 (0 %), then 10, 20, …, 100
  assert.match(lines[lines.length - 1], /^tiny: epoch 100\/100 · 50\.0 epochs\/s · train loss 0\.01000 acc 1\.000 · test loss 3\.000 acc 0\.250$/);
  assert.ok(!/[\r\x1b]/.test(out));
});

test('summary names backend, epochs/s, memorization, generalization, transitions with their lead, final metrics, run dir', () => {
  const s = summaryText(runJson(), '/runs/x-1');
  assert.match(s, /backend +wasm/);
  assert.match(s, /100\/100 in 10\.0 s · 10\.0 epochs\/s/);
  assert.match(s, /memorization +epoch 40/);
  assert.match(s, /generalization +epoch 90/);
  assert.match(s, /layer 0 levelling-off at epoch 70 \(20 epochs before generalization\)/);
  assert.match(s, /layer 1 peak at epoch 95 \(5 epochs after generalization\)/);
  assert.match(s, /final +train loss 0\.01000 acc 1\.000 · test loss 0\.5000 acc 0\.950/);
  assert.match(s, /run directory +\/runs\/x-1/);
  assert.match(summaryText(runJson({ summary: null, status: 'failed', reason: 'boom' }), '/d'), /x: failed \(boom\)[\s\S]*generalization +never/);
});

test('jsonResult has exactly the documented fields, with nulls where nothing is known', () => {
  const j = jsonResult(runJson(), '/runs/x-1');
  assert.deepEqual(j, {
    config: 'x', status: 'completed', backend: 'wasm', epochs: 100, epochsPerSecond: 10,
    final: { trainLoss: 0.01, trainAcc: 1, testLoss: 0.5, testAcc: 0.95 },
    memorizationEpoch: 40, generalizationEpoch: 90,
    transitions: [{ layer: 0, epoch: 70, kind: 'levelling-off' }, { layer: 1, epoch: 95, kind: 'peak' }],
    runDir: '/runs/x-1',
  });
  const empty = jsonResult(runJson({ summary: null, status: 'failed', epochsCompleted: 0 }), '/d');
  assert.deepEqual(empty.final, { trainLoss: null, trainAcc: null, testLoss: null, testAcc: null });
  assert.equal(empty.memorizationEpoch, null);
  assert.deepEqual(empty.transitions, []);
});

test('summary: the loss-fit line reports the tail of the loss from metrics.jsonl, as the panel does', () => {
  // The training loss falls as 1/epoch to 1e-3; an exponential fit plateaus at 0.01 (R² ≈ 1 all the same).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-summary-'));
  try {
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ ...rec(i + 1), trainLoss: 1 / (i + 1) }));
    lines.splice(500, 0, JSON.stringify({ type: 'event', epoch: 500, event: { kind: 'memorization', epoch: 500 } }));
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.join('\n') + '\n{"type":"epo');
    const points = trainLossPoints(dir);
    assert.equal(points.length, 1000);
    assert.deepEqual(points[999], { x: 1000, y: 1 / 1000 });
    const plateau = { form: 'exponential' as const, params: { a: 1, tau: 50, c: 0.01 }, r2: 0.9999 };
    const run = runJson({ summary: { ...runJson().summary!, lossFits: [plateau], bestLossFit: plateau } });
    assert.match(summaryText(run, dir, points), /loss curve fit +exponential \(R² 0\.9999 · tail off ×\d+(\.\d)?\)/);
    // Without the loss (no metrics.jsonl) only R² is known.
    assert.deepEqual(trainLossPoints(path.join(dir, 'missing')), []);
    assert.match(summaryText(run, dir), /loss curve fit +exponential \(R² 0\.9999\)\n/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
