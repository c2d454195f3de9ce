import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPARE_VIEW, RecordBatcher, recordKey, recordsNotIn, SINGLE_RUN_VIEW, snapshotForView, thinRecords, type BatchMessage } from '../../extension/host/recordBatcher';
import type { MetricsRecord } from '../../extension/shared/protocol';
import { epochRecord, fakeRun, FakeClock } from './export-fixture';

/** A batcher whose webview takes every batch at once (acknowledges it), unless `ack` is false. */
function setup(max = 10, opts: { ack?: boolean; maxRecords?: number; epochRate?: number } = {}) {
  const clock = new FakeClock();
  const sent: { t: number; messages: BatchMessage[] }[] = [];
  const b: RecordBatcher = new RecordBatcher(
    (m) => {
      sent.push({ t: clock.t, messages: m });
      if (opts.ack !== false) for (const x of m) if (x.type === 'append' && x.seq !== undefined) b.acknowledge(x.seq);
    },
    clock,
    max,
    opts.maxRecords,
    undefined,
    opts.epochRate,
  );
  return { clock, sent, b };
}

const appended = (sent: { messages: BatchMessage[] }[], runDir: string): MetricsRecord[] =>
  sent.flatMap((s) => s.messages).flatMap((m) => (m.type === 'append' && m.runDir === runDir ? m.records : []));

test('batcher: a burst becomes one append with every record in order', () => {
  const { clock, sent, b } = setup(10, { epochRate: Infinity });
  const recs = Array.from({ length: 500 }, (_, i) => epochRecord(i + 1));
  for (const r of recs) b.addRecord('/a', r);
  assert.equal(sent.length, 0, 'nothing is sent synchronously');
  clock.advance(0);
  assert.equal(sent.length, 1);
  assert.deepEqual(appended(sent, '/a'), recs);
});

