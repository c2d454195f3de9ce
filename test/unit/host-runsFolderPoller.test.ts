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
