/**
 * e2e steps for the panels as a researcher uses them (run from e2e.ts):
 * - quickstart-groks: the quickstart's "tiny" config, trained from its CodeLens, shows a memorization and a
 *   generalization epoch in the panel header and both markers on the accuracy chart (data-markers); the time
 *   from the click to the generalization marker is logged.
 * - chart-controls (on the quickstart's panel): log y on and off, smoothing and drag-to-zoom change what chart.js
 *   drew (the cards' data-drawn-* attributes: scale type, x range, raw copies behind smoothed series), the zoom
 *   range is shared by every epoch chart, double-click restores the full range.
 * - chart-exports (same panel): a chart's PNG, saved through the save dialog, is at least twice the chart's
 *   on-screen size; its SVG parses (DOMParser) with the title, axis titles and one path per series; each save is
 *   confirmed with Open / Reveal.
 * - runs-view-follows-cli: a run the CLI starts while the Runs view is open appears in it within 2 s of its
 *   run.json being written.
 * - compare-60-runs: 60 sweep runs (copies of a CLI-trained run with their own sweep values) compared at once:
 *   the run list stays height-bounded, and the heatmap and the charts keep on-screen rectangles; filtering the
 *   list narrows it.
 * - did-you-mean-quick-fix: a misspelled key gets one diagnostic, and its quick fix renames the key in the file.
 * Fixture files are written into the workspace folder named by the URL (`?folder=`).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { palette, pickRow, quickOpen, webview } from './workbench';

export type Step = (name: string, fn: () => Promise<void>) => Promise<void>;

const ROOT = path.resolve(__dirname, '../..');

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

/** A chart card's data-* attributes (settings mirrored and what chart.js drew), read in one go. */
async function cardState(frame: FrameLocator, chart: string): Promise<Record<string, string>> {
  return frame.locator(`[data-chart="${chart}"]`).evaluate((e) => Object.fromEntries(Object.entries((e as HTMLElement).dataset).map(([k, v]) => [k, v ?? ''])));
}

