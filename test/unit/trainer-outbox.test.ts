import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox } from '../../extension/trainer/outbox';
import type { MetricsRecord, TrainerToHost } from '../../extension/shared/protocol';
import { epochRecord, fakeRun, FakeClock } from './export-fixture';

function setup(intervalMs = 50, maxRecords = 2000) {
  const clock = new FakeClock();
  const sent: { t: number; m: TrainerToHost }[] = [];
  const o = new Outbox((m) => sent.push({ t: clock.t, m }), clock, intervalMs, maxRecords);
  return { clock, sent, o };
}
const recordsSent = (sent: { m: TrainerToHost }[]): MetricsRecord[] => sent.flatMap(({ m }) => (m.type === 'records' ? m.records : m.type === 'record' ? [m.record] : []));

test('outbox: 1000 records a second for 10 s become ≤ 20 messages a second, every record in order', () => {
  const { clock, sent, o } = setup();
  const recs: MetricsRecord[] = [];
  for (let ms = 0; ms < 10_000; ms++) {
    const r = epochRecord(ms + 1);
    recs.push(r);
    o.post({ type: 'record', record: r });
    clock.advance(1);
  }
  clock.advance(100);
  assert.ok(sent.length <= 10 * 20 + 1, `${sent.length} messages`);
  assert.ok(sent.every(({ m }) => m.type === 'records'));
  assert.deepEqual(recordsSent(sent), recs);
});

test('outbox: control messages go at once, after the records queued before them', () => {
  const { clock, sent, o } = setup();
  o.post({ type: 'record', record: epochRecord(1) });
  o.post({ type: 'record', record: epochRecord(2) });
  o.post({ type: 'log', level: 'info', message: 'stopping' });
  assert.deepEqual(sent.map(({ m }) => m.type), ['records', 'log'], 'the log waited for the timer');
  o.post({ type: 'record', record: epochRecord(3) });
  o.post({ type: 'done', run: fakeRun({ status: 'stopped' }) });
  assert.deepEqual(sent.map(({ m }) => m.type), ['records', 'log', 'records', 'done']);
  assert.deepEqual(recordsSent(sent).map((r) => r.epoch), [1, 2, 3]);
  clock.advance(1000);
  assert.equal(sent.length, 4, 'a timer sent something after done');
  assert.equal(clock.pendingTimers, 0);
});

test('outbox: a burst beyond maxRecords goes without waiting for the timer; flush sends what is queued', () => {
  const { sent, o } = setup(50, 100);
  for (let e = 1; e <= 250; e++) o.post({ type: 'record', record: epochRecord(e) });
  assert.equal(sent.length, 2);
  assert.equal(o.queued, 50);
  o.flush();
  assert.equal(recordsSent(sent).length, 250);
  assert.equal(o.queued, 0);
});
