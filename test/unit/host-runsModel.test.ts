import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeRun, groupRuns, isStaleRunning, latestRunOf, latestSweepRuns, runTreeLabels, shortDescription, statusIcon, withLiveRuns } from '../../extension/host/runsModel';
import type { RunEntry } from '../../extension/engine/runs';
import { timeText } from '../../extension/shared/runLabels';
import { RunQueue } from '../../extension/host/runQueue';
import { classifyExit } from '../../extension/host/runOutcome';
import type { RunJson, RunSummary } from '../../extension/shared/protocol';

function run(over: Partial<RunJson>): RunJson {
  return {
    formatVersion: 1, id: 'x', experiment: 'exp', experimentFile: null, configName: 'a', runName: 'a', sweepValues: null,
    config: {} as RunJson['config'], status: 'completed', reason: null, backend: 'cpu', versions: {},
    startedAt: '2026-01-01T00:00:00.000Z', endedAt: null, epochsCompleted: 10, totalEpochs: 10, summary: null, ...over,
  };
}
const entry = (runDir: string, over: Partial<RunJson>): RunEntry => ({ runDir, run: run(over) });

const entries = [
  entry('/r/exp/a-1', { startedAt: '2026-01-01T00:00:01Z' }),
  entry('/r/exp/a-2', { startedAt: '2026-01-01T00:00:03Z' }),
  entry('/r/exp/b-1', { configName: 'b', runName: 'b', startedAt: '2026-01-01T00:00:02Z' }),
  entry('/r/other/a-1', { experiment: 'other', startedAt: '2026-01-01T00:00:09Z' }),
  entry('/r/exp/a_lr=1-1', { runName: 'a_lr=1', startedAt: '2026-01-01T00:00:04Z' }),
];

test('runs are grouped by experiment, alphabetically, newest run first', () => {
  const g = groupRuns(entries);
  assert.deepEqual(g.map((x) => x.experiment), ['exp', 'other']);
  assert.deepEqual(g[0].runs.map((r) => r.runDir), ['/r/exp/a_lr=1-1', '/r/exp/a-2', '/r/exp/b-1', '/r/exp/a-1']);
});

test('latest run of a config and of each sweep point', () => {
  assert.equal(latestRunOf(entries, 'exp', 'a')?.runDir, '/r/exp/a_lr=1-1');
  assert.equal(latestRunOf(entries, 'exp', 'b')?.runDir, '/r/exp/b-1');
  assert.equal(latestRunOf(entries, 'exp', 'zzz'), undefined);
  assert.deepEqual(latestSweepRuns(entries, 'exp', ['a', 'a_lr=1', 'missing']).map((e) => e.runDir), ['/r/exp/a-2', '/r/exp/a_lr=1-1']);
});

test('describeRun shows status, epochs, final test accuracy and generalization epoch', () => {
  const summary: RunSummary = {
    epochs: 3000, epochsPerSecond: 20, final: { trainLoss: 0.01, trainAcc: 1, testLoss: 0.2, testAcc: 0.9812 },
    memorizationEpoch: 200, generalizationEpoch: 1240, transitions: [], lossFits: [], bestLossFit: null,
  };
  assert.equal(describeRun(run({ epochsCompleted: 3000, totalEpochs: 3000, summary })), 'completed · 3000/3000 epochs · test acc 0.981 · generalized @ 1240');
  assert.equal(
    describeRun(run({ summary: { ...summary, generalizationEpoch: null, final: { ...summary.final!, testAcc: null } } })),
    'completed · 10/10 epochs · test loss 0.200 · never generalized',
  );
  assert.equal(describeRun(run({ status: 'running', epochsCompleted: 0, totalEpochs: 50 }), 12), 'running · 12/50 epochs');
  assert.equal(statusIcon('failed'), 'error');
  assert.equal(statusIcon('running'), 'pulse');
});

