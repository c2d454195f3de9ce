import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebviewAnswers } from '../../extension/host/webviewAnswers';
import { isHostToWebview, isWebviewToHost } from '../../extension/shared/protocol';

test('webview answers: each question resolves with the answer to its id; late, unknown and orphaned answers', async () => {
  const answers = new WebviewAnswers<string>();
  const posted: number[] = [];
  const a = answers.ask((id) => posted.push(id), 'a', 1000);
  const b = answers.ask((id) => posted.push(id), 'b', 1000);
  assert.equal(posted.length, 2);
  assert.notEqual(posted[0], posted[1]);
  answers.answer(posted[1], 'to b');
  answers.answer(posted[0], 'to a');
  answers.answer(posted[0], 'again'); // answered already: dropped
  answers.answer(999, 'nobody asked');
  assert.equal(await a, 'to a');
  assert.equal(await b, 'to b');
  await assert.rejects(answers.ask(() => {}, 'the panel was asked', 30), /the panel was asked: no answer within 30 ms/);
  const c = answers.ask(() => {}, 'c', 10_000);
  answers.rejectAll('the panel was closed');
  await assert.rejects(c, /the panel was closed/);
});

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
