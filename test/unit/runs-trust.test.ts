import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInside, trustExperimentFile, trustRunDir, trustedRunDirs, type TrustedPlaces } from '../../extension/engine/runs/trust';

const places: TrustedPlaces = {
  workspaceFolders: ['/home/u/project'],
  runsRoots: ['/home/u/project/.training-dynamics/runs', '/data/runs'],
  isKnownRunDir: (d) => d === '/scratch/run-7',
};

test('isInside compares resolved paths, not string prefixes', () => {
  assert.equal(isInside('/home/u/project/a/b', '/home/u/project'), true);
  assert.equal(isInside('/home/u/project', '/home/u/project'), true);
  assert.equal(isInside('/home/u/project-evil/x', '/home/u/project'), false);
  assert.equal(isInside('/home/u/project/../.ssh', '/home/u/project'), false);
  assert.equal(isInside('/home/u/project/a/../b', '/home/u/project'), true);
});

test("a checkpoint's run folder: inside the workspace, a runs folder, or a run the host knows; else the reason", () => {
  assert.deepEqual(trustRunDir('/home/u/project/.training-dynamics/runs/q/tiny-1', places), { ok: true, path: '/home/u/project/.training-dynamics/runs/q/tiny-1' });
  assert.equal(trustRunDir('/data/runs/exp/run-1', places).ok, true);
  assert.equal(trustRunDir('/scratch/run-7', places).ok, true);
  // A downloaded checkpoint naming any other folder (the issue: "__metadata__ decides which folder opens").
  for (const evil of ['/home/u/.ssh', '/etc', '/home/u/project/../.ssh', '/data/runs-other/x', '/scratch/run-7/..']) {
    const v = trustRunDir(evil, places);
    assert.equal(v.ok, false, evil);
    assert.match(!v.ok ? v.reason : '', /outside this workspace and the runs folders/);
  }
  for (const bad of ['', 'relative/run', 'a\0b', 42, null]) assert.equal(trustRunDir(bad, places).ok, false, String(bad));
  assert.match((trustRunDir('runs/x', places) as { reason: string }).reason, /not an absolute path/);
});

test("a checkpoint's experiment file: an *.experiment.json inside the workspace only", () => {
  assert.equal(trustExperimentFile('/home/u/project/samples/q.experiment.json', places).ok, true);
  const outside = trustExperimentFile('/tmp/evil.experiment.json', places);
  assert.equal(outside.ok, false);
  assert.match(!outside.ok ? outside.reason : '', /outside this workspace/);
  // Not even inside the workspace when it is not an experiment file (e.g. a script or a key).
  const notExperiment = trustExperimentFile('/home/u/project/.env', places);
  assert.match(!notExperiment.ok ? notExperiment.reason : '', /not an \*\.experiment\.json file/);
  // A runs folder outside the workspace is not a place for experiment files.
  assert.equal(trustExperimentFile('/data/runs/x.experiment.json', places).ok, false);
});

test("a webview's saved runDirs after a reload: the trusted ones (deduplicated, resolved), and why the others are left out", () => {
  const r = trustedRunDirs(['/data/runs/a', '/etc', '/data/runs/./a', 7, '/home/u/project/r'], places);
  assert.deepEqual(r.dirs, ['/data/runs/a', '/home/u/project/r']);
  assert.equal(r.refused.length, 2);
  assert.match(r.refused[0], /\/etc/);
  assert.deepEqual(trustedRunDirs([], places), { dirs: [], refused: [] });
});
