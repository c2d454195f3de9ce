import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunsIndex } from '../../extension/host/runsIndex';
import { createApi } from '../../extension/host/api';
import type { RunManager } from '../../extension/host/runManager';
import type { RunEntry } from '../../extension/engine/runs';
import type { RunJson } from '../../extension/shared/protocol';
import { Emitter } from '../../extension/host/emitter';

function run(id: string, status: RunJson['status']): RunJson {
  return {
    formatVersion: 1, id, experiment: 'exp', experimentFile: null, configName: 'a', runName: 'a', sweepValues: null,
    config: {} as RunJson['config'], status, reason: null, backend: 'cpu', versions: {},
    startedAt: '2026-01-01T00:00:00Z', endedAt: null, epochsCompleted: 1, totalEpochs: 10, summary: null,
  };
}

const root = mkdtempSync(join(tmpdir(), 'td-index-'));
function runDir(name: string, ageMs: number): string {
  const dir = join(root, 'exp', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), '{}');
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(join(dir, 'run.json'), t, t);
  return dir;
}

test('refresh marks silent running runs without a process as interrupted, and nothing else', async () => {
  const stale = runDir('stale', 120_000);
  const fresh = runDir('fresh', 0);
  const ours = runDir('ours', 120_000);
  const done = runDir('done', 120_000);
  const entries: RunEntry[] = [
    { runDir: stale, run: run('stale', 'running') },
    { runDir: fresh, run: run('fresh', 'running') },
    { runDir: ours, run: run('ours', 'running') },
    { runDir: done, run: run('done', 'completed') },
  ];
  const marked: string[] = [];
  let changes = 0;
  const index = new RunsIndex({
    roots: () => [root],
    listRuns: async () => entries.map((e) => ({ ...e })),
    isOurs: (d) => d === ours,
    markInterrupted: async (d, reason) => { marked.push(d); return { ...run('x', 'failed'), reason }; },
    log: () => {},
    staleMs: 30_000,
  });
  index.onDidChange(() => changes++);
  const out = await index.refresh();
  assert.deepEqual(marked, [stale]);
  assert.equal(out.find((e) => e.runDir === stale)?.run.status, 'failed');
  assert.match(out.find((e) => e.runDir === stale)?.run.reason ?? '', /interrupted/);
  assert.equal(out.find((e) => e.runDir === fresh)?.run.status, 'running');
  assert.equal(changes, 1);
  assert.equal(index.find(done)?.run.status, 'completed');
});

test('a root that cannot be listed is logged and the others still load', async () => {
  const logs: string[] = [];
  const index = new RunsIndex({
    roots: () => ['/bad', root],
    listRuns: async (r) => { if (r === '/bad') throw new Error('EACCES'); return [{ runDir: join(root, 'x'), run: run('x', 'completed') }]; },
    isOurs: () => false, markInterrupted: async () => undefined, log: (l) => logs.push(l),
  });
  assert.equal((await index.refresh()).length, 1);
  assert.ok(logs.some((l) => l.includes('/bad') && l.includes('EACCES')));
});

test('api.waitForRun resolves on a final status and rejects with the last status on timeout', async () => {
  const changes = new Emitter<{ runDir: string; run: RunJson }>();
  let status: RunJson['status'] = 'running';
  let active = true;
  const manager = {
    runJson: async () => run('r', status),
    onDidChangeRun: changes.event,
    isActive: () => active,
    activeRuns: () => [],
    activeRunDirs: () => (active ? ['/r'] : []),
    lastStartedRunDir: () => '/r',
  } as unknown as RunManager;
  const index = new RunsIndex({ roots: () => [], listRuns: async () => [], isOurs: () => false, markInterrupted: async () => undefined, log: () => {} });
  const api = createApi(manager, index, { getState: async () => undefined }, { getState: async () => undefined, drive: () => Promise.reject(new Error('no Study panel')) }, { poll: async () => {}, arrays: [] }, { refreshes: { full: 0, groups: 0, rows: 0 }, rowDescription: () => null }, 20);
  await assert.rejects(api.waitForRun('/r', undefined, 150), /last status: running/);
  const p = api.waitForRun('/r', ['completed'], 2000);
  setTimeout(() => { status = 'completed'; active = false; changes.fire({ runDir: '/r', run: run('r', 'completed') }); }, 50);
  assert.equal((await p).status, 'completed');
  assert.equal((await api.waitForRun('/r', ['running', 'completed'], 500)).status, 'completed');
  assert.deepEqual(api.activeRuns(), []);
});

after(() => rmSync(root, { recursive: true, force: true }));
