import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import {
  RunWriter,
  checkpointRelPath,
  findWorkspaceRoot,
  listRuns,
  markInterrupted,
  parseMetrics,
  parseMetricsYielding,
  readRun,
  runTimestamp,
  safeName,
  writerAlive,
  processStart,
  type NewRunInfo,
} from '../../extension/engine/runs';
import { isRunJson, type EpochRecord, type MetricsRecord } from '../../extension/shared/protocol';
import { decodeSafetensorsFile, tempDir, tinyConfig } from './runs-fixture';

function info(runName: string, experiment = 'exp'): NewRunInfo {
  const config = tinyConfig();
  return {
    experiment,
    experimentFile: '/x/exp.experiment.json',
    configName: runName,
    runName,
    sweepValues: null,
    config,
    backend: 'cpu',
    versions: { node: process.versions.node },
    totalEpochs: config.training.epochs,
  };
}

function epochRecord(epoch: number, trainAcc = 0.5): EpochRecord {
  return {
    type: 'epoch',
    epoch,
    t: epoch * 10,
    lr: 0.01,
    trainLoss: 1 / epoch,
    testLoss: 2 / epoch,
    trainAcc,
    testAcc: 0.1,
    trainR2: null,
    testR2: null,
    gradNorms: { 'layers.0.kernel': 0.5 / epoch },
    weightNorms: { 'layers.0.kernel': 3 },
    updateRatios: { 'layers.0.kernel': 0.01 },
  };
}

test('runTimestamp is UTC YYYYMMDD-HHMMSS-mmm and safeName keeps one path component', () => {
  assert.equal(runTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67))), '20260102-030405-067');
  assert.equal(safeName('a/b\\c d'), 'a_b_c_d');
  assert.equal(safeName('..'), '_');
  assert.equal(safeName('.hidden'), '_hidden');
  assert.equal(checkpointRelPath(42), 'checkpoints/epoch-000042.safetensors');
});