test('a running run.json is stale only when it is not ours and silent for long enough', () => {
  const r = run({ status: 'running' });
  assert.equal(isStaleRunning(r, false, 0, 60_000, 30_000), true);
  assert.equal(isStaleRunning(r, true, 0, 60_000, 30_000), false);
  assert.equal(isStaleRunning(r, false, 50_000, 60_000, 30_000), false);
  assert.equal(isStaleRunning(run({ status: 'completed' }), false, 0, 60_000, 30_000), false);
  // whether the writing process is alive, when this machine can tell, decides however long it has been silent
  assert.equal(isStaleRunning(r, false, 0, 3_600_000, 30_000, true), false);
  assert.equal(isStaleRunning(r, false, 0, 60_000, 30_000, false), true);
  assert.equal(isStaleRunning(r, false, 59_000, 60_000, 30_000, false), false, 'a process just gone: its outcome may still be written');
  assert.equal(isStaleRunning(r, false, 0, 60_000, 30_000, null), true);
  assert.equal(isStaleRunning(r, true, 0, 60_000, 30_000, false), false);
});

test('queue starts up to capacity in FIFO order and re-reads capacity', () => {
  let cap = 2;
  const q = new RunQueue<string>(() => cap);
  const ids = ['a', 'b', 'c', 'd'].map((x) => q.enqueue(x));
  assert.deepEqual(q.startNext().map((e) => e.item), ['a', 'b']);
  assert.deepEqual(q.startNext(), []);
  assert.equal(q.cancel(ids[0]), undefined, 'a running entry cannot be cancelled from the queue');
  assert.equal(q.cancel(ids[2])?.item, 'c');
  cap = 3;
  assert.deepEqual(q.startNext().map((e) => e.item), ['d']);
  assert.ok(q.finish(ids[0]));
  assert.ok(!q.finish(ids[0]));
  assert.deepEqual(q.runningEntries.map((e) => e.item), ['b', 'd']);
});

test('exit classification: done wins; error → failed; stop → stopped; crash → failed interrupted with the cause', () => {
  const base = { done: null, errorMessage: null, runDir: '/r', stopRequested: false, exitCode: 0, signal: null, spawnError: null };
  assert.deepEqual(classifyExit({ ...base, done: run({ status: 'completed' }) }), { status: 'completed', reason: null, repairRunJson: false });
  assert.equal(classifyExit({ ...base, errorMessage: 'NaN loss', exitCode: 1 }).reason, 'NaN loss');
  assert.equal(classifyExit({ ...base, stopRequested: true, signal: 'SIGKILL', exitCode: null }).status, 'stopped');
  const crash = classifyExit({ ...base, signal: 'SIGKILL', exitCode: null });
  assert.equal(crash.status, 'failed');
  assert.match(crash.reason!, /^interrupted: .*SIGKILL/);
  assert.ok(crash.repairRunJson);
  assert.match(classifyExit({ ...base, exitCode: 134 }).reason!, /code 134/);
});

import { checkpointNear, sharedSweepAxes, sweepRunsOf } from '../../extension/host/runsModel';
import { checkpointFiles } from '../../extension/engine/runs/layout';

test('sweep axes are shared only when every run is a point of the same sweep', () => {
  const a = entry('/r/1', { sweepValues: { 'optimizer.lr': 1, 'optimizer.weightDecay': 0 } });
  const b = entry('/r/2', { sweepValues: { 'optimizer.weightDecay': 1, 'optimizer.lr': 2 } });
  const c = entry('/r/3', { sweepValues: { 'optimizer.lr': 3 } });
  assert.deepEqual(sharedSweepAxes([a, b]), ['optimizer.lr', 'optimizer.weightDecay']);
  assert.equal(sharedSweepAxes([a, c]), null);
  assert.equal(sharedSweepAxes([a, entry('/r/4', {})]), null);
  assert.equal(sharedSweepAxes([]), null);
});

test('sweepRunsOf picks the newest run of each swept point of the experiment', () => {
  const runs = [
    entry('/r/p1-old', { runName: 'p1', sweepValues: { x: 1 }, startedAt: '2026-01-01T00:00:01Z' }),
    entry('/r/p1-new', { runName: 'p1', sweepValues: { x: 1 }, startedAt: '2026-01-01T00:00:05Z' }),
    entry('/r/p2', { runName: 'p2', sweepValues: { x: 2 }, startedAt: '2026-01-01T00:00:02Z' }),
    entry('/r/plain', { runName: 'a' }),
    entry('/r/other', { experiment: 'other', runName: 'p3', sweepValues: { x: 3 } }),
  ];
  assert.deepEqual(sweepRunsOf(runs, 'exp').map((e) => e.runDir).sort(), ['/r/p1-new', '/r/p2']);
});

