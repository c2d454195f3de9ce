/**
 * e2e steps for the panels as a researcher uses them (run from e2e.ts):
 * - quickstart-groks: the quickstart's "tiny" config, trained from its CodeLens, shows a memorization and a
 *   generalization epoch in the panel header and both markers on the accuracy chart (data-markers); the time
 *   from the click to the generalization marker is logged.
 * - compare-60-runs: 60 sweep runs (copies of a CLI-trained run with their own sweep values) compared at once:
 *   the run list stays height-bounded, and the heatmap and the charts keep on-screen rectangles; filtering the
 *   list narrows it.
 * - did-you-mean-quick-fix: a misspelled key gets one diagnostic, and its quick fix renames the key in the file.
 * Fixture files are written into the workspace folder named by the URL (`?folder=`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { palette, pickRow, quickOpen, webview } from './workbench';

export type Step = (name: string, fn: () => Promise<void>) => Promise<void>;

function workspaceOf(url: string): string {
  const folder = new URL(url).searchParams.get('folder');
  if (!folder) throw new Error(`no ?folder= in ${url}`);
  return folder;
}

/** Copies of a finished run as the points of a 6 × 10 lr × weight-decay sweep (run.json rewritten per point). */
function writeSweepRuns(ws: string, n: number): void {
  const runs = path.join(ws, '.training-dynamics', 'runs');
  const source = fs
    .readdirSync(path.join(runs, 'quickstart'))
    .map((d) => path.join(runs, 'quickstart', d))
    .find((d) => fs.existsSync(path.join(d, 'run.json')) && JSON.parse(fs.readFileSync(path.join(d, 'run.json'), 'utf8')).status === 'completed');
  if (!source) throw new Error('no completed quickstart run to copy');
  const base = JSON.parse(fs.readFileSync(path.join(source, 'run.json'), 'utf8'));
  const lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2];
  const wds = [0, 0.01, 0.03, 0.1, 0.3, 0.5, 1, 2, 3, 5];
  for (let i = 0; i < n; i++) {
    const lr = lrs[i % lrs.length];
    const wd = wds[Math.floor(i / lrs.length) % wds.length];
    const runName = `grid_lr=${lr}_weightDecay=${wd}`;
    const id = `${runName}-20260101-000000-${String(i).padStart(3, '0')}`;
    const dir = path.join(runs, 'grid60', id);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(source, 'metrics.jsonl'), path.join(dir, 'metrics.jsonl'));
    const config = { ...base.config, optimizer: { ...base.config.optimizer, lr, weightDecay: wd } };
    const run = { ...base, id, experiment: 'grid60', experimentFile: null, configName: 'grid', runName, sweepValues: { 'optimizer.lr': lr, 'optimizer.weightDecay': wd }, config };
    fs.writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run, null, 2));
  }
}

/** A palette command of the extension, retried while the workbench is still reading the extension's contributions. */
async function extensionCommand(page: Page, title: string, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await palette(page, title);
    } catch (err) {
      if (Date.now() > end) throw err;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(2_000);
    }
  }
}

