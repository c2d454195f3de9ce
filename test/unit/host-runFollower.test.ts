/**
 * The panels' run source follows a run written by another process (RunWriter here, as the CLI or a Slurm task
 * writes it): after a snapshot, each new complete line of metrics.jsonl is one record event, a half-written
 * line waits for its end, run.json changes are run events, and it stops following when the run ends. Runs of
 * this window go to the run manager.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { RunWriter, type NewRunInfo } from '../../extension/engine/runs';
import type { EpochRecord, MetricsRecord, RunJson, RunSnapshot } from '../../extension/shared/protocol';
import { Emitter } from '../../extension/host/emitter';
import { FollowingRunSource, type LiveRuns } from '../../extension/host/runFollower';
import type { RunChangeEvent, RunRecordEvent } from '../../extension/host/runSource';
import { tempDir, tinyConfig } from './runs-fixture';

function info(runName: string): NewRunInfo {
  const config = tinyConfig();
  return { experiment: 'exp', experimentFile: null, configName: runName, runName, sweepValues: null, config, backend: 'cpu', versions: {}, totalEpochs: config.training.epochs };
}

function epoch(n: number): EpochRecord {
  return { type: 'epoch', epoch: n, t: n, lr: 0.01, trainLoss: 1 / n, testLoss: 2 / n, trainAcc: 0.5, testAcc: 0.1, trainR2: null, testR2: null, gradNorms: {}, weightNorms: {}, updateRatios: {} };
}

function fakeLive(activeDir: string | null = null) {
  const records = new Emitter<RunRecordEvent>();
  const runs = new Emitter<RunChangeEvent>();
  const stopped: string[] = [];
  const live: LiveRuns = {
    isActive: (d) => d === activeDir,
    readRun: async (d): Promise<RunSnapshot> => ({ runDir: d, run: { status: 'running' } as RunJson, records: [epoch(99)] }),
    onDidRecord: records.event as LiveRuns['onDidRecord'],
    onDidChangeRun: runs.event as LiveRuns['onDidChangeRun'],
    stop: (d) => void stopped.push(d),
  };
  return { live, records, runs, stopped };
}

test('a run written by another process: snapshot, then each new complete line once, run.json changes, and no more once it ended', async () => {
  const { dir, cleanup } = tempDir('follow');
  const { live } = fakeLive();
  const src = new FollowingRunSource(live, 60_000);
  try {
    const w = RunWriter.create(path.join(dir, 'exp'), info('tiny'));
    w.append(epoch(1));
    w.append(epoch(2));
    const got: MetricsRecord[] = [];
    const changes: RunJson[] = [];
    src.onDidRecord((e) => e.runDir === w.runDir && got.push(...e.records));
    src.onDidChangeRun((e) => e.runDir === w.runDir && changes.push(e.run));

    const snap = await src.readRun(w.runDir);
    assert.deepEqual(snap.records.map((r) => (r as EpochRecord).epoch), [1, 2]);
    assert.equal(snap.run.status, 'running');
    assert.deepEqual(src.followed, [w.runDir]);
    await src.tick();
    assert.equal(got.length, 0, 'nothing new yet');

    w.append(epoch(3));
    // A line being written: only its complete part counts.
    const metrics = path.join(w.runDir, 'metrics.jsonl');
    const line = JSON.stringify(epoch(4)) + '\n';
    appendFileSync(metrics, line.slice(0, 20));
    await src.tick();
    assert.deepEqual(got.map((r) => (r as EpochRecord).epoch), [3]);
    appendFileSync(metrics, line.slice(20));
    await src.tick();
    assert.deepEqual(got.map((r) => (r as EpochRecord).epoch), [3, 4]);

    // A second reader (the other panel) gets a full snapshot; nothing is delivered twice.
    w.append(epoch(5));
    const again = await src.readRun(w.runDir);
    assert.deepEqual(again.records.map((r) => (r as EpochRecord).epoch), [1, 2, 3, 4, 5]);
    assert.deepEqual(got.map((r) => (r as EpochRecord).epoch), [3, 4, 5], 'the first reader got epoch 5 as an event');
    await src.tick();
    assert.deepEqual(got.map((r) => (r as EpochRecord).epoch), [3, 4, 5]);

    w.append(epoch(6));
    w.finish('completed', null, null, 6);
    await src.tick();
    assert.deepEqual(got.map((r) => (r as EpochRecord).epoch), [3, 4, 5, 6]);
    assert.equal(changes.at(-1)?.status, 'completed');
    assert.deepEqual(src.followed, [], 'an ended run is not followed');

    // A finished run read later is not followed at all.
    await src.readRun(w.runDir);
    assert.deepEqual(src.followed, []);
  } finally {
    src.dispose();
    cleanup();
  }
});

test('runs of this window come from the run manager; a followed run whose folder goes is dropped', async () => {
  const { dir, cleanup } = tempDir('follow2');
  const mine = path.join(dir, 'exp', 'mine');
  const { live, records, stopped } = fakeLive(mine);
  const src = new FollowingRunSource(live, 60_000);
  try {
    const snap = await src.readRun(mine);
    assert.deepEqual(snap.records.map((r) => (r as EpochRecord).epoch), [99]);
    const got: string[] = [];
    src.onDidRecord((e) => got.push(e.runDir));
    records.fire({ runDir: mine, records: [epoch(1)] });
    assert.deepEqual(got, [mine], 'the manager’s events pass through');
    src.stop(mine);
    assert.deepEqual(stopped, [mine]);

    const w = RunWriter.create(path.join(dir, 'exp'), info('other'));
    await src.readRun(w.runDir);
    assert.deepEqual(src.followed, [w.runDir]);
    w.close();
    rmSync(w.runDir, { recursive: true, force: true });
    await src.tick();
    assert.deepEqual(src.followed, []);
  } finally {
    src.dispose();
    cleanup();
  }
});
