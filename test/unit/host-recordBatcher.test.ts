import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordBatcher, recordKey, recordsNotIn, type BatchMessage } from '../../extension/host/recordBatcher';
import type { MetricsRecord } from '../../extension/shared/protocol';
import { epochRecord, fakeRun, FakeClock } from './export-fixture';

function setup(max = 10) {
  const clock = new FakeClock();
  const sent: { t: number; messages: BatchMessage[] }[] = [];
  const b = new RecordBatcher((m) => sent.push({ t: clock.t, messages: m }), clock, max);
  return { clock, sent, b };
}

const appended = (sent: { messages: BatchMessage[] }[], runDir: string): MetricsRecord[] =>
  sent.flatMap((s) => s.messages).flatMap((m) => (m.type === 'append' && m.runDir === runDir ? m.records : []));

test('batcher: a burst becomes one append with every record in order', () => {
  const { clock, sent, b } = setup();
  const recs = Array.from({ length: 500 }, (_, i) => epochRecord(i + 1));
  for (const r of recs) b.addRecord('/a', r);
  assert.equal(sent.length, 0, 'nothing is sent synchronously');
  clock.advance(0);
  assert.equal(sent.length, 1);
  assert.deepEqual(appended(sent, '/a'), recs);
});

test('batcher: at 1000 records/s for 10 s, ≤ ~10 messages a second and nothing lost', () => {
  const { clock, sent, b } = setup(10);
  const recs: MetricsRecord[] = [];
  for (let ms = 0; ms < 10_000; ms++) {
    const r = epochRecord(ms + 1);
    recs.push(r);
    b.addRecord('/a', r);
    clock.advance(1);
  }
  clock.advance(1000);
  const messages = sent.reduce((n, s) => n + s.messages.length, 0);
  assert.ok(messages <= 10 * 10 + 2, `${messages} messages in 10 s`);
  assert.ok(messages >= 50, `${messages} messages: records are held back too long`);
  for (let i = 1; i < sent.length; i++) assert.ok(sent[i].t - sent[i - 1].t >= 100 - 1e-9, 'flushes at least 100 ms apart');
  assert.deepEqual(appended(sent, '/a'), recs);
});

test('batcher: several runs share the budget (k messages → next flush k/10 s later)', () => {
  const { clock, sent, b } = setup(10);
  const dirs = ['/a', '/b', '/c'];
  for (let ms = 0; ms < 5000; ms += 5) {
    for (const d of dirs) b.addRecord(d, epochRecord(ms + 1));
    clock.advance(5);
  }
  clock.advance(2000);
  // Count messages in every 1-second window.
  const times = sent.flatMap((s) => s.messages.map(() => s.t));
  for (let start = 0; start < 5000; start += 250) {
    const inWindow = times.filter((t) => t >= start && t < start + 1000).length;
    assert.ok(inWindow <= 12, `${inWindow} messages in [${start}, ${start + 1000}) ms`);
  }
  for (const d of dirs) assert.equal(appended(sent, d).length, 1000);
});

test('batcher: only the latest status per run, sent after that run\'s records', () => {
  const { clock, sent, b } = setup();
  b.addRecord('/a', epochRecord(1));
  b.setStatus('/a', fakeRun({ status: 'running', epochsCompleted: 1 }));
  b.addRecord('/a', epochRecord(2));
  b.setStatus('/a', fakeRun({ status: 'completed', epochsCompleted: 2 }));
  clock.advance(0);
  const msgs = sent[0].messages;
  assert.deepEqual(msgs.map((m) => m.type), ['append', 'status']);
  assert.equal(msgs[1].type === 'status' && msgs[1].run.status, 'completed');
});

test('batcher: pause holds records back, resume delivers them; clear and dispose drop them', () => {
  const { clock, sent, b } = setup();
  b.pause();
  b.addRecord('/a', epochRecord(1));
  clock.advance(1000);
  assert.equal(sent.length, 0);
  assert.equal(b.pendingCount, 1);
  b.resume();
  clock.advance(0);
  assert.equal(appended(sent, '/a').length, 1);
  b.addRecord('/a', epochRecord(2));
  b.addRecord('/b', epochRecord(2));
  b.clear(['/a']);
  clock.advance(1000);
  assert.equal(appended(sent, '/a').length, 1);
  assert.equal(appended(sent, '/b').length, 1);
  const taken = (() => {
    b.addRecord('/c', epochRecord(5));
    return b.take('/c');
  })();
  assert.equal(taken?.records.length, 1);
  b.addRecord('/d', epochRecord(1));
  b.dispose();
  clock.advance(1000);
  assert.equal(appended(sent, '/d').length, 0);
  assert.equal(clock.pendingTimers, 0);
});

test('recordKey tells records apart by type, epoch and event identity', () => {
  const keys = new Set(
    [
      epochRecord(1),
      epochRecord(2),
      { type: 'activations', epoch: 1, layers: [] },
      { type: 'event', epoch: 5, event: { kind: 'memorization', epoch: 5 } },
      { type: 'event', epoch: 5, event: { kind: 'generalization', epoch: 5 } },
      { type: 'event', epoch: 9, event: { kind: 'transition', layer: 0, tensor: 'layers.0.kernel', epoch: 4, detectedAt: 9, changeKind: 'peak', slopeBefore: 1, slopeAfter: -1 } },
      { type: 'event', epoch: 9, event: { kind: 'transition', layer: 1, tensor: 'layers.1.kernel', epoch: 4, detectedAt: 9, changeKind: 'peak', slopeBefore: 1, slopeAfter: -1 } },
      { type: 'checkpoint', epoch: 10, path: 'checkpoints/a' },
    ].map((r) => recordKey(r as MetricsRecord)),
  );
  assert.equal(keys.size, 8);
  assert.equal(recordKey(epochRecord(3)), recordKey({ ...epochRecord(3), trainLoss: 9 }));
});

test('recordsNotIn: live records already in the snapshot are dropped, the rest kept in order', () => {
  const snapshot: MetricsRecord[] = [epochRecord(1), epochRecord(2), { type: 'event', epoch: 2, event: { kind: 'memorization', epoch: 2 } }];
  const live: MetricsRecord[] = [epochRecord(2), { type: 'event', epoch: 2, event: { kind: 'memorization', epoch: 2 } }, epochRecord(3), { type: 'checkpoint', epoch: 3, path: 'c3' }, epochRecord(4)];
  assert.deepEqual(recordsNotIn(snapshot, live), [live[2], live[3], live[4]]);
  assert.deepEqual(recordsNotIn([], live), live);
  assert.deepEqual(recordsNotIn(snapshot, []), []);
});
