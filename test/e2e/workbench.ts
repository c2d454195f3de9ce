/**
 * Helpers that drive the code-server workbench in Chromium (playwright-core) the way a user does: the
 * command palette, Quick Open, the colour theme picker, and the webviews' DOM. Shared by e2e.ts,
 * readme-shots.ts and study-shots.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import { errorLine } from '../../extension/shared/errors';

/**
 * Debian Chromium, headless, with a private profile (removed by the returned close()). The background-networking
 * flags keep it from calling out on this offline machine.
 */
export async function launchBrowser(viewport: { width: number; height: number }): Promise<{ browser: BrowserContext; page: Page; close: () => Promise<void> }> {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'td-e2e-chromium-'));
  const browser = await chromium.launchPersistentContext(udd, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const close = async () => {
    await browser.close();
    fs.rmSync(udd, { recursive: true, force: true });
  };
  return { browser, page, close };
}

/**
 * Opens the workbench at `url` and waits until it shows the workspace (the samples folder in the Explorer).
 * `sideBars: false` then closes both side bars, leaving the editor area the whole window (for pictures).
 */
export async function openWorkbench(page: Page, url: string, opts: { sideBars?: boolean } = {}): Promise<void> {
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'samples' }).waitFor({ timeout: 60_000 });
  if (opts.sideBars === false) {
    await palette(page, 'View: Close Primary Side Bar').catch(() => {});
    await palette(page, 'View: Hide Secondary Side Bar').catch(() => {});
  }
}

/** The webview frame (inner #active-frame) whose document holds `selector`, among the visible webviews. */
export function webview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');
}

/**
 * Clicks the quick-input row whose label is exactly `label` (a string or an anchored pattern). Enter would take
 * the highlighted row, which need not be that one (a recently used or fuzzier match can come first).
 */
export async function pickRow(page: Page, label: string | RegExp, timeout = 10_000): Promise<void> {
  const re = typeof label === 'string' ? new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : label;
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: re }) }).first();
  await row.waitFor({ timeout });
  await row.click();
}

/**
 * Gives the keyboard back to the workbench: a webview that has it (a click in it, a maximized group) can keep
 * F1 from reaching the workbench. Clicking the active tab focuses its editor group without changing anything.
 */
export async function focusWorkbench(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  const tab = page.locator('.tab.active').first();
  if (await tab.isVisible().catch(() => false)) await tab.click();
  else await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } }).catch(() => {});
}

/** Runs a command through the palette: `title` typed, then the row labelled `row` (default: exactly `title`) picked. */
export async function palette(page: Page, title: string, row: string | RegExp = title): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await page.keyboard.press('F1');
  if (!(await input.waitFor({ state: 'visible', timeout: 3_000 }).then(() => true, () => false))) {
    await focusWorkbench(page);
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
  }
  await input.fill('>' + title);
  await pickRow(page, row);
}

/** Quick Open (Ctrl+P) with `file` typed and its row listed; Enter then opens it. */
export async function quickOpenFind(page: Page, file: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(file);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first().waitFor({ timeout: 20_000 });
}

export async function quickOpen(page: Page, file: string): Promise<void> {
  await quickOpenFind(page, file);
  await page.keyboard.press('Enter');
}

/** Every chart card's name → data-points, once each holds data; throws with the last counts on timeout. */
export async function chartsWithData(frame: FrameLocator, timeoutMs: number, minCharts = 5): Promise<Record<string, number>> {
  const end = Date.now() + timeoutMs;
  let last: Record<string, number> = {};
  let polls = 0;
  for (;;) {
    try {
      // One atomic read of every card (a card-by-card read can interleave with a re-render).
      const pairs = await frame.locator('[data-chart]').evaluateAll((els) => els.map((e) => [e.getAttribute('data-chart') ?? '?', Number(e.getAttribute('data-points'))] as const));
      last = Object.fromEntries(pairs);
    } catch (err) {
      last = {}; // the webview is (re)loading
      if (polls % 10 === 9) console.log(`  … webview not readable: ${errorLine(err)}`);
    }
    const counts = Object.values(last);
    if (counts.length >= minCharts && counts.every((x) => x > 0)) return last;
    if (Date.now() > end) throw new Error(`charts without data after ${timeoutMs / 1000} s: ${JSON.stringify(last)}`);
    if (++polls % 10 === 0) {
      const seen = await frame.locator('body').evaluate((b) => `${location.pathname.slice(-40)} | ${(b.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 80)}`, undefined, { timeout: 2_000 }).catch((e: unknown) => `no visible webview document yet (${String(e).split('\n')[0].slice(0, 60)})`);
      console.log(`  … waiting for chart data: ${JSON.stringify(last)}; the webview shows: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Switches the colour theme through the UI (Preferences: Color Theme), as a user would. */
export async function setTheme(page: Page, theme: 'dark' | 'light'): Promise<void> {
  const name = theme === 'dark' ? 'Dark Modern' : 'Light Modern';
  await palette(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(name);
  await pickRow(page, new RegExp(`^(Default )?${name}$`));
  await page.locator(`.monaco-workbench.${theme === 'dark' ? 'vs-dark' : 'vs'}`).waitFor({ timeout: 20_000 });
  await page.waitForTimeout(1_500); // the webviews repaint with the new theme colours
}

