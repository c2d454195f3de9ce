import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync, writeFileSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunManager, type RunFinishedEvent, type RunStore } from '../../extension/host/runManager';
import type { MetricsRecord, RunJson, StartRunRequest } from '../../extension/shared/protocol';

/**
 * A fake trainer speaking the real protocol. Behaviour comes from the run name:
 *   complete-*: started, 3 epoch records, done(completed), exit 0
 *   crash-*:    started, 1 record, exit 3 without writing a final status
 *   stoppable-*: started, records every 20 ms until {type:'stop'}, then done(stopped)
 *   stubborn-*: started, ignores stop and SIGTERM (needs SIGKILL)
 *   garbage-*:  sends malformed messages, then behaves like complete
 */
const FAKE = String.raw`
const fs = require('node:fs'), path = require('node:path');
process.on('message', (m) => {
  if (m.type !== 'start') return;
  const name = m.runName;
  const runDir = path.join(m.outDir, name + '-1');
  fs.mkdirSync(runDir, { recursive: true });
  const run = { formatVersion: 1, id: name + '-1', experiment: m.experiment, experimentFile: null, configName: m.configName,
    runName: name, sweepValues: null, config: m.config, status: 'running', reason: null, backend: 'cpu', versions: {},
    startedAt: new Date().toISOString(), endedAt: null, epochsCompleted: 0, totalEpochs: m.config.training.epochs, summary: null };
  const write = () => fs.writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(run));
  write();
  // Like the real trainer, each record is in metrics.jsonl before it is sent.
  const rec = (epoch) => {
    const record = { type: 'epoch', epoch, t: epoch, lr: 0.1, trainLoss: 1 / epoch, testLoss: 1, trainAcc: 0.5, testAcc: 0.1,
      trainR2: null, testR2: null, gradNorms: { 'layers.0.kernel': 1 }, weightNorms: {}, updateRatios: {} };
    fs.appendFileSync(path.join(runDir, 'metrics.jsonl'), JSON.stringify(record) + '\n');
    return { type: 'record', record };
  };
  if (name.startsWith('garbage')) { process.send({ type: 'record', record: { type: 'nope' } }); process.send(42); }
  process.send({ type: 'started', runDir, run });
  const finish = (status) => { run.status = status; run.endedAt = new Date().toISOString(); write(); process.send({ type: 'done', run }, () => process.exit(0)); };
  if (name.startsWith('complete') || name.startsWith('garbage')) {
    for (let e = 1; e <= 3; e++) { process.send(rec(e)); run.epochsCompleted = e; }
    finish('completed');
  } else if (name.startsWith('crash')) {
    process.send(rec(1), () => setTimeout(() => process.exit(3), 20));
  } else if (name.startsWith('stoppable')) {
    let e = 0; const t = setInterval(() => process.send(rec(++e)), 20);
    process.on('message', (s) => { if (s.type === 'stop') { clearInterval(t); finish('stopped'); } });
  } else if (name.startsWith('stubborn')) {
    process.on('SIGTERM', () => {});
    setInterval(() => process.send(rec(1)), 50);
  }
});
`;

const dir = mkdtempSync(join(tmpdir(), 'td-runmanager-'));
const trainerPath = join(dir, 'fake-trainer.js');
writeFileSync(trainerPath, FAKE);

const store: RunStore & { marked: string[] } = {
  marked: [],
  async readRun(runDir) {
    const metrics = join(runDir, 'metrics.jsonl');
    const records = existsSync(metrics) ? readFileSync(metrics, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricsRecord) : [];
    return { run: JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunJson, records };
  },
  async readRunJson(runDir) {
    return JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunJson;
  },
  async markEnded(runDir, status, reason) {
    this.marked.push(runDir);
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as RunJson;
    const updated = { ...run, status, reason };
    writeFileSync(join(runDir, 'run.json'), JSON.stringify(updated));
    return updated;
  },
};

function request(runName: string, epochs = 3): StartRunRequest {
  const outDir = join(dir, 'runs');
  mkdirSync(outDir, { recursive: true });
  return {
    type: 'start', experiment: 'exp', experimentFile: null, configName: runName, runName, sweepValues: null,
    config: { training: { epochs } } as unknown as StartRunRequest['config'], outDir, backend: 'cpu',
  };
}

function manager(maxConcurrent = 2, stopGraceMs = 200) {
  const logs: string[] = [];
  const m = new RunManager({ trainerPath, execPath: process.execPath, maxConcurrent: () => maxConcurrent, store, log: (l) => logs.push(l), stopGraceMs });
  const finished: RunFinishedEvent[] = [];
  m.onDidFinish((e) => finished.push(e));
  return { m, logs, finished };
}