/** Polls `read` until `ok` holds; throws with `what` and the last value read. */
async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: not after ${timeoutMs / 1000} s (last ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const range = (s: string | undefined) => (s ?? '').split(',').map(Number) as [number, number];

/**
 * Saves through the save dialog the host opened (code-server's quick-input file dialog): the suggested name is
 * accepted with Enter. Returns the file written, once it exists.
 */
async function acceptSaveDialog(page: Page, ext: string): Promise<string> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  const file = await until(`a suggested .${ext} path in the save dialog`, () => input.inputValue(), (v) => v.endsWith(`.${ext}`), 10_000);
  await input.press('Enter');
  await until(`${file} written`, async () => fs.existsSync(file) && fs.statSync(file).size > 0, (v) => v, 20_000);
  return file;
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

  await step('chart-controls', async () => {
    // The quickstart's panel (quickstart-groks) is the visible webview.
    const frame = webview(page);
    const card = (chart: string) => frame.locator(`[data-chart="${chart}"]`);
    const state = (chart: string) => () => cardState(frame, chart);
    // log y: accuracy is linear, loss logarithmic; each toggle changes its own chart's scale, and back.
    // The run has ended and its loss fit (sent with the final summary) is drawn before the series are counted.
    await frame.locator('.run-header .status-completed').first().waitFor({ timeout: 60_000 });
    const hasFit = (await frame.locator('.fact', { hasText: 'loss fit' }).count()) > 0;
    const lossInfo = () => card('loss').locator('.info').textContent().then((t) => t ?? '');
    if (hasFit) await until('the loss fit drawn', lossInfo, (t) => t.includes('train-loss fit'));
    const acc0 = await until('accuracy drawn', state('accuracy'), (d) => d.drawnY !== undefined && d.drawnY !== '');
    const loss0 = await until('loss drawn', state('loss'), (d) => d.drawnY !== undefined && d.drawnY !== '');
    if (acc0.drawnY !== 'linear' || loss0.drawnY !== 'logarithmic') throw new Error(`default scales: accuracy ${acc0.drawnY}, loss ${loss0.drawnY}`);
    await card('accuracy').locator('.chart-toggle[data-axis="y"]').click();
    await until('accuracy log y', state('accuracy'), (d) => d.drawnY === 'logarithmic' && d.logY === 'true');
    if ((await cardState(frame, 'loss')).drawnY !== 'logarithmic') throw new Error('toggling the accuracy chart changed the loss chart');
    await card('loss').locator('.chart-toggle[data-axis="y"]').click();
    await until('loss linear y', state('loss'), (d) => d.drawnY === 'linear' && d.logY === 'false');
    await card('accuracy').locator('.chart-toggle[data-axis="y"]').click();
    await card('loss').locator('.chart-toggle[data-axis="y"]').click();
    await until('accuracy back to linear', state('accuracy'), (d) => d.drawnY === 'linear');
    await until('loss back to log', state('loss'), (d) => d.drawnY === 'logarithmic');

    // Smoothing: each epoch series is drawn smoothed (different values) with its raw copy behind it; 0 removes them.
    if (loss0.drawnRaw !== '0') throw new Error(`raw copies before smoothing: ${loss0.drawnRaw}`);
    const slider = frame.locator('.chart-toolbar .smoothing input[type="range"]');
    await slider.fill('0.9');
    const smoothed = await until('loss smoothed', state('loss'), (d) => d.smoothing === '0.9' && Number(d.drawnRaw) >= 2 && d.drawnSmoothed === d.drawnRaw);
    if (smoothed.drawnSeries !== loss0.drawnSeries) throw new Error(`smoothing changed the series shown: ${loss0.drawnSeries} → ${smoothed.drawnSeries}`);
    await until('accuracy smoothed', state('accuracy'), (d) => Number(d.drawnRaw) >= 2 && d.drawnSmoothed === d.drawnRaw);
    log(`smoothing 0.9: loss ${smoothed.drawnSeries} series over ${smoothed.drawnRaw} raw copies`);
    await slider.fill('0');
    await until('smoothing off', state('loss'), (d) => d.smoothing === '0' && d.drawnRaw === '0');

    // Drag-to-zoom on the loss chart: 35 %–60 % of its width; every epoch chart shows that range, double-click resets.
    const full = range((await cardState(frame, 'loss')).drawnRange);
    const box = await card('loss').locator('canvas').boundingBox();
    if (!box) throw new Error('the loss chart has no box');
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + 0.35 * box.width, y);
    await page.mouse.down();
    await page.mouse.move(box.x + 0.6 * box.width, y, { steps: 8 });
    await page.mouse.up();
    const zoomed = await until('zoomed range', state('loss'), (d) => d.range !== '' && d.drawnRange === d.range);
    const [a, b] = range(zoomed.range);
    if (!(a > full[0] && b < full[1] && b - a < 0.5 * (full[1] - full[0]))) throw new Error(`zoomed ${zoomed.range} is not a part of ${full.join(',')}`);
    const shared = await frame.locator('[data-chart]:not(.empty)').evaluateAll((els) => els.map((e) => [e.getAttribute('data-chart'), e.getAttribute('data-range'), e.getAttribute('data-drawn-range')]));
    const epochCharts = shared.filter(([, r]) => r);
    const differing = epochCharts.filter(([, r, drawn]) => r !== zoomed.range || drawn !== zoomed.range);
    if (epochCharts.length < 2 || differing.length) throw new Error(`the zoom range ${zoomed.range} is not every epoch chart's: ${JSON.stringify(shared)}`);
    if (!(await frame.locator('.reset-zoom').isVisible())) throw new Error('no Reset zoom button while zoomed');
    log(`zoom: epochs ${zoomed.range} of ${full.join(',')} on ${epochCharts.map(([n]) => n).join(', ')}`);
    await card('loss').locator('canvas').dblclick({ position: { x: box.width / 2, y: box.height / 2 } });
    const reset = await until('zoom reset', state('loss'), (d) => d.range === '' && range(d.drawnRange)[0] === full[0]);
    if (range(reset.drawnRange)[1] < full[1]) throw new Error(`after the reset the loss chart shows ${reset.drawnRange}, not ${full.join(',')}`);
    await until('Reset zoom hidden', () => frame.locator('.reset-zoom').isVisible(), (v) => !v, 5_000);
  });

  await step('chart-exports', async () => {
    const frame = webview(page);
    const card = frame.locator('[data-chart="accuracy"]');
    const screen = await card.locator('canvas').boundingBox();
    if (!screen) throw new Error('the accuracy chart has no box');
    // PNG (the panel's default scale, 2×, on white): the file's IHDR size against the chart's on-screen size.
    await card.locator('vscode-button.png').click();
    const png = fs.readFileSync(await acceptSaveDialog(page, 'png'));
    if (png.readUInt32BE(0) !== 0x89504e47 || png.toString('latin1', 12, 16) !== 'IHDR') throw new Error('the saved file is not a PNG');
    const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    log(`PNG ${w}×${h} for a chart of ${screen.width.toFixed(0)}×${screen.height.toFixed(0)} on screen`);
    if (w < 2 * Math.floor(screen.width) || h < 2 * Math.floor(screen.height)) throw new Error(`PNG ${w}×${h} is less than 2× the chart's ${screen.width}×${screen.height}`);
    const toast = (what: string) => page.locator('.notification-toast', { hasText: `(${what}) saved to` }).first();
    await toast('PNG').waitFor({ timeout: 20_000 });
    for (const choice of ['Open', 'Reveal']) await toast('PNG').locator('.monaco-button', { hasText: choice }).first().waitFor({ timeout: 5_000 });
    // SVG: parsed by the browser's XML parser; title, axis titles and the train/test lines are in it.
    await card.locator('vscode-button.export-svg').click();
    const svg = fs.readFileSync(await acceptSaveDialog(page, 'svg'), 'utf8');
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        root: doc.documentElement.localName,
        viewBox: doc.documentElement.getAttribute('viewBox'),
        texts: Array.from(doc.querySelectorAll('text')).map((t) => t.textContent ?? ''),
        paths: doc.querySelectorAll('path, polyline').length,
      };
    }, svg);
    log('SVG', JSON.stringify({ ...parsed, texts: parsed.texts.slice(0, 8) }));
    if (parsed.error || parsed.root !== 'svg' || !parsed.viewBox) throw new Error(`the SVG does not parse: ${parsed.error ?? parsed.root}`);
    for (const t of ['Accuracy', 'epoch', 'accuracy']) if (!parsed.texts.some((x) => x.includes(t))) throw new Error(`the SVG has no "${t}" text: ${parsed.texts.join(' | ')}`);
    if (parsed.paths < 2) throw new Error(`the SVG draws ${parsed.paths} paths`);
    await toast('SVG').waitFor({ timeout: 20_000 });
  });

  await step('runs-view-follows-cli', async () => {
    await palette(page, 'Focus on Runs View', /Training Dynamics: Focus on Runs View$/);
    const rows = page.locator('.sidebar .monaco-list-row', { hasText: 'tiny-no-wd' });
    await page.locator('.sidebar .monaco-list-row', { hasText: 'quickstart' }).first().waitFor({ timeout: 30_000 });
    const before = await rows.count();
    const runs = path.join(ws, '.training-dynamics', 'runs');
    const started = (): string[] => {
      const dir = path.join(runs, 'quickstart');
      return fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith('tiny-no-wd') && fs.existsSync(path.join(dir, d, 'run.json'))) : [];
    };
    const known = new Set(started());
    const cli = spawn(process.execPath, [path.join(ROOT, 'bin', 'training-dynamics.js'), 'run', path.join(ws, 'samples', 'quickstart.experiment.json'), '--config', 'tiny-no-wd', '--out', runs, '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', (code) => resolve(code)));
    try {
      const end = Date.now() + 60_000;
      while (!started().some((d) => !known.has(d))) {
        if (Date.now() > end || cli.exitCode !== null) throw new Error(`the CLI wrote no run.json (${stderr.trim().split('\n').pop() ?? ''})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const t = Date.now();
      await until('the CLI run in the Runs view', () => rows.count(), (n) => n > before, 10_000);
      const ms = Date.now() - t;
      log(`Runs view: the CLI's run listed ${ms} ms after its run.json was written`);
      if (ms > 2_000) throw new Error(`the CLI's run appeared ${ms} ms after its run.json (more than 2 s)`);
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 120_000))]);
      if (code !== 0) throw new Error(`the CLI run ended with ${code} (${stderr.trim().split('\n').pop() ?? ''})`);
      // The row follows the run to its end (no "running n/N" left in its description).
      await until('the finished CLI run in the Runs view', async () => (await rows.first().textContent()) ?? '', (text) => !/running/.test(text), 10_000);
    } finally {
      if (cli.exitCode === null) cli.kill();
    }
    await palette(page, 'View: Show Explorer');
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
