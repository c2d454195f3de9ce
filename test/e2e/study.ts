/**
 * e2e steps for the Study panel (run from e2e.ts), on a sweep that finishes in seconds
 * (test/fixtures/mini-study.experiment.json: 2 widths × 2 weight decays × 2 seeds, trained by the CLI into the
 * workspace's runs folder):
 * - study-from-codelens: the "Study (8 runs)" CodeLens opens the panel; the curve's means (data-values) and the
 *   heatmap's cells (data-cells) equal the means of the runs' own last train loss, computed here from metrics.jsonl.
 * - study-switch-metric: choosing another metric in the picker redraws both with that metric's means.
 * - study-click-opens-dynamics: a click on a run's dot of the curve opens that run in the Dynamics panel.
 * - study-heatmap-hover-and-click: hovering a cell shows its runs by name with their exact values; a click asks
 *   which of the cell's two runs to open and opens the one picked.
 * - study-restored-after-reload: after log y is switched on and the window reloads, the panel comes back with
 *   the chosen metric, the log toggle and its data.
 * Click positions come from the cards' data-targets (where the panel drew each point or cell), not from pixels.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import miniStudy from '../fixtures/mini-study.experiment.json';
import type { Step } from './panels';
import { palette, pickRow, quickOpen } from './workbench';

const ROOT = path.resolve(__dirname, '../..');

interface Target {
  x: number;
  y: number;
  kind: 'mean' | 'run' | 'cell';
  runDirs: string[];
  runNames: string[];
}
interface DrawnCurve {
  label: string;
  points: { x: string; mean: number | null; runs: number }[];
}
interface DrawnHeatmap {
  xLabels: string[];
  yLabels: string[];
  cells: (number | string | null)[][];
}

function workspaceOf(url: string): string {
  const folder = new URL(url).searchParams.get('folder');
  if (!folder) throw new Error(`no ?folder= in ${url}`);
  return folder;
}

/** The webview frame (any of the visible ones) whose document holds `selector`. */
async function frameWith(page: Page, selector: string, timeoutMs: number): Promise<Frame> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (f.isDetached()) continue;
      const found = await f.$(selector).then((h) => h !== null, () => false);
      if (found) return f;
    }
    if (Date.now() > end) throw new Error(`no webview shows ${selector} after ${timeoutMs / 1000} s`);
    await page.waitForTimeout(500);
  }
}

async function attr<T>(frame: Frame, selector: string, name: string): Promise<T> {
  const v = await frame.locator(selector).first().getAttribute(name, { timeout: 10_000 });
  if (v === null || v === '') throw new Error(`${selector} has no ${name}`);
  return JSON.parse(v) as T;
}

/** Polls until `probe` returns a value (not undefined); throws with its last error after the timeout. */
async function until<T>(page: Page, what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (${last})` : ''}`);
    await page.waitForTimeout(300);
  }
}

interface RunFacts {
  runDir: string;
  runName: string;
  hidden: string;
  weightDecay: number;
  last: { trainLoss: number; testLoss: number };
}

