/**
 * The README's pictures, taken from the packaged extension in code-server with a finished run of the grokking
 * sample in the workspace (scripts/real-vscode/readme-shots.sh prepares all that). In dark and light themes:
 *   dynamics-<theme>.png   the grokking config beside its Dynamics panel (what a user sees after "Show dynamics")
 *   panel-<theme>.png      the Dynamics panel alone, maximized, every chart
 *   checkpoint-<theme>.png a checkpoint in the checkpoint editor with a weight matrix selected (spectrum vs MP)
 *   compare-<theme>.png    the quickstart's lr × weight-decay sweep compared: run list, heatmap, overlaid curves
 *   checkpoint-compare-<theme>.png  the quickstart "tiny" run at epoch 250 (memorized) against epoch 1000
 *                          (generalized), through Compare Checkpoints… (run first, then its epochs)
 * Every picture is taken only once the charts hold data (read from the webview DOM), so a broken panel fails
 * here instead of producing an empty picture.
 *
 * Usage: node --import tsx test/e2e/readme-shots.ts URL OUT_DIR
 * Env: CHECKPOINT (file name to Quick Open), ONLY (a regular expression over the picture names: the grokking, sweep and
 *      checkpoint-compare groups whose dark picture it matches are taken).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { chartsWithData, launchBrowser, openWorkbench, palette, pickRow, quickOpen, setTheme, webview } from './workbench';
import { errorLine } from '../../extension/shared/errors';

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) {
  console.error('usage: node --import tsx test/e2e/readme-shots.ts URL OUT_DIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const t0 = Date.now();
const log = (...a: unknown[]) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const only = process.env.ONLY ? new RegExp(process.env.ONLY) : null;
const want = (name: string) => !only || only.test(name);

async function clearNotifications(page: Page): Promise<void> {
  await palette(page, 'Notifications: Clear All Notifications').catch(() => {});
  await page.waitForTimeout(300);
}

async function shoot(page: Page, name: string): Promise<void> {
  await clearNotifications(page);
  await page.mouse.move(0, 0); // no hover tooltips in the picture
  await page.waitForTimeout(800);
  await page.screenshot({ path: path.join(outDir, name) });
  log('wrote', path.join(outDir, name));
}

async function main(): Promise<void> {
  const { page, close } = await launchBrowser({ width: 1600, height: 1000 });
  try {
    await openWorkbench(page, url, { sideBars: false });

    if (want('dynamics-dark') || want('panel-dark') || want('checkpoint-dark')) await grokkingShots(page);
    if (want('compare-dark')) await sweepShots(page);
    if (want('checkpoint-compare-dark')) await checkpointCompareShots(page);
  } catch (err) {
    await page.screenshot({ path: path.join(outDir, 'readme-shots-failed.png') }).catch(() => {});
    throw err;
  } finally {
    await close();
  }
}

async function grokkingShots(page: Page): Promise<void> {
  {
    // The grokking sample, and its first config's "Show dynamics" lens (the finished adamw-wd1 run).
    await quickOpen(page, 'samples/grokking-mod97.experiment.json');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Show dynamics' }).first();
    await lens.waitFor({ timeout: 60_000 });
    await lens.click();
    await page.locator('.tab', { hasText: /Dynamics/ }).first().waitFor({ timeout: 60_000 });
    log('charts', JSON.stringify(await chartsWithData(webview(page), 60_000, 8)));

    for (const theme of ['dark', 'light'] as const) {
      await setTheme(page, theme);
      await page.setViewportSize({ width: 1600, height: 1000 });
      await chartsWithData(webview(page), 30_000, 8);
      await shoot(page, `dynamics-${theme}.png`);
      // The panel alone: its editor group maximized, on a tall page so every chart shows.
      await page.locator('.tab', { hasText: /Dynamics/ }).first().click();
      await palette(page, 'View: Toggle Maximize Editor Group');
      await page.setViewportSize({ width: 1600, height: 1450 });
      await page.waitForTimeout(1_500);
      await chartsWithData(webview(page), 30_000, 8);
      await shoot(page, `panel-${theme}.png`);
      await palette(page, 'View: Toggle Maximize Editor Group');
    }

    // A checkpoint of that run in the checkpoint editor, the first layer's kernel selected.
    const file = process.env.CHECKPOINT;
    if (!file) throw new Error('CHECKPOINT is not set: no checkpoint to open');
    await page.setViewportSize({ width: 1600, height: 1300 }); // tall enough for the spectrum under the histogram
    await palette(page, 'View: Close All Editors');
    await quickOpen(page, file);
    const table = webview(page).locator('#tensor-table');
    await table.waitFor({ timeout: 60_000 });
    await table.locator('[data-tensor="layers.0.kernel"]').first().click();
    await webview(page).locator('#spectrum-chart').waitFor({ timeout: 60_000 });
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      await page.waitForTimeout(2_000);
      await shoot(page, `checkpoint-${theme}.png`);
    }
  }
}

/** The quickstart sweep compared (Compare Runs…, its sweep row): the run list, the heatmap and the curves. */
async function sweepShots(page: Page): Promise<void> {
  await page.setViewportSize({ width: 1600, height: 1000 });
  await palette(page, 'View: Close All Editors');
  await palette(page, 'Training Dynamics: Compare Runs…');
  await pickRow(page, /quickstart sweep$/, 30_000);
  await page.keyboard.press('Enter');
  await page.locator('.tab', { hasText: /Sweep lr × weightDecay/ }).first().waitFor({ timeout: 60_000 });
  // The comparison is the only editor (one group, nothing to maximize): a taller page shows the charts too.
  await page.setViewportSize({ width: 1600, height: 1250 });
  log('compare charts', JSON.stringify(await chartsWithData(webview(page), 60_000, 4)));
  for (const theme of ['dark', 'light'] as const) {
    await page.locator('.tab.active').first().click(); // keys to the workbench, not the webview
    await setTheme(page, theme);
    await chartsWithData(webview(page), 30_000, 4);
    await shoot(page, `compare-${theme}.png`);
  }
}

/** Compare Checkpoints…: the run first (typing filters by its name), then two of its epochs. */
async function checkpointCompareShots(page: Page): Promise<void> {
  await page.setViewportSize({ width: 1600, height: 1000 });
  await palette(page, 'View: Close All Editors');
  await palette(page, 'Training Dynamics: Compare Checkpoints…');
  await page.keyboard.type('tiny');
  await pickRow(page, /^tiny$/, 30_000);
  for (const epoch of ['epoch 250', 'epoch 1000']) await pickRow(page, epoch, 30_000);
  await page.keyboard.press('Enter');
  await webview(page).locator('#compare-table tbody tr').first().waitFor({ timeout: 120_000 });
  await page.setViewportSize({ width: 1600, height: 520 }); // the comparison is one table: no empty page below it
  for (const theme of ['dark', 'light'] as const) {
    await page.locator('.tab.active').first().click();
    await setTheme(page, theme);
    await page.waitForTimeout(1_500);
    await shoot(page, `checkpoint-compare-${theme}.png`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`readme-shots: ${errorLine(err)}`);
    process.exit(1);
  },
);
