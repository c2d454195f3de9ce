import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCheckpointHostToWebview, isCheckpointWebviewToHost, ourCheckpointOf } from '../../extension/shared/checkpointProtocol';
import { isHostToWorker, isWorkerToHost } from '../../extension/host/checkpointWorkerProtocol';
import { fmt, fmtPercent, groupRows, humanBytes, layerPrefix, matchesFilter, naturalCompare, totals } from '../../webview/checkpoint/table';
import type { TensorRow } from '../../extension/shared/checkpointProtocol';

const header = {
  file: '/a.safetensors',
  fileSize: 100,
  headerLength: 40,
  metadata: { format: 'pt' },
  tensors: [{ name: 'w', dtype: 'F32', shape: [2, 3], numel: 6, bytes: 24 }],
  ours: null,
};

test('webview → host messages: only the known shapes pass', () => {
  assert.ok(isCheckpointWebviewToHost({ type: 'ready' }));
  assert.ok(isCheckpointWebviewToHost({ type: 'selectTensor', name: 'w', force: false }));
  assert.ok(!isCheckpointWebviewToHost({ type: 'selectTensor', name: 'w' }));
  assert.ok(!isCheckpointWebviewToHost({ type: 'selectTensor', name: 3, force: false }));
  assert.ok(!isCheckpointWebviewToHost({ type: 'runShell', cmd: 'rm' }));
  assert.ok(!isCheckpointWebviewToHost(null));
  assert.ok(!isCheckpointWebviewToHost('ready'));
});

test('host → webview and worker messages: nested payloads are checked', () => {
  assert.ok(isCheckpointHostToWebview({ type: 'header', header }));
  assert.ok(!isCheckpointHostToWebview({ type: 'header', header: { ...header, tensors: [{ name: 'w', dtype: 'F32', shape: [-1], numel: 6, bytes: 24 }] } }));
  assert.ok(!isCheckpointHostToWebview({ type: 'header', header: { ...header, metadata: { a: 1 } } }));
  assert.ok(isCheckpointHostToWebview({ type: 'fatal', file: 'x', code: 'INCOMPLETE_DATA', message: 'm' }));
  assert.ok(isCheckpointHostToWebview({ type: 'progress', name: 'w', fraction: 0.5, label: 'reading' }));
  assert.ok(!isCheckpointHostToWebview({ type: 'progress', name: 'w', fraction: 1.5, label: 'reading' }));
  const detail = {
    name: 'w',
    stats: { numel: 6, mean: 0, std: 1, min: -1, max: 1, l2: 2, zeroFraction: 0, nanCount: 0, infCount: 0 },
    histogram: { edges: [0, 1, 2], counts: [3, 3] },
    spectrum: null,
    spectrumNote: null,
    spectrumForceable: false,
    millis: 3,
  };
  assert.ok(isWorkerToHost({ type: 'tensor', id: 1, detail }));
  assert.ok(!isWorkerToHost({ type: 'tensor', id: 1, detail: { ...detail, histogram: { edges: [0, 1], counts: [3, 3] } } }));
  assert.ok(!isWorkerToHost({ type: 'tensor', id: -1, detail }));
  assert.ok(isWorkerToHost({ type: 'error', id: 2, code: 'X', message: 'y' }));
  assert.ok(isHostToWorker({ type: 'compare', id: 1, fileA: 'a', fileB: 'b' }));
  assert.ok(!isHostToWorker({ type: 'compare', id: 1, fileA: 'a' }));
});

test('our checkpoint context: only with the right format, tolerant of bad JSON', () => {
  assert.equal(ourCheckpointOf({ format: 'pt' }, 'training-dynamics/1'), null);
  assert.equal(ourCheckpointOf(null, 'training-dynamics/1'), null);
  const o = ourCheckpointOf({ format: 'training-dynamics/1', config: '{bad', epoch: 'x' }, 'training-dynamics/1');
  assert.equal(o?.config, '{bad');
  assert.equal(o?.epoch, null);
  assert.equal(o?.metrics, null);
});

const row = (name: string, numel = 1, dtype = 'F32'): TensorRow => ({ name, dtype, shape: [numel], numel, bytes: 4 * numel });

test('layer prefixes and natural order', () => {
  assert.equal(layerPrefix('model.layers.3.mlp.up_proj.weight'), 'model.layers.3');
  assert.equal(layerPrefix('layers.0.kernel'), 'layers.0');
  assert.equal(layerPrefix('model.embed_tokens.weight'), 'model.embed_tokens');
  assert.equal(layerPrefix('lm_head.weight'), 'lm_head');
  assert.equal(layerPrefix('bias'), '');
  assert.ok(naturalCompare('layers.2', 'layers.10') < 0);
  assert.ok(naturalCompare('layers.10', 'layers.2') > 0);
  assert.ok(naturalCompare('a', 'b') < 0);
  assert.equal(naturalCompare('x.1', 'x.1'), 0);
});

test('grouping, filtering and sorting the tensor table', () => {
  const rows = [row('layers.10.kernel', 50), row('layers.2.kernel', 10), row('layers.2.bias', 20), row('layers.10.bias', 5), row('scale', 1)];
  const g = groupRows(rows, '', { key: 'name', dir: 1 });
  assert.deepEqual(g.map((x) => x.prefix), ['', 'layers.2', 'layers.10']);
  assert.deepEqual(g[1].rows.map((r) => r.name), ['layers.2.bias', 'layers.2.kernel']);
  assert.equal(g[2].params, 55);
  const byParams = groupRows(rows, '', { key: 'params', dir: -1 });
  assert.deepEqual(byParams[1].rows.map((r) => r.numel), [20, 10]);
  const f = groupRows(rows, 'KERNEL 10', { key: 'name', dir: 1 });
  assert.deepEqual(f.flatMap((x) => x.rows.map((r) => r.name)), ['layers.10.kernel']);
  assert.ok(matchesFilter('a.b.c', ''));
  assert.deepEqual(totals(rows), { tensors: 5, params: 86, bytes: 344 });
});

test('number formatting', () => {
  assert.equal(fmt(null), '—');
  assert.equal(fmt(0), '0');
  assert.equal(fmt(0.123456), '0.1235');
  assert.equal(fmt(1234567), '1.235e+6');
  assert.equal(fmt(-0.00001), '-1.000e-5');
  assert.equal(fmtPercent(0.25), '25.0%');
  assert.equal(humanBytes(3 * 1024 ** 3), '3.00 GiB');
  assert.equal(humanBytes(1536), '1.5 KiB');
});
