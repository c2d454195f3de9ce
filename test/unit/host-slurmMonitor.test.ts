/**
 * The Slurm monitor: finds the arrays' manifests under the runs roots, asks Slurm (sacct, else squeue) only
 * while a task has not ended, and marks a dead task's run that still says `running` failed with Slurm's reason
 * (at the second look that reports it ended), then stops asking.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RunEntry } from '../../extension/engine/runs';
import type { CommandResult, SlurmManifest } from '../../extension/engine/sweep';
import type { RunJson } from '../../extension/shared/protocol';
import { SlurmMonitor } from '../../extension/host/slurmMonitor';
import { tempDir } from './runs-fixture';

const ok = (stdout: string): CommandResult => ({ code: 0, stdout, stderr: '', missing: false });

test('arrays are followed from their manifests until every task ended; a silently killed task’s run is marked failed with Slurm’s reason', async () => {
  const { dir, cleanup } = tempDir('slurm-monitor');
  try {
    const root = path.join(dir, 'runs');
    mkdirSync(path.join(root, 'exp', '.slurm'), { recursive: true });
    const submittedAt = new Date(Date.now() - 60_000).toISOString();
    const manifest: SlurmManifest = {
      kind: 'training-dynamics/slurm-array',
      jobId: '31',
      experiment: 'exp',
      experimentFile: '/x/exp.experiment.json',
      submittedAt,
      points: [0, 1].map((seed) => ({ task: seed, runName: `s_seed=${seed}`, configName: 's', sweepValues: { 'training.seed': seed } })),
    };
    writeFileSync(path.join(root, 'exp', '.slurm', 'job-31.json'), JSON.stringify(manifest));
    writeFileSync(path.join(root, 'exp', '.slurm', 'job-32.json'), '{ "not": "a manifest" }');
    const started = new Date(Date.now() - 30_000).toISOString();
    const run = (seed: number, status: RunJson['status']): RunEntry => ({
      runDir: `/runs/exp/s_seed=${seed}`,
      run: { experiment: 'exp', configName: 's', sweepValues: { 'training.seed': seed }, startedAt: started, status, reason: null } as unknown as RunJson,
    });
    let entries: RunEntry[] = [run(0, 'running'), run(1, 'running')];
    let answer = '31_0|RUNNING|None\n31_1|RUNNING|None\n';
    const asked: string[] = [];
    const marked: [string, string][] = [];
    let refreshed = 0;
    const m = new SlurmMonitor({
      roots: () => [root],
      entries: () => entries,
      refreshIndex: async () => void refreshed++,
      markFailed: async (runDir, reason) => {
        marked.push([runDir, reason]);
        entries = entries.map((e) => (e.runDir === runDir ? { ...e, run: { ...e.run, status: 'failed', reason } } : e));
      },
      log: () => {},
      run: async (cmd) => {
        asked.push(cmd);
        return cmd === 'sacct' ? { code: 1, stdout: '', stderr: 'sacct: error: Slurm accounting storage is disabled', missing: false } : ok(answer);
      },
      intervalMs: 60_000,
    });
    let changes = 0;
    m.onDidChange(() => changes++);

    await m.poll();
    assert.equal(m.arrays.length, 1, 'the file that is not a manifest is ignored');
    assert.equal(m.arrays[0].summary, '2 running · 0 pending · 0 completed');
    assert.deepEqual(m.arrays[0].tasks.map((t) => t.entry?.runDir), ['/runs/exp/s_seed=0', '/runs/exp/s_seed=1']);
    assert.deepEqual(asked, ['sacct', 'squeue'], 'sacct first; squeue where accounting is off');
    assert.ok(changes >= 1);

    // Task 0 completes on its own; task 1 is killed (SIGKILL): its run.json still says running.
    entries = [{ ...run(0, 'completed') }, run(1, 'running')];
    answer = '31_0|COMPLETED|None\n31_1|FAILED|NonZeroExitCode\n';
    await m.poll();
    assert.deepEqual(marked, [], 'not at the first look that reports it ended');
    assert.equal(m.active.length, 1);
    await m.poll();
    assert.deepEqual(marked, [['/runs/exp/s_seed=1', 'Slurm job 31_1 FAILED NonZeroExitCode']]);
    assert.equal(refreshed, 1);
    assert.equal(m.arrays[0].summary, '0 running · 0 pending · 1 completed · 1 failed');
    assert.deepEqual(asked.slice(2), ['squeue', 'squeue'], 'sacct is not asked again once it failed');
    await m.poll();
    assert.equal(m.active.length, 0, 'every task ended and no run is left to repair');
    const n = asked.length;
    await m.poll();
    assert.equal(asked.length, n, 'an ended array is not asked about again');
    assert.equal(marked.length, 1);
    // A run the index sees only after the array ended (the runs folder lags behind) still joins its task.
    entries = entries.map((e) => (e.runDir === '/runs/exp/s_seed=0' ? { runDir: '/runs/exp/s_seed=0-later', run: { ...e.run, startedAt: new Date().toISOString() } } : e));
    await m.poll();
    assert.equal(m.arrays[0].tasks[0].entry?.runDir, '/runs/exp/s_seed=0-later');
    assert.equal(asked.length, n);
    m.dispose();
  } finally {
    cleanup();
  }
});

test('an array Slurm does not know: asked again shortly after submission, given up on when old; no Slurm at all is a problem in words', async () => {
  const { dir, cleanup } = tempDir('slurm-monitor2');
  try {
    const root = path.join(dir, 'runs');
    mkdirSync(path.join(root, 'exp', '.slurm'), { recursive: true });
    const write = (job: string, ageMs: number) =>
      writeFileSync(
        path.join(root, 'exp', '.slurm', `job-${job}.json`),
        JSON.stringify({ kind: 'training-dynamics/slurm-array', jobId: job, experiment: 'exp', experimentFile: '/x', submittedAt: new Date(Date.now() - ageMs).toISOString(), points: [{ task: 0, runName: 's', configName: 's', sweepValues: null }] }),
      );
    write('5', 3_600_000);
    write('6', 1_000);
    const m = new SlurmMonitor({ roots: () => [root], entries: () => [], refreshIndex: async () => {}, markFailed: async () => {}, log: () => {}, run: async () => ok(''), intervalMs: 60_000 });
    await m.poll();
    const byJob = new Map(m.arrays.map((a) => [a.manifest.jobId, a]));
    assert.equal(byJob.get('5')?.ended, true);
    assert.equal(byJob.get('5')?.summary, 'no longer known to Slurm');
    assert.equal(byJob.get('6')?.ended, false, 'just submitted: accounting may not know it yet');
    m.dispose();

    const none = new SlurmMonitor({
      roots: () => [root],
      entries: () => [],
      refreshIndex: async () => {},
      markFailed: async () => {},
      log: () => {},
      run: async () => ({ code: null, stdout: '', stderr: '', missing: true }),
    });
    await none.poll();
    assert.match(none.problem ?? '', /sacct is not installed; squeue is not installed/);
    none.dispose();
  } finally {
    cleanup();
  }
});
