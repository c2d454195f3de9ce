/**
 * The trainer child process (extension/trainer/main.ts) forked the way the extension host forks it (IPC),
 * run from source through tsx: a complete run, stop mid-run, SIGTERM, parent disconnect, SIGKILL (then the
 * host's repair with markInterrupted), and an invalid start message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMetricsRecord, isTrainerToHost, type StartRunRequest, type TrainerToHost } from '../../extension/shared/protocol';
import { markInterrupted, readRun } from '../../extension/engine/runs';
import { REPO, decodeSafetensorsFile, tempDir, tinyConfig } from './runs-fixture';

const MAIN = path.join(REPO, 'extension', 'trainer', 'main.ts');

interface Child {
  proc: ChildProcess;
  messages: TrainerToHost[];
  invalid: unknown[];
  stderr: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first message satisfying `pred`. */
  waitFor(pred: (m: TrainerToHost) => boolean, timeoutMs?: number): Promise<TrainerToHost>;
}

function startChild(): Child {
  const proc = fork(MAIN, [], { cwd: REPO, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const messages: TrainerToHost[] = [];
  const invalid: unknown[] = [];
  const stderr: string[] = [];
  const waiters: { pred: (m: TrainerToHost) => boolean; resolve: (m: TrainerToHost) => void }[] = [];
  proc.stderr!.on('data', (d) => stderr.push(String(d)));
  proc.stdout!.resume();
  proc.on('message', (m) => {
    if (!isTrainerToHost(m)) {
      invalid.push(m);
      return;
    }
    messages.push(m);
    for (const w of waiters.splice(0)) {
      if (w.pred(m)) w.resolve(m);
      else waiters.push(w);
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    messages,
    invalid,
    stderr,
    exit,
    waitFor(pred, timeoutMs = 60_000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out; got ${messages.map((m) => m.type).join(',')}; stderr: ${stderr.join('')}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
      });
    },
  };
}

function request(outDir: string, configName: 'tiny' | 'long', epochs = 20): StartRunRequest {
  return {
    type: 'start',
    experiment: 'unit-tiny',
    experimentFile: null,
    configName,
    runName: configName,
    sweepValues: null,
    config: tinyConfig(configName, epochs),
    outDir,
    backend: 'cpu',
  };
}

/** The records of a message (the child coalesces them into `records` messages). */
const recordsOf = (m: TrainerToHost) => (m.type === 'record' ? [m.record] : m.type === 'records' ? m.records : []);
const epochAtLeast = (n: number) => (m: TrainerToHost) => recordsOf(m).some((r) => r.type === 'epoch' && r.epoch >= n);

test('trainer child: start → started, every record, done(completed), exit 0; the directory matches the messages', async () => {
  const { dir, cleanup } = tempDir('child-ok');
  try {
    const c = startChild();
    c.proc.send(request(dir, 'tiny', 12));
    const { code } = await c.exit;
    assert.equal(code, 0, c.stderr.join(''));
    assert.deepEqual(c.invalid, []);
    const types = c.messages.map((m) => m.type);
    assert.equal(types[0], 'started');
    assert.equal(types.filter((t) => t === 'done').length, 1);
    assert.ok(!types.includes('error'));
    const started = c.messages[0] as Extract<TrainerToHost, { type: 'started' }>;
    const done = c.messages.find((m) => m.type === 'done') as Extract<TrainerToHost, { type: 'done' }>;
    assert.equal(done.run.status, 'completed');
    assert.equal(done.run.epochsCompleted, 12);
    assert.equal(done.run.backend, 'cpu');
    assert.ok(done.run.versions['tfjs-core'] && done.run.versions.node && done.run.versions['training-dynamics']);

    const disk = await readRun(started.runDir);
    assert.deepEqual(disk.run, done.run);
    const sent = c.messages.flatMap(recordsOf);
    // Coalesced: far fewer messages than records, and every record before done.
    assert.ok(c.messages.filter((m) => m.type === 'records').length < sent.length / 2, 'records were not coalesced');
    assert.ok(types.lastIndexOf('records') < types.indexOf('done'), `records after done: ${types.join(' ')}`);
    assert.deepEqual(disk.records, sent);
    assert.deepEqual(disk.records.filter((r) => r.type === 'epoch').map((r) => r.epoch), Array.from({ length: 12 }, (_, i) => i + 1));
    const ckpts = disk.records.filter((r) => r.type === 'checkpoint');
    assert.deepEqual(ckpts.map((r) => r.epoch), [10, 12]);
    for (const r of ckpts) assert.ok(existsSync(path.join(started.runDir, (r as { path: string }).path)));
  } finally {
    cleanup();
  }
});

test('trainer child: a stop message mid-run ends it cleanly as stopped (state flushed, exit 0)', async () => {
  const { dir, cleanup } = tempDir('child-stop');
  try {
    const c = startChild();
    c.proc.send(request(dir, 'long'));
    await c.waitFor(epochAtLeast(5));
    c.proc.send({ type: 'stop' });
    const { code } = await c.exit;
    assert.equal(code, 0, c.stderr.join(''));
    const done = c.messages.find((m) => m.type === 'done') as Extract<TrainerToHost, { type: 'done' }>;
    assert.equal(done.run.status, 'stopped');
    assert.equal(done.run.reason, 'stopped by user');
    assert.ok(done.run.epochsCompleted >= 5 && done.run.epochsCompleted < 200000);
    const started = c.messages[0] as Extract<TrainerToHost, { type: 'started' }>;
    const disk = await readRun(started.runDir);
    assert.equal(disk.run.status, 'stopped');
    assert.equal(disk.run.epochsCompleted, done.run.epochsCompleted);
    const lastEpoch = disk.records.filter((r) => r.type === 'epoch').pop()!;
    assert.equal(lastEpoch.epoch, done.run.epochsCompleted);
    // atEnd: a checkpoint of the epoch where it stopped.
    const ck = path.join(started.runDir, 'checkpoints', `epoch-${String(done.run.epochsCompleted).padStart(6, '0')}.safetensors`);
    assert.equal(decodeSafetensorsFile(ck).metadata?.epoch, String(done.run.epochsCompleted));
  } finally {
    cleanup();
  }
});

test('trainer child: SIGTERM and parent disconnect both stop the run cleanly', async () => {
  const { dir, cleanup } = tempDir('child-term');
  try {
    for (const how of ['SIGTERM', 'disconnect'] as const) {
      const c = startChild();
      c.proc.send(request(dir, 'long'));
      const started = (await c.waitFor((m) => m.type === 'started')) as Extract<TrainerToHost, { type: 'started' }>;
      await c.waitFor(epochAtLeast(3));
      if (how === 'SIGTERM') c.proc.kill('SIGTERM');
      else c.proc.disconnect();
      const { code, signal } = await c.exit;
      assert.equal(signal, null, how);
      assert.equal(code, 0, `${how}: ${c.stderr.join('')}`);
      const disk = await readRun(started.runDir);
      assert.equal(disk.run.status, 'stopped', how);
      assert.ok(disk.run.endedAt, how);
      assert.ok(disk.records.length > 0, how);
    }
  } finally {
    cleanup();
  }
});

test('trainer child: SIGKILL leaves a readable directory marked running; markInterrupted then marks it failed', async () => {
  const { dir, cleanup } = tempDir('child-kill');
  try {
    const c = startChild();
    c.proc.send(request(dir, 'long'));
    const started = (await c.waitFor((m) => m.type === 'started')) as Extract<TrainerToHost, { type: 'started' }>;
    await c.waitFor(epochAtLeast(8));
    c.proc.kill('SIGKILL');
    const { signal } = await c.exit;
    assert.equal(signal, 'SIGKILL');
    const disk = await readRun(started.runDir);
    assert.equal(disk.run.status, 'running');
    const epochs = disk.records.filter((r) => r.type === 'epoch').map((r) => r.epoch);
    assert.ok(epochs.length >= 8, `only ${epochs.length} epoch records survived`);
    // Every line but possibly the last is a complete record.
    const lines = readFileSync(path.join(started.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean);
    lines.slice(0, -1).forEach((l) => assert.ok(isMetricsRecord(JSON.parse(l))));

    const run = await markInterrupted(started.runDir, 'interrupted: the trainer process was killed (SIGKILL)');
    assert.equal(run.status, 'failed');
    assert.equal(run.epochsCompleted, Math.max(...epochs));
    assert.equal((await readRun(started.runDir)).run.reason, 'interrupted: the trainer process was killed (SIGKILL)');
  } finally {
    cleanup();
  }
});

test('trainer child: an invalid first message gets an error message and exit code 2', async () => {
  const c = startChild();
  c.proc.send({ type: 'start', experiment: 'x' });
  const { code } = await c.exit;
  assert.equal(code, 2);
  const err = c.messages.find((m) => m.type === 'error') as Extract<TrainerToHost, { type: 'error' }>;
  assert.match(err.message, /invalid message/);
  assert.equal(err.runDir, null);
});

test('trainer child: a run directory that cannot be created → error naming it, exit 1, nothing written', async () => {
  const { dir, cleanup } = tempDir('child-baddir');
  try {
    const blocker = path.join(dir, 'a-file');
    writeFileSync(blocker, '');
    const c = startChild();
    c.proc.send(request(path.join(blocker, 'runs'), 'tiny', 3));
    const { code } = await c.exit;
    assert.equal(code, 1);
    const err = c.messages.find((m) => m.type === 'error') as Extract<TrainerToHost, { type: 'error' }>;
    assert.match(err.message, /^cannot create a run directory in .*a-file/);
    assert.ok(!c.messages.some((m) => m.type === 'started'));
  } finally {
    cleanup();
  }
});
