/** The runs-folder poller: a run directory written by another process (appearing, changing) is noticed on the next look. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { RunsFolderPoller, runsSignature } from '../../extension/host/runsFolderPoller';
import { tempDir } from './runs-fixture';

test('a run that appears or changes under a root that did not exist at start fires one change per look', async () => {
  const { dir, cleanup } = tempDir('poller');
  try {
    const root = path.join(dir, 'not-yet', 'runs');
    let changes = 0;
    const p = new RunsFolderPoller(() => [root], () => changes++, 60_000);
    await p.start();
    await p.tick();
    assert.equal(changes, 0);
    const runDir = path.join(root, 'exp', 'tiny-20260101-000000-000');
    mkdirSync(runDir, { recursive: true });
    await p.tick();
    assert.equal(changes, 0, 'a directory without run.json is not a run yet');
    writeFileSync(path.join(runDir, 'run.json'), '{"status":"running"}');
    await p.tick();
    assert.equal(changes, 1);
    await p.tick();
    assert.equal(changes, 1, 'nothing changed');
    writeFileSync(path.join(runDir, 'run.json'), '{"status":"completed"}');
    utimesSync(path.join(runDir, 'run.json'), new Date(), new Date(Date.now() + 5000));
    await p.tick();
    assert.equal(changes, 2);
    p.dispose();
    writeFileSync(path.join(runDir, 'run.json'), '{"status":"failed", "x": 1}');
    await p.tick();
    assert.equal(changes, 2, 'no events after dispose');
    assert.match(await runsSignature([root]), /tiny-20260101-000000-000 \d/);
  } finally {
    cleanup();
  }
});

test('runs this window trains are left out: their run.json rewrites fire nothing, other runs still do', async () => {
  const { dir, cleanup } = tempDir('poller-live');
  try {
    const root = path.join(dir, 'runs');
    const live = path.join(root, 'exp', 'live-20260101-000000-000');
    const other = path.join(root, 'exp', 'cli-20260101-000000-000');
    for (const d of [live, other]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, 'run.json'), '{"status":"running"}');
    }
    let changes = 0;
    const p = new RunsFolderPoller(() => [root], () => changes++, 60_000, (d) => d === live);
    await p.start();
    for (let i = 1; i <= 3; i++) {
      writeFileSync(path.join(live, 'run.json'), `{"status":"running","epochsCompleted":${i}}`);
      utimesSync(path.join(live, 'run.json'), new Date(), new Date(Date.now() + i * 5000));
      await p.tick();
    }
    assert.equal(changes, 0, 'a live run of this window re-listed the runs');
    writeFileSync(path.join(other, 'run.json'), '{"status":"completed"}');
    utimesSync(path.join(other, 'run.json'), new Date(), new Date(Date.now() + 20_000));
    await p.tick();
    assert.equal(changes, 1);
    assert.doesNotMatch(await runsSignature([root], (d) => d === live), /live-20260101/);
    p.dispose();
  } finally {
    cleanup();
  }
});
