import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebviewAnswers } from '../../extension/host/webviewAnswers';

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
