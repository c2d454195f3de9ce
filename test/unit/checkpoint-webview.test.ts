/**
 * The checkpoint webview (dist/webview/checkpoint.js, built by `npm run build`) rendered in headless Chromium
 * from a static harness page: a fake acquireVsCodeApi relays the page's messages to this test, which plays the
 * host with the real worker functions on real safetensors files. Checks the table, the detail, persistence, the
 * buttons, the error page and the compare view, and that no CSP violation or page error happens under the same
 * strict policy as in VS Code (scripts only with a nonce, no inline styles). Screenshots go to
 * $CHECKPOINT_SHOTS (default: <tmp>/td-checkpoint-shots). Skipped when the bundle or Chromium is missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bufferSource, encodeSafetensors, readHeader, type SafetensorsHeader, type ByteSource } from '../../extension/engine/safetensors';
import { compareHeaders, headerView } from '../../extension/host/checkpointWorker';
import { tensorDetail } from '../../extension/engine/safetensors/stream';
import { isCheckpointWebviewToHost, type CheckpointHostToWebview, type CheckpointWebviewToHost } from '../../extension/shared/checkpointProtocol';
import { fmt, fmtDuration, metricRows } from '../../webview/checkpoint/table';
import { rng } from './gaussian-fixture';

const root = resolve(__dirname, '../..');
const bundle = join(root, 'dist/webview/checkpoint.js');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const skip = !existsSync(bundle) ? 'run `npm run build` first' : !existsSync(chromiumPath) ? `no Chromium at ${chromiumPath}` : false;
const shots = process.env.CHECKPOINT_SHOTS || join(tmpdir(), 'td-checkpoint-shots');

function checkpoint(epoch: number, scale: number): Uint8Array {
  const g = rng(42);
  const k0 = Float32Array.from({ length: 64 * 128 }, () => 0.1 * g());
  // A planted low-rank spike so the spectrum has outliers above λ+.
  for (let i = 0; i < 64; i++) for (let j = 0; j < 128; j++) k0[i * 128 + j] += scale * 0.05 * Math.sin(i / 5) * Math.cos(j / 7);
  return encodeSafetensors(
    [
      { name: 'layers.0.kernel', dtype: 'F32', shape: [64, 128], data: k0 },
      { name: 'layers.0.bias', dtype: 'F32', shape: [128], data: Float32Array.from({ length: 128 }, () => 0.01 * g()) },
      { name: 'layers.1.kernel', dtype: 'F32', shape: [128, 10], data: Float32Array.from({ length: 1280 }, () => 0.1 * g()) },
      { name: 'layers.1.bias', dtype: 'F32', shape: [10], data: new Float32Array(10) },
    ],
    {
      format: 'training-dynamics/1',
      config: JSON.stringify({ task: { kind: 'modular', p: 97 }, model: { hidden: [128] }, optimizer: { lr: 0.001, weightDecay: 1 } }),
      epoch: String(epoch),
      metrics: JSON.stringify({ epoch, trainLoss: 0.0123, testLoss: 2.5, trainAcc: 1, testAcc: 0.31 }),
      experiment: 'grokking',
      runName: 'wd1',
      runDir: '/work/runs/grokking/wd1-20261125',
      experimentFile: '/work/grokking.experiment.json',
    },
  );
}

const CSS_VARS = `
body { --vscode-foreground:#cccccc; --vscode-descriptionForeground:#9d9d9d; --vscode-editor-background:#1f1f1f;
  --vscode-panel-border:#2b2b2b; --vscode-button-background:#0078d4; --vscode-button-foreground:#ffffff;
  --vscode-button-hoverBackground:#026ec1; --vscode-button-secondaryBackground:#313131; --vscode-button-secondaryForeground:#cccccc;
  --vscode-input-background:#313131; --vscode-input-foreground:#cccccc; --vscode-list-hoverBackground:#2a2d2e;
  --vscode-list-activeSelectionBackground:#04395e; --vscode-list-activeSelectionForeground:#ffffff; --vscode-focusBorder:#0078d4;
  --vscode-errorForeground:#f85149; --vscode-textLink-foreground:#4daafc; --vscode-progressBar-background:#0078d4;
  --vscode-editorWidget-background:#202020; --vscode-sideBarSectionHeader-background:#181818; --vscode-textCodeBlock-background:#2b2b2b;
  --vscode-charts-blue:#3794ff; --vscode-charts-orange:#d18616; --vscode-charts-red:#f14c4c; --vscode-font-family:sans-serif; --vscode-font-size:13px;
  --vscode-editor-font-family:monospace; }`;

function harness(dir: string, mode: 'inspect' | 'compare'): string {
  const nonce = 'n0nce' + Math.random().toString(36).slice(2);
  writeFileSync(join(dir, 'theme.css'), CSS_VARS);
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src file: data:; style-src file:; font-src file:; script-src 'nonce-${nonce}' file:">
<link rel="stylesheet" href="${pathToFileURL(join(root, 'media/checkpoint.css'))}">
<link rel="stylesheet" href="${pathToFileURL(join(dir, 'theme.css'))}">
</head><body class="vscode-dark" data-mode="${mode}"><main id="app"><p class="status">Reading the header…</p></main>
<script nonce="${nonce}" src="${pathToFileURL(join(dir, 'fake-api.js'))}"></script>
<script nonce="${nonce}" src="${pathToFileURL(bundle)}"></script></body></html>`;
  writeFileSync(
    join(dir, 'fake-api.js'),
    `window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__post(m),
      getState: () => JSON.parse(sessionStorage.getItem('state') || 'null') ?? undefined,
      setState: (s) => sessionStorage.setItem('state', JSON.stringify(s)),
    });`,
  );
  const file = join(dir, `${mode}.html`);
  writeFileSync(file, html);
  return pathToFileURL(file).toString();
}

test('checkpoint webview in headless Chromium: table, detail, persistence, buttons, error page, compare', { skip, timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  mkdirSync(shots, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'td-ckpt-web-'));
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--allow-file-access-from-files'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });

    // The "host": answers the page with the real worker functions.
    const bytes0 = checkpoint(100, 1);
    const bytes1 = checkpoint(900, 3);
    const src: ByteSource = bufferSource(bytes0);
    const h0: SafetensorsHeader = await readHeader(src);
    const hv = headerView('/work/runs/grokking/wd1-20261125/checkpoints/epoch-000100.safetensors', h0);
    const received: CheckpointWebviewToHost[] = [];
    let onReady: () => CheckpointHostToWebview = () => ({ type: 'header', header: hv });
    const send = (m: CheckpointHostToWebview) => page.evaluate((msg) => (globalThis as unknown as { postMessage(m: unknown, target: string): void }).postMessage(msg, '*'), m);
    await page.exposeFunction('__post', async (raw: unknown) => {
      assert.ok(isCheckpointWebviewToHost(raw), `malformed message from the webview: ${JSON.stringify(raw)}`);
      received.push(raw);
      if (raw.type === 'ready') await send(onReady());
      if (raw.type === 'selectTensor') {
        const info = h0.tensors.find((t) => t.name === raw.name)!;
        const detail = await tensorDetail(src, info, raw.force ? 'force' : 'auto', () => undefined);
        await send({ type: 'progress', name: raw.name, fraction: 0.5, label: 'reading' });
        await send({ type: 'tensor', detail });
      }
    });

    await page.goto(harness(dir, 'inspect'));
    await page.waitForSelector('#tensor-table tr[data-tensor]');
    assert.equal(await page.locator('#tensor-table tr[data-tensor]').count(), 4);
    assert.equal(await page.locator('#tensor-table tr.group').count(), 2);
    const totalsText = await page.locator('#totals').innerText();
    assert.match(totalsText, /4\s+tensors/);
    assert.match(totalsText, /9,610\s+parameters/); // 64·128 + 128 + 128·10 + 10
    assert.match(await page.locator('#checkpoint-facts').innerText(), /epoch\s+100/);
    assert.match(await page.locator('#checkpoint-metrics').innerText(), /test accuracy\s+0\.31/);

    // Select the first kernel: statistics, value histogram, spectrum against MP.
    await page.click('tr[data-tensor="layers.0.kernel"]');
    await page.waitForSelector('#spectrum-chart');
    const expected = await tensorDetail(src, h0.tensors.find((t) => t.name === 'layers.0.kernel')!, 'auto', () => undefined);
    assert.equal(await page.locator('#tensor-stats dd[data-stat="mean"]').innerText(), fmt(expected.stats.mean));
    assert.equal(await page.locator('#tensor-stats dd[data-stat="L2 norm"]').innerText(), fmt(expected.stats.l2));
    assert.equal(await page.locator('#spectrum-stats dd[data-stat="λ+"]').innerText(), fmt(expected.spectrum!.lambdaPlus));
    assert.ok(await page.locator('#value-histogram').isVisible());
    assert.equal(await page.locator('tr.selected').getAttribute('data-tensor'), 'layers.0.kernel');
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(shots, 'checkpoint-inspect.png'), fullPage: true });

    // Sort by params (descending first), filter, buttons.
    await page.click('#tensor-table th[data-sort="params"]');
    const firstInGroup = await page.locator('#tensor-table tr[data-tensor]').first().getAttribute('data-tensor');
    assert.equal(firstInGroup, 'layers.0.kernel');
    await page.fill('#filter', 'bias');
    assert.equal(await page.locator('#tensor-table tr[data-tensor]').count(), 2);
    await page.click('#open-dynamics');
    await page.click('#open-experiment');
    await page.click('#compare');
    await page.waitForTimeout(100);
    const types = received.map((m) => m.type);
    for (const t of ['openDynamics', 'openExperiment', 'compare']) assert.ok(types.includes(t as CheckpointWebviewToHost['type']), `${t} not posted: ${types}`);

    // State survives a reload: the filter and the selected tensor come back (and the tensor is asked for again).
    received.length = 0;
    await page.reload();
    await page.waitForSelector('#spectrum-chart');
    assert.equal(await page.inputValue('#filter'), 'bias');
    assert.ok(received.some((m) => m.type === 'selectTensor' && m.name === 'layers.0.kernel'));

    // A truncated file: the error page with the reader's message.
    onReady = () => ({ type: 'fatal', file: '/x/bad.safetensors', code: 'INCOMPLETE_DATA', message: 'the header describes 64 data bytes but the file holds 59' });
    await page.reload();
    await page.waitForSelector('#fatal');
    assert.match(await page.locator('#fatal-message').innerText(), /describes 64 data bytes/);
    await page.screenshot({ path: join(shots, 'checkpoint-error.png') });

    // Compare view.
    const a = { file: 'epoch-000100.safetensors', src, header: h0 };
    const bSrc = bufferSource(bytes1);
    const b = { file: 'epoch-000900.safetensors', src: bSrc, header: await readHeader(bSrc) };
    const result = await compareHeaders(b, a, () => undefined);
    onReady = () => ({ type: 'compare', result });
    await page.evaluate(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear()); // a new panel starts without saved state
    await page.goto(harness(dir, 'compare'));
    await page.waitForSelector('#compare-table tr[data-tensor]');
    assert.equal(await page.locator('#compare-table tr[data-tensor]').count(), 4);
    const relCell = await page.locator('#compare-table tr[data-tensor="layers.0.kernel"] td').nth(2).innerText();
    assert.equal(relCell, fmt(result.rows.find((r) => r.name === 'layers.0.kernel')!.relChange));
    assert.match(await page.locator('header.top').innerText(), /W₀ = epoch-000100\.safetensors \(epoch 100\)/);
    await page.screenshot({ path: join(shots, 'checkpoint-compare.png'), fullPage: true });

    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpoint metrics: named fields with units; the record type and epoch left out', () => {
  assert.deepEqual(metricRows({ type: 'epoch', epoch: 500, t: 3756, lr: 0.003, trainLoss: 0.0001234, testAcc: 0.9, trainR2: null, extra: 'x' }), [
    ['time since start', '3.8 s'],
    ['learning rate', '0.003'],
    ['train loss', '1.234e-4'],
    ['test accuracy', '0.9'],
    ['extra', 'x'],
  ]);
  assert.deepEqual([850, 3756, 125_000, 3_720_000, -1].map(fmtDuration), ['850 ms', '3.8 s', '2 min 05 s', '1 h 02 min', '—']);
});