test('RunWriter → readRun round trip (run.json, every record in order, final status)', async () => {
  const { dir, cleanup } = tempDir('rw');
  try {
    const when = new Date(Date.UTC(2026, 10, 25, 1, 2, 3, 4));
    const w = RunWriter.create(path.join(dir, 'exp'), info('tiny'), when);
    assert.equal(path.basename(w.runDir), 'tiny-20261125-010203-004');
    assert.equal(w.run.id, 'tiny-20261125-010203-004');
    const early = JSON.parse(readFileSync(path.join(w.runDir, 'run.json'), 'utf8'));
    assert.ok(isRunJson(early));
    assert.equal(early.status, 'running');
    assert.equal(early.startedAt, when.toISOString());

    const records: MetricsRecord[] = [
      epochRecord(1),
      epochRecord(2, 1),
      { type: 'event', epoch: 2, event: { kind: 'memorization', epoch: 2 } },
      { type: 'checkpoint', epoch: 2, path: checkpointRelPath(2) },
    ];
    for (const r of records) w.append(r);
    // Appended as they come: on disk before finish.
    assert.equal(readFileSync(path.join(w.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 4);
    const run = w.finish('completed', null, null, 2);
    assert.equal(run.status, 'completed');
    assert.ok(run.endedAt);

    const back = await readRun(w.runDir);
    assert.deepEqual(back.records, records);
    assert.equal(back.run.status, 'completed');
    assert.equal(back.run.epochsCompleted, 2);
    assert.deepEqual(back.run.config, w.run.config);
    assert.throws(() => w.append(epochRecord(3)), /closed/);
    // No temp files left behind by the atomic rewrites.
    assert.deepEqual(
      require('node:fs').readdirSync(w.runDir).filter((f: string) => f.endsWith('.tmp')),
      [],
    );
  } finally {
    cleanup();
  }
});

test('readRun tolerates a truncated last line and skips lines that are not records', async () => {
  const { dir, cleanup } = tempDir('trunc');
  try {
    const w = RunWriter.create(dir, info('tiny'));
    w.append(epochRecord(1));
    w.append(epochRecord(2));
    w.close();
    const file = path.join(w.runDir, 'metrics.jsonl');
    const full = JSON.stringify(epochRecord(3));
    appendFileSync(file, full.slice(0, Math.floor(full.length / 2)));
    let back = await readRun(w.runDir);
    assert.deepEqual(back.records.map((r) => r.epoch), [1, 2]);
    assert.equal(back.run.status, 'running');

    appendFileSync(file, '\n{"type":"epoch","epoch":"nope"}\n' + JSON.stringify(epochRecord(4)) + '\n');
    back = await readRun(w.runDir);
    assert.deepEqual(back.records.map((r) => r.epoch), [1, 2, 4]);
    assert.equal(parseMetrics('{"type":"epoch"\n').skipped, 1);
  } finally {
    cleanup();
  }
});

test('readRun refuses a directory without a valid run.json, naming the file', async () => {
  const { dir, cleanup } = tempDir('bad');
  try {
    await assert.rejects(readRun(dir), /run\.json.*ENOENT/);
    writeFileSync(path.join(dir, 'run.json'), '{"formatVersion":1}');
    await assert.rejects(readRun(dir), /not a training-dynamics run\.json/);
    writeFileSync(path.join(dir, 'run.json'), '{');
    await assert.rejects(readRun(dir), /not valid JSON/);
  } finally {
    cleanup();
  }
});

test('two runs started in the same millisecond get distinct directories', () => {
  const { dir, cleanup } = tempDir('same');
  try {
    const when = new Date(Date.UTC(2026, 0, 1));
    const a = RunWriter.create(dir, info('tiny'), when);
    const b = RunWriter.create(dir, info('tiny'), when);
    a.close();
    b.close();
    assert.notEqual(a.runDir, b.runDir);
    assert.equal(path.basename(b.runDir), `${path.basename(a.runDir)}-2`);
  } finally {
    cleanup();
  }
});

test('writeCheckpoint writes safetensors with the tensors as given and the run metadata', () => {
  const { dir, cleanup } = tempDir('ckpt');
  try {
    const w = RunWriter.create(path.join(dir, 'exp'), info('tiny'));
    const rec = epochRecord(10, 0.75);
    w.append(rec);
    const kernel = new Float32Array([1, 2, 3, 4, 5, 6]);
    const bias = new Float32Array([-0.5, 0.25, 1e-8]);
    const rel = w.writeCheckpoint(10, [
      { name: 'layers.0.kernel', shape: [2, 3], data: kernel },
      { name: 'layers.0.bias', shape: [3], data: bias },
    ]);
    w.finish('completed', null, null);
    assert.equal(rel, 'checkpoints/epoch-000010.safetensors');
    const st = decodeSafetensorsFile(path.join(w.runDir, rel));
    assert.deepEqual(st.tensors['layers.0.kernel'].shape, [2, 3]);
    assert.equal(st.tensors['layers.0.kernel'].dtype, 'F32');
    assert.deepEqual([...st.tensors['layers.0.kernel'].data], [...kernel]);
    assert.deepEqual([...st.tensors['layers.0.bias'].data], [...bias]);
    const m = st.metadata!;
    assert.equal(m.format, 'training-dynamics/1');
    assert.equal(m.epoch, '10');
    assert.deepEqual(JSON.parse(m.config), w.run.config);
    assert.deepEqual(JSON.parse(m.metrics), rec);
    assert.equal(m.experiment, 'exp');
    assert.equal(m.runName, 'tiny');
    assert.equal(m.runDir, w.runDir);
    assert.equal(m.experimentFile, '/x/exp.experiment.json');
    for (const v of Object.values(m)) assert.equal(typeof v, 'string');
  } finally {
    cleanup();
  }
});

test('listRuns lists every run newest first and skips folders that are not runs', async () => {
  const { dir, cleanup } = tempDir('list');
  try {
    assert.deepEqual(await listRuns(path.join(dir, 'missing')), []);
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m));
    const made = [
      RunWriter.create(path.join(dir, 'exp-a'), info('one', 'exp-a'), at(5)),
      RunWriter.create(path.join(dir, 'exp-b'), info('one', 'exp-b'), at(30)),
      RunWriter.create(path.join(dir, 'exp-a'), info('two', 'exp-a'), at(10)),
      RunWriter.create(path.join(dir, 'exp-a'), info('one', 'exp-a'), at(20)),
    ];
    for (const w of made) w.close();
    mkdirSync(path.join(dir, 'exp-a', 'junk'));
    mkdirSync(path.join(dir, 'exp-a', 'broken'));
    writeFileSync(path.join(dir, 'exp-a', 'broken', 'run.json'), 'not json');
    writeFileSync(path.join(dir, 'stray-file'), '');

    const list = await listRuns(dir);
    assert.deepEqual(
      list.map((e) => `${e.run.experiment}/${e.run.runName}@${e.run.startedAt.slice(14, 16)}`),
      ['exp-b/one@30', 'exp-a/one@20', 'exp-a/two@10', 'exp-a/one@05'],
    );
    assert.equal(list[0].runDir, made[1].runDir);
  } finally {
    cleanup();
  }
});