/** The sweep's runs as read from their folders: swept values and the last epoch record. */
function readRuns(ws: string): RunFacts[] {
  const dir = path.join(ws, '.training-dynamics', 'runs', miniStudy.name);
  return fs.readdirSync(dir).map((d) => {
    const runDir = path.join(dir, d);
    const run = JSON.parse(fs.readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    const epochs = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)).filter((r) => r.type === 'epoch');
    return { runDir, runName: run.runName, hidden: String(run.config.model.hidden[0]), weightDecay: run.config.optimizer.weightDecay, last: epochs[epochs.length - 1] };
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The drawn curve and heatmap hold the per-width and per-cell means of `value` over the runs. */
function checkDrawn(runs: RunFacts[], curve: DrawnCurve[], heat: DrawnHeatmap | null, value: (r: RunFacts) => number, what: string): void {
  const near = (a: unknown, b: number) => typeof a === 'number' && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  if (curve.length !== 1) throw new Error(`${curve.length} curves drawn, expected one`);
  const xs = curve[0].points.map((p) => p.x).join(',');
  if (xs !== '8,32') throw new Error(`curve points at ${xs}, expected 8,32`);
  for (const p of curve[0].points) {
    const members = runs.filter((r) => r.hidden === p.x);
    const want = mean(members.map(value));
    if (p.runs !== 4 || !near(p.mean, want)) throw new Error(`${what} at width ${p.x}: drawn mean ${p.mean} over ${p.runs} runs, the runs' mean is ${want} over ${members.length}`);
  }
  if (!heat) throw new Error('no heatmap drawn');
  if (heat.xLabels.join(',') !== '8,32' || heat.yLabels.join(',') !== '0,1') throw new Error(`heatmap axes ${heat.xLabels} × ${heat.yLabels}`);
  heat.yLabels.forEach((y, yi) =>
    heat.xLabels.forEach((x, xi) => {
      const members = runs.filter((r) => r.hidden === x && r.weightDecay === Number(y));
      const want = mean(members.map(value));
      if (members.length !== 2 || !near(heat.cells[yi][xi], want)) throw new Error(`${what} cell (${x}, ${y}): drawn ${heat.cells[yi][xi]}, the runs' mean is ${want}`);
    }),
  );
}

export async function studySteps(page: Page, url: string, step: Step, log: (...a: unknown[]) => void): Promise<void> {
  const ws = workspaceOf(url);
  let runs: RunFacts[] = [];
  /** The run the curve click opened (the cell clicked next holds other runs, so the panel must change). */
  let opened = '';
  const curveSel = '[data-chart="studyCurve"]';
  const heatSel = '[data-chart="studyHeatmap"]';
  const study = () => frameWith(page, curveSel, 60_000);
  /** The Dynamics webview showing one run, and that run's name (from its header). */
  const dynamicsRunName = async () => {
    const f = await frameWith(page, '[data-chart="loss"]', 60_000);
    return (await f.locator('h1.run-name').first().textContent({ timeout: 10_000 })) ?? '';
  };

  await step('study-from-codelens', async () => {
    const file = path.join(ws, 'samples', 'mini-study.experiment.json');
    fs.writeFileSync(file, JSON.stringify(miniStudy, null, 2));
    const t = Date.now();
    execFileSync(process.execPath, [path.join(ROOT, 'bin', 'training-dynamics.js'), 'run', file, '--sweep', '--jobs', '2'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
    runs = readRuns(ws);
    log(`mini-study: ${runs.length} runs trained by the CLI in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    if (runs.length !== 8) throw new Error(`the sweep wrote ${runs.length} runs, expected 8`);
    await palette(page, 'View: Close All Editors');
    await quickOpen(page, 'samples/mini-study.experiment.json');
    // The Runs index sees the CLI's runs (file watcher or runs-folder poller); the lens counts them.
    const lens = page.locator('.codelens-decoration a', { hasText: 'Study (8 runs)' }).first();
    await lens.waitFor({ timeout: 60_000 });
    await lens.click();
    await page.locator('.tab', { hasText: /Study: mini-study/ }).first().waitFor({ timeout: 60_000 });
    const f = await study();
    await f.locator(`${curveSel}[data-points="8"]`).waitFor({ timeout: 60_000 });
    await f.locator(`${heatSel}[data-points="4"]`).waitFor({ timeout: 60_000 });
    const curve = await attr<DrawnCurve[]>(f, curveSel, 'data-values');
    const heat = await attr<DrawnHeatmap>(f, heatSel, 'data-cells');
    log('curve', JSON.stringify(curve));
    checkDrawn(runs, curve, heat, (r) => r.last.trainLoss, 'finalTrainLoss');
  });

  await step('study-switch-metric', async () => {
    const f = await study();
    await f.locator('[data-picker="metric"] vscode-dropdown').click();
    await f.locator('[data-picker="metric"] vscode-option[value="finalTestLoss"]').click();
    await f.locator(`${curveSel} .card-title`, { hasText: /^finalTestLoss over model\.hidden/ }).waitFor({ timeout: 30_000 });
    await f.locator(`${heatSel} .card-title`, { hasText: /^finalTestLoss over model\.hidden × optimizer\.weightDecay/ }).waitFor({ timeout: 30_000 });
    checkDrawn(runs, await attr<DrawnCurve[]>(f, curveSel, 'data-values'), await attr<DrawnHeatmap>(f, heatSel, 'data-cells'), (r) => r.last.testLoss, 'finalTestLoss');
  });

  await step('study-click-opens-dynamics', async () => {
    const f = await study();
    const targets = await attr<Target[]>(f, curveSel, 'data-targets');
    const dots = targets.filter((t) => t.kind === 'run');
    if (dots.length !== 8) throw new Error(`${dots.length} run dots among the curve's click targets, expected 8`);
    // the dot farthest from every other point or dot (so it alone is under the pointer)
    const apart = (t: Target) => Math.min(...targets.filter((o) => o !== t).map((o) => Math.hypot(o.x - t.x, o.y - t.y)));
    const target = dots.reduce((a, b) => (apart(b) > apart(a) ? b : a));
    if (apart(target) < 1) throw new Error(`every run dot lies on another point: ${JSON.stringify(targets)}`);
    await f.locator(`${curveSel} canvas`).click({ position: { x: target.x, y: target.y } });
    const name = await until(page, `the Dynamics panel to show ${target.runNames[0]}`, 60_000, async () => {
      const n = await dynamicsRunName();
      return n === target.runNames[0] ? n : undefined;
    });
    opened = target.runDirs[0];
    log('curve dot opened', name);
  });

  await step('study-heatmap-hover-and-click', async () => {
    const f = await study();
    const cells = await attr<Target[]>(f, heatSel, 'data-targets');
    const cell = cells.find((c) => c.kind === 'cell' && c.runDirs.length === 2 && !c.runDirs.includes(opened));
    if (!cell) throw new Error(`no heatmap cell with two runs other than ${opened} among ${cells.length} targets`);
    const canvas = f.locator(`${heatSel} canvas`);
    await canvas.hover({ position: { x: cell.x, y: cell.y } });
    const tip = f.locator('.study-tip:not(.hidden)');
    await tip.waitFor({ timeout: 10_000 });
    const text = (await tip.textContent()) ?? '';
    for (const [i, runName] of cell.runNames.entries()) {
      const r = runs.find((x) => x.runDir === cell.runDirs[i]);
      if (!r) throw new Error(`the cell names a run not in the sweep: ${cell.runDirs[i]}`);
      if (!text.includes(`${runName}: ${r.last.testLoss}`)) throw new Error(`the hover text lacks "${runName}: ${r.last.testLoss}": ${text}`);
    }
    await canvas.click({ position: { x: cell.x, y: cell.y } });
    // two runs in the cell: the host asks which one
    await pickRow(page, cell.runNames[1], 30_000);
    const name = await until(page, `the Dynamics panel to show ${cell.runNames[1]}`, 60_000, async () => {
      const n = await dynamicsRunName();
      return n === cell.runNames[1] ? n : undefined;
    });
    log('heatmap cell opened', name);
  });

  await step('study-restored-after-reload', async () => {
    await page.locator('.tab', { hasText: /Study: mini-study/ }).first().click();
    let f = await study();
    await f.locator(`${curveSel} .chart-toggle[data-axis="y"]`).click();
    await f.locator(`${curveSel}[data-log-y="true"]`).waitFor({ timeout: 10_000 });
    await palette(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    const tab = page.locator('.tab', { hasText: /Study: mini-study/ }).first();
    await tab.waitFor({ timeout: 60_000 });
    await tab.click();
    f = await frameWith(page, `${curveSel}[data-points="8"]`, 90_000);
    await f.locator(`${curveSel}[data-log-y="true"]`).waitFor({ timeout: 30_000 });
    await f.locator(`${curveSel} .card-title`, { hasText: /^finalTestLoss over model\.hidden/ }).waitFor({ timeout: 30_000 });
    checkDrawn(runs, await attr<DrawnCurve[]>(f, curveSel, 'data-values'), await attr<DrawnHeatmap>(f, heatSel, 'data-cells'), (r) => r.last.testLoss, 'finalTestLoss after reload');
  });
}
