/**
 * Browser-driven checks of the packaged extension in code-server (Debian Chromium via playwright-core):
 * the workbench loads, the grokking sample's "Train this config" CodeLens starts a run, the Dynamics panel
 * opens and every chart holds data (read from the webview DOM's data-points attributes, not from pixels),
 * a .safetensors checkpoint opens in the checkpoint editor and its tensor table lists the tensors.
 * Screenshots on failure (test-results/) and, for the README, in dark and light themes (media/screenshots/).
 *
 * Usage: node --import tsx test/e2e/e2e.ts URL
 * Env: SHOTS (failure screenshots, default test-results), README_SHOTS (default media/screenshots; "0" = none),
 *      CHECKPOINT (file name of a checkpoint in the workspace, to open through Quick Open), E2E_TRAIN_TIMEOUT_MS (default 240000).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type FrameLocator, type Page } from 'playwright-core';

const url = process.argv[2];
if (!url) {
  console.error('usage: node --import tsx test/e2e/e2e.ts URL');
  process.exit(2);
}
const root = path.resolve(__dirname, '../..');
const shots = process.env.SHOTS || path.join(root, 'test-results');
const readmeShots = process.env.README_SHOTS === '0' ? null : process.env.README_SHOTS || path.join(root, 'media/screenshots');
const trainTimeout = Number(process.env.E2E_TRAIN_TIMEOUT_MS || 240_000);
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
fs.mkdirSync(shots, { recursive: true });
if (readmeShots) fs.mkdirSync(readmeShots, { recursive: true });

const t0 = Date.now();
const log = (...a: unknown[]) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);

/** The webview frame (inner #active-frame) whose document holds `selector`, among the visible webviews. */
function webview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');
}

async function palette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill('>' + title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

async function quickOpen(page: Page, file: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(file);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first().waitFor({ timeout: 20_000 });
  await page.keyboard.press('Enter');
}

/** Every chart card's name → data-points, once each holds data; throws with the last counts on timeout. */
async function chartsWithData(frame: FrameLocator, timeoutMs: number, minCharts = 5): Promise<Record<string, number>> {
  const end = Date.now() + timeoutMs;
  let last: Record<string, number> = {};
  for (;;) {
    try {
      // One atomic read of every card (a card-by-card read can interleave with a re-render).
      const pairs = await frame.locator('[data-chart]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-chart') ?? '?', Number(e.getAttribute('data-points'))] as const));
      last = Object.fromEntries(pairs);
    } catch {
      last = {}; // the webview is (re)loading
    }
    const counts = Object.values(last);
    if (counts.length >= minCharts && counts.every((x) => x > 0)) return last;
    if (Date.now() > end) throw new Error(`charts without data after ${timeoutMs / 1000} s: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Switches the colour theme through the UI (Preferences: Color Theme), as a user would. */
async function setTheme(page: Page, theme: 'dark' | 'light'): Promise<void> {
  const name = theme === 'dark' ? 'Dark Modern' : 'Light Modern';
  await palette(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await page.locator(`.monaco-workbench.${theme === 'dark' ? 'vs-dark' : 'vs'}`).waitFor({ timeout: 20_000 });
  await page.waitForTimeout(1_500); // the webviews repaint with the new theme colours
}

async function main(): Promise<number> {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'td-e2e-chromium-'));
  const browser = await chromium.launchPersistentContext(udd, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => log('PAGEERROR', e.message.slice(0, 200)));
  let passed = 0;
  let failed = 0;
  let broken = false; // a failed step leaves the UI in an unknown state: later steps are skipped and count as failed
  const step = async (name: string, fn: () => Promise<void>) => {
    if (broken) {
      failed++;
      log('SKIP (earlier step failed)', name);
      return;
    }
    try {
      await fn();
      passed++;
      log('ok  ', name);
    } catch (err) {
      failed++;
      broken = name !== 'readme-screenshots-light';
      log('FAIL', name, (err instanceof Error ? err.message : String(err)).split('\n')[0]);
      await page.screenshot({ path: path.join(shots, `e2e-fail-${name}.png`) }).catch(() => {});
    }
  };

  await step('workbench-loads', async () => {
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'samples' }).waitFor({ timeout: 60_000 });
  });

  await step('codelens-trains-grokking', async () => {
    await quickOpen(page, 'samples/grokking-mod97.experiment.json');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Train this config' }).first();
    await lens.waitFor({ timeout: 60_000 });
    await lens.click();
    // The Dynamics panel opens beside the editor with the new run.
    await page.locator('.tab', { hasText: /Dynamics/ }).first().waitFor({ timeout: 60_000 });
  });

  await step('dynamics-charts-hold-data', async () => {
    const counts = await chartsWithData(webview(page), trainTimeout);
    log('charts', JSON.stringify(counts));
    await palette(page, 'Notifications: Clear All Notifications').catch(() => {});
    await page.waitForTimeout(500);
    if (readmeShots) await page.screenshot({ path: path.join(readmeShots, 'dynamics-dark.png') });
  });

  await step('stop-run', async () => {
    await palette(page, 'Training Dynamics: Stop All Runs');
    await page.waitForTimeout(1_000);
  });

  if (readmeShots) {
    await step('readme-screenshots-light', async () => {
      await setTheme(page, 'light');
      await chartsWithData(webview(page), 30_000);
      await page.screenshot({ path: path.join(readmeShots, 'dynamics-light.png') });
      await setTheme(page, 'dark');
    });
  }

  await step('checkpoint-editor-tensor-table', async () => {
    const file = process.env.CHECKPOINT;
    if (!file) throw new Error('CHECKPOINT is not set: no checkpoint to open');
    await palette(page, 'View: Close All Editors');
    await quickOpen(page, file);
    const table = webview(page).locator('#tensor-table');
    await table.waitFor({ timeout: 60_000 });
    const rows = table.locator('[data-tensor]');
    await rows.first().waitFor({ timeout: 30_000 });
    const names = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-tensor') ?? ''));
    log('tensors', names.join(', '));
    const kernel = names.find((n) => /kernel/.test(n));
    if (!kernel) throw new Error(`tensor table lists no kernel: ${names.join(', ')}`);
    // Select a weight matrix: its statistics and spectrum appear beside the table (for the screenshot).
    await table.locator(`[data-tensor="${kernel}"]`).first().click();
    await page.waitForTimeout(2_000);
    if (readmeShots) await page.screenshot({ path: path.join(readmeShots, 'checkpoint-dark.png') });
  });

  await browser.close();
  fs.rmSync(udd, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`e2e: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