export async function panelSteps(page: Page, url: string, step: Step, log: (...a: unknown[]) => void, trainTimeout: number): Promise<void> {
  const ws = workspaceOf(url);

  await step('quickstart-groks', async () => {
    await palette(page, 'View: Close All Editors');
    await quickOpen(page, 'samples/quickstart.experiment.json');
    const lens = page.locator('.codelens-decoration a', { hasText: 'Train this config' }).first();
    await lens.waitFor({ timeout: 60_000 });
    const t = Date.now();
    await lens.click();
    await page.locator('.tab', { hasText: /Dynamics: tiny/ }).first().waitFor({ timeout: 60_000 });
    const frame = webview(page);
    const accuracy = frame.locator('[data-chart="accuracy"]');
    const end = Date.now() + trainTimeout;
    let markers = '';
    for (;;) {
      markers = (await accuracy.getAttribute('data-markers', { timeout: 5_000 }).catch(() => null)) ?? '';
      if (/\bmem0\b/.test(markers) && /\bgen0\b/.test(markers)) break;
      if (Date.now() > end) throw new Error(`no memorization and generalization markers after ${trainTimeout / 1000} s (markers: "${markers}")`);
      await page.waitForTimeout(250);
    }
    log(`quickstart tiny: memorization and generalization markers ${((Date.now() - t) / 1000).toFixed(1)} s after the lens click`);
    const facts = await frame.locator('.fact').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    const mem = facts.find((f) => f.startsWith('memorization'));
    const gen = facts.find((f) => f.startsWith('generalization'));
    log('header', mem, '|', gen);
    if (!mem || !/epoch \d+/.test(mem) || !gen || !/epoch \d+/.test(gen)) throw new Error(`the header shows no epochs: ${facts.join(' | ')}`);
    const [m, g] = [mem, gen].map((f) => Number(/epoch (\d+)/.exec(f)![1]));
    if (!(m < g)) throw new Error(`memorization (${m}) is not before generalization (${g})`);
  });

  await step('compare-60-runs', async () => {
    writeSweepRuns(ws, 60);
    await palette(page, 'View: Close All Editors');
    await extensionCommand(page, 'Training Dynamics: Compare Runs…');
    await pickRow(page, /grid60 sweep$/, 30_000);
    await page.keyboard.press('Enter');
    await page.locator('.tab', { hasText: /Sweep lr × weightDecay \(60 runs\)/ }).first().waitFor({ timeout: 60_000 });
    const frame = webview(page);
    await frame.locator('.run-list[data-rows="60"]').waitFor({ timeout: 60_000 });
    // Wait for the charts to draw, then read every rectangle in one go.
    await frame.locator('[data-chart="landscape"]:not(.empty)').waitFor({ timeout: 60_000 });
    await frame.locator('[data-chart="loss"]:not(.empty)').waitFor({ timeout: 60_000 });
    // (No named functions inside evaluate: the test runner's transform would reference a helper the page lacks.)
    const selectors = { list: '.run-list-body', landscape: '[data-chart="landscape"]', loss: '[data-chart="loss"] canvas', accuracy: '[data-chart="accuracy"] canvas' };
    const r = await frame.locator('body').evaluate((_body, sels: Record<string, string>) => {
      const out: Record<string, { top: number; bottom: number; height: number } | null> = {};
      for (const [k, sel] of Object.entries(sels)) {
        const b = document.querySelector(sel)?.getBoundingClientRect();
        out[k] = b ? { top: Math.round(b.top), bottom: Math.round(b.bottom), height: Math.round(b.height) } : null;
      }
      return { viewport: window.innerHeight, rects: out };
    }, selectors);
    log('60 runs:', JSON.stringify(r));
    const list = r.rects.list;
    if (!list || list.height > 0.4 * r.viewport) throw new Error(`the run list is ${list?.height} px tall in a ${r.viewport} px panel`);
    for (const k of ['landscape', 'loss', 'accuracy'] as const) {
      const b = r.rects[k];
      const visible = b ? Math.min(b.bottom, r.viewport) - Math.max(b.top, 0) : 0;
      if (!b || visible < 80) throw new Error(`${k} is not on screen (${JSON.stringify(b)}, viewport ${r.viewport})`);
    }
    // The list filters: the runs with weight decay 0.5.
    await frame.locator('.run-list-search').fill('weightDecay=0.5');
    await frame.locator('.run-list[data-rows="6"]').waitFor({ timeout: 10_000 });
    await frame.locator('.run-list-search').fill('');
  });

  await step('did-you-mean-quick-fix', async () => {
    const file = path.join(ws, 'samples', 'typo.experiment.json');
    fs.writeFileSync(file, '{\n  "name": "typo",\n  "configs": [\n    { "name": "a", "task": { "kind": "modular", "p": 13 }, "optimizer": { "weightDecy": 1 } }\n  ]\n}\n');
    await palette(page, 'View: Close All Editors');
    await quickOpen(page, 'samples/typo.experiment.json');
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60_000 });
    const squiggles = await page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning').count();
    if (squiggles !== 1) throw new Error(`${squiggles} squiggles for one misspelled key (one source of diagnostics expected)`);
    await page.locator('.monaco-editor .view-lines').first().click();
    await palette(page, 'Go to Next Problem (Error, Warning, Info)');
    await page.keyboard.press('Escape');
    await palette(page, 'Quick Fix...');
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: "Change to 'weightDecay'" }).first();
    await fix.waitFor({ timeout: 20_000 });
    await fix.click();
    const text = async () => (await page.locator('.monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
    const end = Date.now() + 10_000;
    while (!/"weightDecay": 1/.test(await text())) {
      if (Date.now() > end) throw new Error(`the quick fix did not edit the file: ${(await text()).slice(0, 300)}`);
      await page.waitForTimeout(200);
    }
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'detached', timeout: 20_000 });
  });
}