test('batcher: at 1000 records/s for 10 s with no epoch-record rate limit, ≤ ~10 messages a second and nothing lost', () => {
  const { clock, sent, b } = setup(10, { epochRate: Infinity });
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

test('batcher: a run at 2000 epochs/s reaches the panel at ≤ 200 epoch records a second (the bucket aside), newest and every event kept; a run at 150/s loses nothing', () => {
  const { clock, sent, b } = setup(10, { epochRate: 200 });
  const events: MetricsRecord[] = [];
  for (let ms = 0; ms < 10_000; ms++) {
    for (let k = 1; k <= 2; k++) b.addRecord('/fast', epochRecord(2 * ms + k));
    if (ms % 1000 === 0) {
      const ev: MetricsRecord = { type: 'event', epoch: 2 * ms + 2, event: { kind: 'transition', epoch: 2 * ms + 2 } as never };
      events.push(ev);
      b.addRecord('/fast', ev);
    }
    clock.advance(1);
  }
  clock.advance(1000);
  const got = appended(sent, '/fast');
  const epochs = got.filter((r) => r.type === 'epoch').map((r) => r.epoch);
  assert.ok(epochs.length <= 200 * 12, `${epochs.length} epoch records sent`);
  assert.ok(epochs.length >= 200 * 9, `${epochs.length} epoch records sent: too few to draw`);
  assert.equal(epochs[epochs.length - 1], 20_000, 'the newest epoch record was dropped');
  assert.deepEqual(epochs, [...epochs].sort((x, y) => x - y), 'out of order');
  for (const ev of events) assert.ok(got.includes(ev), 'an event was thinned away');
  assert.equal(b.thinned('/fast'), true);
  // In the last 5 s (the bucket long spent), about 200 a second.
  const late = sent.filter((s) => s.t >= 5000 && s.t < 10_000).flatMap((s) => s.messages).flatMap((m) => (m.type === 'append' ? m.records : [])).filter((r) => r.type === 'epoch').length;
  assert.ok(late >= 900 && late <= 1100, `${late} epoch records in 5 s`);

  const slow = setup(10, { epochRate: 200 });
  const recs: MetricsRecord[] = [];
  for (let ms = 0; ms < 10_000; ms++) {
    if (ms % 7 === 0) {
      const r = epochRecord(ms + 1);
      recs.push(r);
      slow.b.addRecord('/slow', r);
    }
    slow.clock.advance(1);
  }
  slow.clock.advance(1000);
  assert.deepEqual(appended(slow.sent, '/slow'), recs);
  assert.equal(slow.b.thinned('/slow'), false);
});

test('batcher: runs streaming at once share the panel\'s epoch-record rate', () => {
  const { clock, sent, b } = setup(10, { epochRate: 300 });
  const dirs = ['/a', '/b', '/c'];
  for (let ms = 0; ms < 10_000; ms++) {
    for (const d of dirs) b.addRecord(d, epochRecord(ms + 1));
    clock.advance(1);
  }
  clock.advance(2000);
  const late = (d: string) => sent.filter((s) => s.t >= 5000 && s.t < 10_000).flatMap((s) => s.messages).flatMap((m) => (m.type === 'append' && m.runDir === d ? m.records : [])).length;
  for (const d of dirs) {
    assert.ok(late(d) >= 400 && late(d) <= 600, `${d}: ${late(d)} epoch records in 5 s (a third of 300 a second)`);
    assert.equal(appended(sent, d).at(-1)?.epoch, 10_000);
  }
});

test('batcher: several runs share the budget (k messages → next flush k/10 s later)', () => {
  const { clock, sent, b } = setup(10, { epochRate: Infinity });
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

test('batcher: only the latest status per run, sent before that run\'s records (latest state first)', () => {
  const { clock, sent, b } = setup();
  b.addRecord('/a', epochRecord(1));
  b.setStatus('/a', fakeRun({ status: 'running', epochsCompleted: 1 }));
  b.addRecord('/a', epochRecord(2));
  b.setStatus('/a', fakeRun({ status: 'completed', epochsCompleted: 2 }));
  clock.advance(0);
  const msgs = sent[0].messages;
  assert.deepEqual(msgs.map((m) => m.type), ['status', 'append']);
  assert.equal(msgs[0].type === 'status' && msgs[0].run.status, 'completed');
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

test('batcher: a webview that does not answer gets no second batch until it acknowledges (or 5 s pass); statuses still go', () => {
  const { clock, sent, b } = setup(10, { ack: false, epochRate: Infinity });
  b.addRecord('/a', epochRecord(1));
  clock.advance(0);
  const first = sent[0].messages.find((m) => m.type === 'append');
  assert.ok(first && first.type === 'append' && first.seq !== undefined);
  for (let e = 2; e <= 300; e++) {
    b.addRecord('/a', epochRecord(e));
    clock.advance(10);
  }
  b.setStatus('/a', fakeRun({ status: 'running', epochsCompleted: 300 }));
  clock.advance(200);
  assert.equal(appended(sent, '/a').length, 1, 'records went out behind a batch in flight');
  assert.ok(sent.flatMap((s) => s.messages).some((m) => m.type === 'status'), 'the status waited for the data');
  // The acknowledgement releases everything that piled up, as one batch.
  b.acknowledge(first.seq!);
  clock.advance(200);
  assert.equal(appended(sent, '/a').length, 300);
  assert.equal(sent.filter((s) => s.messages.some((m) => m.type === 'append')).length, 2);
  // A batch that is never acknowledged holds the next one back for at most 5 s.
  b.addRecord('/a', epochRecord(301));
  clock.advance(4000);
  assert.equal(appended(sent, '/a').length, 300);
  clock.advance(1100);
  assert.equal(appended(sent, '/a').length, 301);
});

test('batcher: a backlog beyond the bound is thinned to the newest and an even subset; every other record stays; the run is marked thinned', () => {
  const { clock, sent, b } = setup(10, { ack: false, maxRecords: 100 });
  b.addRecord('/a', epochRecord(1));
  clock.advance(0);
  const first = sent[0].messages.find((m) => m.type === 'append')!;
  const event: MetricsRecord = { type: 'event', epoch: 500, event: { kind: 'memorization', epoch: 500 } };
  for (let e = 2; e <= 1001; e++) {
    b.addRecord('/a', epochRecord(e));
    if (e === 500) b.addRecord('/a', event);
  }
  assert.equal(b.thinned('/a'), false);
  b.acknowledge(first.type === 'append' ? first.seq! : -1);
  clock.advance(200);
  const batch = sent[sent.length - 1].messages.find((m) => m.type === 'append')!;
  assert.ok(batch.type === 'append');
  assert.equal(batch.records.length, 100);
  assert.ok(batch.records.includes(event), 'the event was thinned away');
  const epochs = batch.records.filter((r) => r.type === 'epoch').map((r) => r.epoch);
  assert.equal(epochs[epochs.length - 1], 1001, 'the newest epoch record was dropped');
  assert.deepEqual(epochs, [...epochs].sort((x, y) => x - y), 'out of order');
  assert.equal(b.thinned('/a'), true);
  b.forgetThinned('/a');
  assert.equal(b.thinned('/a'), false);
});

test('thinRecords keeps order, the last epoch record and every non-epoch record', () => {
  const recs: MetricsRecord[] = Array.from({ length: 1000 }, (_, i) => epochRecord(i + 1));
  const t = thinRecords(recs, 10);
  assert.equal(t.length, 10);
  assert.equal(t[t.length - 1], recs[999]);
  assert.deepEqual(t.map((r) => r.epoch), [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  assert.deepEqual(thinRecords(recs.slice(0, 5), 10), recs.slice(0, 5));
});

test('snapshotForView: a long run goes to the panel as each series\' LTTB picks in columns; spikes, ends, the last epoch record and every other record kept', () => {
  const n = 50_000;
  const records: MetricsRecord[] = [];
  for (let e = 1; e <= n; e++) {
    const r = epochRecord(e);
    // one gradient-norm spike and one test-accuracy dip, each a single epoch
    if (e === 12_345) r.gradNorms['layers.0.kernel'] = 1e3;
    if (e === 33_333) r.testAcc = 0;
    records.push(r);
    if (e % 500 === 0) records.push({ type: 'checkpoint', epoch: e, path: `checkpoints/epoch-${e}.safetensors` });
  }
  records.push({ type: 'event', epoch: 50, event: { kind: 'memorization', epoch: 50 } });
  const out = snapshotForView(records, 2000);
  assert.ok(out.columns, 'no columns');
  const cols = out.columns;
  // every charted quantity of the records, at most 2000 points each, first and last epoch kept
  const names = Object.keys(cols).sort();
  assert.deepEqual(names, ['g:layers.0.bias', 'g:layers.0.kernel', 'g:layers.1.kernel', 'testAcc', 'testLoss', 'trainAcc', 'trainLoss', 'u:layers.0.bias', 'u:layers.0.kernel', 'u:layers.1.kernel', 'w:layers.0.bias', 'w:layers.0.kernel', 'w:layers.1.kernel'].filter((k) => names.includes(k)));
  assert.ok(names.includes('trainLoss') && names.includes('g:layers.0.kernel') && names.includes('testAcc'));
  for (const [name, [xs, ys]] of Object.entries(cols)) {
    assert.equal(xs.length, ys.length, name);
    assert.ok(xs.length <= 2000 && xs.length >= 1000, `${name}: ${xs.length} points`);
    assert.deepEqual([xs[0], xs[xs.length - 1]], [1, n], name);
    for (let i = 1; i < xs.length; i++) assert.ok(xs[i] > xs[i - 1], `${name} in order`);
  }
  const at = (name: string, epoch: number) => cols[name][1][cols[name][0].indexOf(epoch)];
  assert.equal(at('g:layers.0.kernel', 12_345), 1e3, 'the gradient-norm spike');
  assert.equal(at('testAcc', 33_333), 0, 'the test-accuracy dip');
  // the last epoch record, and every non-epoch record in order
  const others = (rs: MetricsRecord[]) => rs.filter((r) => r.type !== 'epoch');
  assert.deepEqual(others(out.records), others(records));
  assert.deepEqual(out.records.filter((r) => r.type === 'epoch'), [records.filter((r) => r.type === 'epoch').at(-1)]);
  // about 1 MB as JSON, not the 50 000 records
  assert.ok(JSON.stringify(out).length < JSON.stringify(records).length / 10, `${JSON.stringify(out).length} bytes`);
  // short runs are sent whole, without columns
  assert.deepEqual(snapshotForView(records.slice(0, 1500), 2000), { records: records.slice(0, 1500) });
});

test('snapshotForView: of a run\'s many weight-spectrum and Benford probes an even subset of at most 400 each goes, the newest kept; every activation probe goes', () => {
  const records: MetricsRecord[] = [];
  for (let e = 1; e <= 3000; e++) {
    records.push(epochRecord(e));
    records.push({ type: 'spectrum', epoch: e, matrices: [] } as unknown as MetricsRecord);
    records.push({ type: 'benford', epoch: e, tensors: [] } as unknown as MetricsRecord);
    records.push({ type: 'activations', epoch: e, layers: [] } as unknown as MetricsRecord);
  }
  const out = snapshotForView(records, 2000);
  const of = (t: string) => out.records.filter((r) => r.type === t).map((r) => r.epoch);
  for (const t of ['spectrum', 'benford']) {
    assert.equal(of(t).length, 400, t);
    assert.equal(of(t).at(-1), 3000, `${t}: the newest`);
    assert.ok(of(t).every((e, i, a) => i === 0 || e > a[i - 1]), `${t}: in order`);
  }
  assert.equal(of('activations').length, 3000);
  assert.equal(snapshotForView(records.slice(0, 400 * 4), 2000).records.length, 1600, 'a short run goes whole');
});

test('snapshotForView for the compare view: no probe records, no weight-norm or update-ratio columns; events, checkpoints, losses, accuracies and gradient norms kept', () => {
  const records: MetricsRecord[] = [];
  for (let e = 1; e <= 5000; e++) {
    records.push(epochRecord(e));
    if (e % 50 === 0) {
      records.push({ type: 'spectrum', epoch: e, matrices: [] } as unknown as MetricsRecord);
      records.push({ type: 'benford', epoch: e, tensors: [] } as unknown as MetricsRecord);
      records.push({ type: 'activations', epoch: e, layers: [] } as unknown as MetricsRecord);
    }
  }
  records.push({ type: 'event', epoch: 400, event: { kind: 'generalization', epoch: 400 } });
  records.push({ type: 'checkpoint', epoch: 5000, path: 'checkpoints/epoch-5000.safetensors' });
  const single = snapshotForView(records, 2000, SINGLE_RUN_VIEW);
  const compare = snapshotForView(records, 2000, COMPARE_VIEW);
  assert.deepEqual([...new Set(compare.records.map((r) => r.type))].sort(), ['checkpoint', 'epoch', 'event']);
  assert.ok(single.records.some((r) => r.type === 'spectrum'));
  const names = Object.keys(compare.columns!);
  assert.ok(names.includes('trainLoss') && names.includes('testAcc') && names.some((n) => n.startsWith('g:')), names.join(' '));
  assert.ok(!names.some((n) => n.startsWith('w:') || n.startsWith('u:')), names.join(' '));
  assert.ok(Object.keys(single.columns!).some((n) => n.startsWith('w:')));
  assert.deepEqual(compare.columns!.trainLoss, single.columns!.trainLoss);
  // a short run in the compare view: its epoch records whole, still without probes
  assert.ok(snapshotForView(records.slice(0, 600), 2000, COMPARE_VIEW).records.every((r) => r.type === 'epoch' || r.type === 'event' || r.type === 'checkpoint'));
});
