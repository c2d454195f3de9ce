/**
 * The README's study figures: for each study sample named, its Study panel in code-server (the packaged
 * extension, dark theme), maximized, once it has drawn every run of the study — `study-<name>.png` in OUT_DIR.
 * scripts/real-vscode/study-shots.sh trains the studies' quick variants (or takes a workspace that has their runs)
 * and starts code-server.
 *
 * A picture is taken only once the panel reports the expected number of runs and its curve (or heatmap) holds
 * values (read from the webview DOM), so a broken panel fails here instead of producing an empty figure.
 *
 * Usage: node --import tsx test/e2e/study-shots.ts URL OUT_DIR FILE:RUNS...  (FILE relative to the workspace)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, openWorkbench, palette, quickOpen, webview } from './workbench';

const [url, outDir, ...studies] = process.argv.slice(2);
if (!url || !outDir || studies.length === 0) {
  console.error('usage: node --import tsx test/e2e/study-shots.ts URL OUT_DIR FILE:RUNS...');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const t0 = Date.now();
const log = (...a: unknown[]) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

/** A palette command, tried again (after Escape) when the focused webview kept the palette's input from the keyboard. */
async function command(page: Page, title: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await palette(page, title);
    } catch (err) {
      if (attempt === 3) throw err;
      log(`"${title}" did not reach the palette (${String(err).split('\n')[0].slice(0, 80)}); again`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
}

/** Waits until the visible Study panel shows `runs` runs and a drawn curve or heatmap; returns what it drew. */
async function drawn(page: Page, runs: number, timeoutMs: number): Promise<string> {
  const frame = webview(page);
  const end = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      last = await frame.locator('body').evaluate((b) => {
        const curve = b.querySelector('[data-chart="studyCurve"]') as HTMLElement | null;
        const heat = b.querySelector('[data-chart="studyHeatmap"]') as HTMLElement | null;
        return JSON.stringify({ runs: b.dataset.runs ?? null, marks: curve?.dataset.marks ?? null, values: curve?.dataset.values ?? null, cells: heat?.dataset.cells ?? null });
      }, undefined, { timeout: 5_000 });
      const s = JSON.parse(last) as { runs: string | null; values: string | null; cells: string | null };
      const hasData = (s.values !== null && s.values.length > 2) || (s.cells !== null && s.cells.length > 2);
      if (Number(s.runs) === runs && hasData) return last;
    } catch {
      last = 'the Study webview is not readable yet';
    }
    if (Date.now() > end) throw new Error(`the Study panel did not draw ${runs} runs within ${timeoutMs / 1000} s: ${last.slice(0, 300)}`);
    await page.waitForTimeout(1_000);
  }
}

async function main(): Promise<void> {
  // tall enough for a study's curve, prediction and every heatmap of a split (four optimizers) in one picture
  const { page, close } = await launchBrowser({ width: 1600, height: 1700 });
  try {
    await openWorkbench(page, url, { sideBars: false });
    for (const spec of studies) {
      const [file, runsText] = spec.split(':');
      const name = path.basename(file).replace(/\.experiment\.json$/, '');
      log(`${name}: opening ${file} and its study (${runsText} runs)`);
      await quickOpen(page, file);
      await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 20_000 });
      await command(page, 'Training Dynamics: Show Study');
      await page.locator('.tab', { hasText: /^Study/ }).first().waitFor({ timeout: 30_000 });
      // the study alone, full width: one editor group, the study's tab active, the experiment file closed
      await command(page, 'View: Single Column Editor Layout').catch(() => {});
      await page.locator('.tab', { hasText: /^Study/ }).first().click();
      await command(page, 'View: Close Other Editors in Group');
      await command(page, 'Notifications: Clear All Notifications').catch(() => {});
      const what = await drawn(page, Number(runsText), 120_000);
      log(`${name}: drawn ${what.slice(0, 160)}`);
      await page.mouse.move(0, 0);
      await page.waitForTimeout(1_500); // the charts' resize after the group change
      const shot = path.join(outDir, `study-${name.replace(/-quick$/, '')}.png`);
      // the panel down to the end of its content (the window is taller than most studies need)
      const box = await page.locator('iframe.webview.ready >> visible=true').first().boundingBox();
      if (!box) throw new Error('the Study webview has no box on screen');
      const content = await webview(page).locator('body').evaluate((b) => Math.max(0, ...Array.from(b.querySelectorAll('.card'), (e) => e.getBoundingClientRect().bottom)));
      await page.screenshot({ path: shot, clip: { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, Math.ceil(content) + 8) } });
      log('wrote', shot);
      await command(page, 'View: Close All Editors');
      await page.waitForTimeout(500);
    }
  } catch (err) {
    await page.screenshot({ path: path.join(outDir, 'study-shots-failed.png') }).catch(() => {});
    throw err;
  } finally {
    await close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('study-shots failed:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
