import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHostToWebview, isWebviewToHost } from '../../extension/shared/protocol';
import { byType } from '../../extension/shared/guards';
import { fakeRun } from './export-fixture';

test('dynamics protocol: the host asks what is drawn, the webview answers with the same id', () => {
  assert.ok(isHostToWebview({ type: 'getState', id: 3 }));
  assert.ok(!isHostToWebview({ type: 'getState', id: '3' }));
  const state = { runDirs: ['/r/a'], charts: { loss: 10 }, latest: { '/r/a': 120 }, redraws: 4, drawMs: 12.5, viewMs: { loss: 3 } };
  assert.ok(isWebviewToHost({ type: 'state', id: 3, state }));
  assert.ok(isWebviewToHost({ type: 'state', id: 3, state: { ...state, redraws: 0, drawMs: null, viewMs: {} } }));
  assert.ok(!isWebviewToHost({ type: 'state', state }));
  assert.ok(!isWebviewToHost({ type: 'state', id: 3, state: { ...state, latest: { '/r/a': 'x' } } }));
  assert.ok(!isWebviewToHost({ type: 'state', id: 3, state: { ...state, runDirs: [1] } }));
  assert.ok(!isWebviewToHost({ type: 'state', id: 3, charts: { loss: 1 } }));
});

test('byType: one check per message type; other types, prototype names and non-objects are refused', () => {
  type M = { type: 'a'; n: number } | { type: 'b' };
  const isM = byType<M>({ a: (x) => typeof x.n === 'number', b: () => true });
  assert.ok(isM({ type: 'a', n: 1 }));
  assert.ok(isM({ type: 'b' }));
  assert.ok(!isM({ type: 'a', n: '1' }));
  for (const bad of [{ type: 'c' }, { type: 'constructor' }, { type: 'toString' }, { type: '__proto__' }, {}, null, [], 'a', { type: 1 }]) assert.ok(!isM(bad), JSON.stringify(bad));
});

test('dynamics protocol: a show message may carry a long run\'s epoch columns, each a pair of number arrays of one length', () => {
  const run = fakeRun();
  const show = (columns: unknown) => ({ type: 'show', sweepAxes: null, runs: [{ runDir: '/r/a', run, records: [], columns }] });
  assert.ok(isHostToWebview(show(undefined)));
  assert.ok(isHostToWebview(show({ trainLoss: [[1, 2], [0.5, 0.4]], 'g:layers.0.kernel': [[], []] })));
  for (const bad of [null, [], { trainLoss: [[1, 2], [0.5]] }, { trainLoss: [[1], ['0.5']] }, { trainLoss: [[1]] }, { trainLoss: { 0: [1], 1: [2] } }]) assert.ok(!isHostToWebview(show(bad)), JSON.stringify(bad));
});