test('a completed run streams its records, reports completed and leaves run.json alone', async () => {
  const { m, finished } = manager();
  const records: number[] = [];
  m.onDidRecord((e) => records.push(...e.records.map((r) => r.epoch)));
  const r = m.enqueue(request('complete-a'));
  await m.whenEnded(r.id);
  assert.deepEqual(records, [1, 2, 3]);
  assert.equal(finished.length, 1);
  assert.equal(finished[0].outcome.status, 'completed');
  assert.equal(finished[0].run?.status, 'completed');
  assert.ok(!store.marked.includes(finished[0].runDir!));
  assert.equal(m.lastStartedRunDir(), finished[0].runDir);
  assert.deepEqual(m.activeRuns(), []);
});

test('malformed trainer messages are ignored and logged', async () => {
  const { m, finished, logs } = manager();
  const r = m.enqueue(request('garbage-a'));
  await m.whenEnded(r.id);
  assert.equal(finished[0].outcome.status, 'completed');
  assert.equal(logs.filter((l) => l.includes('malformed')).length, 2);
});

test('a crash (non-zero exit without a final status) marks the run failed with the exit code', async () => {
  const { m, finished } = manager();
  const r = m.enqueue(request('crash-a'));
  await m.whenEnded(r.id);
  const f = finished[0];
  assert.equal(f.outcome.status, 'failed');
  assert.match(f.outcome.reason ?? '', /exited with code 3/);
  assert.ok(store.marked.includes(f.runDir!));
  const onDisk = JSON.parse(readFileSync(join(f.runDir!, 'run.json'), 'utf8')) as RunJson;
  assert.equal(onDisk.status, 'failed');
});

test('stop asks the trainer to stop; the run ends stopped and others keep running', async () => {
  const { m, finished } = manager(2);
  const a = m.enqueue(request('stoppable-a', 1000));
  const b = m.enqueue(request('stoppable-b', 1000));
  await new Promise<void>((resolve) => {
    const sub = m.onDidProgress(() => {
      if (m.activeRunDirs().length === 2) { sub.dispose(); resolve(); }
    });
  });
  const dirA = m.activeRuns().find((r) => r.id === a.id)!.runDir!;
  assert.ok(m.stop(dirA));
  await m.whenEnded(a.id);
  assert.equal(finished.length, 1);
  assert.equal(finished[0].outcome.status, 'stopped');
  assert.deepEqual(m.activeRuns().map((r) => r.id), [b.id]);
  // the trainer sends its records in batches after writing them: once b reports progress, they are on disk
  await new Promise<void>((resolve) => { const sub = m.onDidProgress(() => { sub.dispose(); resolve(); }); });
  const snap = await m.readRun(m.activeRunDirs()[0]);
  assert.ok(snap.records.length > 0, 'a live run snapshot holds the records written so far');
  assert.equal(snap.run.status, 'running', 'a live run snapshot carries the live run.json');
  m.stop(b.id);
  await m.whenEnded(b.id);
  assert.equal(finished[1].outcome.status, 'stopped');
});

test('a trainer that ignores stop and SIGTERM is killed and marked stopped', async () => {
  const { m, finished, logs } = manager(1, 150);
  const r = m.enqueue(request('stubborn-a', 1000));
  await new Promise<void>((resolve) => { const s = m.onDidStart(() => { s.dispose(); resolve(); }); });
  m.stop(r.id);
  await m.whenEnded(r.id);
  assert.equal(finished[0].outcome.status, 'stopped');
  assert.ok(logs.some((l) => l.includes('SIGKILL')));
  const onDisk = JSON.parse(readFileSync(join(finished[0].runDir!, 'run.json'), 'utf8')) as RunJson;
  assert.equal(onDisk.status, 'stopped');
});

test('the queue respects the concurrency limit and a queued run can be removed', async () => {
  const { m, finished } = manager(1);
  const a = m.enqueue(request('stoppable-q1', 1000));
  const b = m.enqueue(request('complete-q2'));
  const c = m.enqueue(request('complete-q3'));
  assert.deepEqual(m.activeRuns().map((r) => r.state), ['starting', 'queued', 'queued']);
  assert.ok(m.stop(c.id));
  assert.equal(finished[0].outcome.status, 'stopped');
  assert.equal(finished[0].runDir, null);
  await new Promise<void>((resolve) => { const s = m.onDidStart(() => { s.dispose(); resolve(); }); });
  assert.equal(m.activeRuns().find((r) => r.id === b.id)!.state, 'queued');
  m.stop(a.id);
  await m.whenEnded(a.id);
  await m.whenEnded(b.id);
  assert.deepEqual(finished.map((f) => f.outcome.status), ['stopped', 'stopped', 'completed']);
});

test('shutdown ends every process', async () => {
  const { m } = manager(2, 100);
  m.enqueue(request('stoppable-s1', 1000));
  m.enqueue(request('stubborn-s2', 1000));
  await new Promise((r) => setTimeout(r, 300));
  await m.shutdown(500);
  assert.deepEqual(m.activeRuns(), []);
});

after(() => rmSync(dir, { recursive: true, force: true }));