test('checkpoint files are parsed from names and the nearest one at or before an epoch is chosen', () => {
  const files = checkpointFiles(['epoch-000100.safetensors', 'notes.txt', 'epoch-000020.safetensors', 'epoch-001000.safetensors', 'epoch-x.safetensors']);
  assert.deepEqual(files.map((f) => f.epoch), [1000, 100, 20]);
  assert.equal(checkpointNear(files, 100)?.epoch, 100);
  assert.equal(checkpointNear(files, 999)?.epoch, 100);
  assert.equal(checkpointNear(files, 5)?.epoch, 20);
  assert.equal(checkpointNear([], 5), undefined);
});

test('Runs view labels: a unique run name alone; same-named runs told apart by a changed value, else the start time', () => {
  const cfg = (lr: number) => ({ optimizer: { name: 'adamw', lr } }) as unknown as RunJson['config'];
  const list = [
    entry('/r/long-1', { runName: 'long', config: cfg(0.01), startedAt: '2026-01-01T10:00:00Z' }),
    entry('/r/long-2', { runName: 'long', config: cfg(0.01), startedAt: '2026-01-01T10:30:00Z' }),
    entry('/r/long-3', { runName: 'long', config: cfg(0.1), startedAt: '2026-01-01T11:00:00Z' }),
    entry('/r/tiny-1', { runName: 'tiny', config: cfg(0.01) }),
  ];
  const l = runTreeLabels(list);
  assert.equal(l.get('/r/tiny-1'), 'tiny');
  assert.equal(l.get('/r/long-1'), `long · lr=0.01 · ${timeText('2026-01-01T10:00:00Z', false)}`);
  assert.equal(l.get('/r/long-3'), 'long · lr=0.1');
  assert.equal(new Set(l.values()).size, 4, 'every label distinct');
});

test('Runs view description: short (the icon shows the status), with the start time', () => {
  const summary: RunSummary = {
    epochs: 3000, epochsPerSecond: 30, final: { trainLoss: 0.001, trainAcc: 1, testLoss: 0.05, testAcc: 0.981 },
    memorizationEpoch: 400, generalizationEpoch: 1240, transitions: [], lossFits: [], bestLossFit: null,
  };
  const now = new Date('2026-01-01T12:00:00');
  const started = new Date('2026-01-01T09:05:00');
  const r = run({ summary, startedAt: started.toISOString() });
  assert.equal(shortDescription(r, null, now), 'acc 0.981 · gen @1240 · 09:05');
  assert.equal(shortDescription(run({ status: 'running', epochsCompleted: 0, totalEpochs: 50, startedAt: started.toISOString() }), 12, now), 'running 12/50 · 09:05');
  assert.match(shortDescription(r, null, new Date('2026-02-01T12:00:00')), /^acc 0\.981 · gen @1240 · 2026-01-01 09:05$/);
});

test('withLiveRuns: a live run.json replaces its disk entry, live runs not on disk yet are added, runs without a directory are not', () => {
  const disk = [entry('/r/a', { runName: 'a', status: 'running', epochsCompleted: 3 }), entry('/r/b', { runName: 'b' })];
  const liveA = run({ runName: 'a', status: 'running', epochsCompleted: 9 });
  const liveC = run({ runName: 'c', status: 'running' });
  const merged = withLiveRuns(disk, [{ runDir: '/r/a', run: liveA }, { runDir: '/r/c', run: liveC }, { runDir: null, run: null }]);
  assert.deepEqual(merged.map((e) => e.runDir), ['/r/a', '/r/b', '/r/c']);
  assert.equal(merged[0].run.epochsCompleted, 9);
  assert.equal(merged[1], disk[1]);
});