test('markInterrupted marks a running run failed with its reason and rebuilds progress from metrics', async () => {
  const { dir, cleanup } = tempDir('interrupt');
  try {
    const w = RunWriter.create(dir, info('tiny'));
    w.append(epochRecord(1));
    w.append(epochRecord(2));
    w.append(epochRecord(3, 1));
    w.append({ type: 'event', epoch: 3, event: { kind: 'memorization', epoch: 3 } });
    w.close(); // like a killed process: run.json may still say epochsCompleted 0 or 1
    const before = await readRun(w.runDir);
    assert.equal(before.run.status, 'running');

    const run = await markInterrupted(w.runDir, 'interrupted: the trainer process was killed (SIGKILL)');
    assert.equal(run.status, 'failed');
    assert.equal(run.reason, 'interrupted: the trainer process was killed (SIGKILL)');
    assert.equal(run.epochsCompleted, 3);
    assert.equal(run.summary?.memorizationEpoch, 3);
    assert.equal(run.summary?.final?.trainAcc, 1);
    assert.ok(run.endedAt);
    const after = await readRun(w.runDir);
    assert.deepEqual(after.run, run);
    assert.equal(after.records.length, 4);

    // A run that already ended is left as it is.
    const again = await markInterrupted(w.runDir, 'something else');
    assert.equal(again.reason, 'interrupted: the trainer process was killed (SIGKILL)');
  } finally {
    cleanup();
  }
});

test('findWorkspaceRoot: nearest ancestor with .git/.vscode/package.json, else the file folder', () => {
  const { dir, cleanup } = tempDir('ws');
  try {
    const deep = path.join(dir, 'proj', 'sub', 'deeper');
    mkdirSync(deep, { recursive: true });
    mkdirSync(path.join(dir, 'proj', '.vscode'));
    const file = path.join(deep, 'x.experiment.json');
    writeFileSync(file, '{}');
    assert.equal(findWorkspaceRoot(file), path.join(dir, 'proj'));
    writeFileSync(path.join(dir, 'proj', 'sub', 'package.json'), '{}');
    assert.equal(findWorkspaceRoot(file), path.join(dir, 'proj', 'sub'));
    assert.ok(existsSync(file));
  } finally {
    cleanup();
  }
});

test('run.json names its writing process; writerAlive tells a live one from a gone one on this host only', async () => {
  const { dir, cleanup } = tempDir('writer');
  try {
    const w = RunWriter.create(dir, info('alive'));
    const run = JSON.parse(readFileSync(path.join(w.runDir, 'run.json'), 'utf8'));
    assert.equal(run.writer.pid, process.pid);
    assert.equal(writerAlive(run.writer), true);
    assert.equal(writerAlive({ ...run.writer, host: `${run.writer.host}-elsewhere` }), null, 'another host cannot be asked');
    assert.equal(writerAlive(undefined), null, 'older run.json files name no process');
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.on('exit', r));
    assert.equal(writerAlive({ pid: child.pid!, host: run.writer.host }), false);
    // A pid given to another process after the writer's end: its start time tells them apart (where /proc tells it).
    if (processStart(process.pid) !== null) {
      assert.match(run.writer.start, /^\d+$/);
      assert.equal(processStart(process.pid), run.writer.start, 'stable for one process');
      assert.equal(writerAlive({ ...run.writer, start: String(Number(run.writer.start) + 1) }), false, 'a reused pid is not the writer');
      assert.equal(writerAlive({ pid: run.writer.pid, host: run.writer.host }), true, 'older run.json files name no start time');
    }
    w.finish('completed', null, null);
  } finally {
    cleanup();
  }
});

test('parseMetricsYielding: the same records as parseMetrics, with the event loop handed back while a long file is parsed', async () => {
  const lines: string[] = [];
  for (let e = 1; e <= 60_000; e++) lines.push(JSON.stringify(epochRecord(e)));
  lines.splice(100, 0, '{"type":"epoch"');
  const text = lines.join('\n') + '\n';
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const t0 = performance.now();
  const got = await parseMetricsYielding(text, 5);
  const ms = performance.now() - t0;
  clearInterval(timer);
  const want = parseMetrics(text);
  assert.equal(got.skipped, 1);
  assert.equal(got.records.length, 60_000);
  assert.deepEqual(got.records[59_999], want.records[59_999]);
  assert.ok(ticks >= Math.min(5, ms / 50), `a 1 ms timer ran ${ticks} times during ${ms.toFixed(0)} ms of parsing`);
});
