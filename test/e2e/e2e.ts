/**
 * Browser-driven checks of the packaged extension in code-server (Debian Chromium via playwright-core):
 * the workbench loads, the grokking sample's "Train this config" CodeLens starts a run, the Dynamics panel
 * opens and every chart holds data (read from the webview DOM's data-points attributes, not from pixels),
 * a .safetensors checkpoint opens in the checkpoint editor and its tensor table lists the tensors.
 * Screenshots on failure (test-results/) and, for the README, in dark and light themes (media/screenshots/).
 *
 * Usage: node --import tsx test/e2e/e2e.ts URL
 * Env: SHOTS (failure screenshots, default test-results), README_SHOTS (default media/screenshots; "0" = none),
 *      SETTINGS_FILE (the server's User/settings.json, to switch the theme live), CHECKPOINT (workspace-relative
 *      file name of a checkpoint to open), E2E_TRAIN_TIMEOUT_MS (default 240000).
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
async function chartsWithData(frame: FrameLocator, timeoutMs: number): Promise<Record<string, number>> {
  const end = Date.now() + timeoutMs;
  let last: Record<string, number> = {};
  for (;;) {
    last = {};
    try {
      const cards = frame.locator('[data-chart]');
      const n = await cards.count();
      for (let i = 0; i < n; i++) {
        const c = cards.nth(i);
        last[(await c.getAttribute('data-chart', { timeout: 2_000 })) ?? `#${i}`] = Number(await c.getAttribute('data-points', { timeout: 2_000 }));
      }
    } catch {
      // the webview is (re)loading
    }
    const counts = Object.values(last);
    if (counts.length >= 3 && counts.every((x) => x > 0)) return last;
    if (Date.now() > end) throw new Error(`charts without data after ${timeoutMs / 1000} s: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

async function setTheme(page: Page, theme: 'dark' | 'light'): Promise<void> {
  const file = process.env.SETTINGS_FILE;
  if (!file) throw new Error('SETTINGS_FILE is not set: cannot switch the theme');
  const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  settings['workbench.colorTheme'] = theme === 'dark' ? 'Default Dark Modern' : 'Default Light Modern';
  fs.writeFileSync(file, JSON.stringify(settings, null, 2));
  const want = theme === 'dark' ? 'vs-dark' : 'vs';
  await page.locator(`.monaco-workbench.${want}`).waitFor({ timeout: 20_000 });
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
    if (readmeShots) await page.screenshot({ path: path.join(readmeShots, 'dynamics-dark.png') });
  });

  await step('stop-run', async () => {
    await palette(page, 'Training Dynamics: Stop All Runs');
    await page.waitForTimeout(1_000);
  });

  if (readmeShots && process.env.SETTINGS_FILE) {
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
    if (!names.some((n) => /kernel/.test(n))) throw new Error(`tensor table lists no kernel: ${names.join(', ')}`);
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
