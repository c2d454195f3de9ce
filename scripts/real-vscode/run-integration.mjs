// Runs the extension-host test suite in code-server the way VS Code's own browser integration runner does:
// the workbench URL's `payload` carries extensionDevelopmentPath and extensionTestsPath as vscode-remote URIs;
// the server must run with `--vscode-option enable-smoke-test-driver` (else the payload is ignored). The exit
// code comes back through window.codeAutomationExit. The extension must NOT also be installed in the server's
// extensions folder. Usage: node run-integration.mjs PORT EXT_DEV_PATH TESTS_JS WORKSPACE
// Env: TEST_TIMEOUT_MS (whole run, default 600000), CONSOLE_LOG (browser console copy), SHOTS (failure screenshot dir),
// TD_PROFILE (write a CPU profile of the page's renderer — the workbench and its webviews — to this .cpuprofile file).
// UI requests: a test that needs a user's hand in the workbench (a palette command, a quick-pick row, a button in
// a webview) writes WORKSPACE/.td-ui/req-N.json ({ steps }); this runner performs the steps in the browser and
// answers in res-N.json ({ ok, error, clickedAt }: the wall-clock ms of the last click, same machine).
import { chromium } from 'playwright-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const [port, extDev, testsJs, ws] = process.argv.slice(2);
if (!port || !extDev || !testsJs || !ws) {
  console.error('usage: node run-integration.mjs PORT EXT_DEV_PATH TESTS_JS WORKSPACE');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) {
  console.error(`run-integration: no browser at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM)`);
  process.exit(2);
}
const timeoutMs = Number(process.env.TEST_TIMEOUT_MS || 600_000);
const host = `127.0.0.1:${port}`;
const remote = (p) => `vscode-remote://${host}${path.resolve(p)}`;
const payload = JSON.stringify([
  ['extensionDevelopmentPath', remote(extDev)],
  ['extensionTestsPath', remote(testsJs)],
  ['skipWelcome', 'true'],
]);
const url = `http://${host}/?folder=${encodeURIComponent(path.resolve(ws))}&payload=${encodeURIComponent(payload)}`;

const t0 = Date.now();
const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'td-chromium-'));
const consoleLog = fs.createWriteStream(process.env.CONSOLE_LOG || path.join(os.tmpdir(), `td-integration-console-${port}.log`));
let summary = null;
let ctx;
try {
  ctx = await chromium.launchPersistentContext(udd, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  let done;
  const finished = new Promise((r) => (done = r));
  await page.exposeFunction('codeAutomationLog', (type, args) => consoleLog.write(`[exthost ${type}] ${JSON.stringify(args)}\n`));
  await page.exposeFunction('codeAutomationExit', (code) => done(code));
  const seen = new Set();
  page.on('console', (m) => {
    const text = m.text();
    consoleLog.write(`[${m.type()}] ${text}\n`);
    // The suite's own lines ([td-test] …) arrive as extension-host console messages; print each once.
    const i = text.indexOf('[td-test] ');
    if (i < 0) return;
    const line = text.slice(i + 10).split('\n')[0].replace(/\s*(%c|color:.*)$/g, '').trimEnd();
    if (seen.has(line)) return;
    seen.add(line);
    console.log(line);
    if (/^\d+ passed, \d+ failed$/.test(line)) summary = line;
  });
  page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  const stopUi = serveUiRequests(page, path.join(path.resolve(ws), '.td-ui'));
  const profiler = process.env.TD_PROFILE ? await ctx.newCDPSession(page) : null;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: 500 });
    await profiler.send('Profiler.start');
  }
  await page.goto(url);
  const code = await Promise.race([finished, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs))]);
  if (profiler) {
    const { profile } = await profiler.send('Profiler.stop');
    fs.writeFileSync(process.env.TD_PROFILE, JSON.stringify(profile));
    console.log(`run-integration: CPU profile of the page in ${process.env.TD_PROFILE} (started at ${new Date(t0).toISOString()})`);
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (code === 'timeout') {
    console.error(`run-integration: the suite did not finish within ${timeoutMs / 1000} s (browser console: ${consoleLog.path})`);
    if (process.env.SHOTS) {
      fs.mkdirSync(process.env.SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(process.env.SHOTS, 'integration-timeout.png') }).catch(() => {});
    }
  } else {
    console.log(`run-integration: workbench exited with code ${code} after ${secs} s`);
  }
  if (!summary) {
    console.log('0 passed, 1 failed');
    console.error(`run-integration: the suite printed no summary line (did the extension host start the tests? see ${consoleLog.path})`);
  }
  process.exitCode = code === 0 && summary ? 0 : 1;
  stopUi();
} catch (err) {
  console.error(`run-integration: ${err instanceof Error ? err.message.split('\n')[0] : err}`);
  process.exitCode = 1;
} finally {
  // Closing can hang while the workbench shuts its extension host down: give it 10 s, then exit anyway
  // (playwright kills the browser it launched when this process exits).
  const t = Date.now();
  await Promise.race([ctx?.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
  if (Date.now() - t > 9_000) console.error('run-integration: the browser did not close within 10 s; killing it');
  fs.rmSync(udd, { recursive: true, force: true });
  consoleLog.end();
  process.exit(process.exitCode ?? 1);
}

/** Performs the UI requests the suite writes into `dir` (see the header). Returns a function that stops serving. */
function serveUiRequests(page, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const done = new Set();
  let busy = false;
  const webviewFrame = () => page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');
  const row = (label) =>
    page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
  // The click's moment is when the pointer goes down: Playwright's actionability checks (visible, stable over two
  // animation frames, enabled, hit) are done first with a trial click, so a slow frame rate while the robot
  // aims is not counted as the product's latency; the click itself then goes at once.
  const clickNow = async (target, timeout) => {
    await target.waitFor({ state: 'visible', timeout });
    await target.click({ trial: true, timeout });
    const at = Date.now();
    await target.click({ force: true, timeout });
    return at;
  };
  const perform = async (step) => {
    const timeout = step.timeoutMs ?? 20_000;
    switch (step.do) {
      case 'palette': {
        await page.keyboard.press('F1');
        const input = page.locator('.quick-input-widget input');
        await input.waitFor({ state: 'visible', timeout });
        await input.fill('>' + step.title);
        return clickNow(row(step.title), timeout);
      }
      case 'pick': {
        return clickNow(row(step.label), timeout);
      }
      case 'click': {
        return clickNow((step.webview ? webviewFrame() : page).locator(step.selector).first(), timeout);
      }
      default:
        throw new Error(`unknown UI step ${JSON.stringify(step)}`);
    }
  };
  const timer = setInterval(async () => {
    if (busy) return;
    let names;
    try {
      names = fs.readdirSync(dir).filter((f) => /^req-\d+\.json$/.test(f) && !done.has(f));
    } catch {
      return;
    }
    if (!names.length) return;
    busy = true;
    for (const name of names) {
      done.add(name);
      const res = path.join(dir, name.replace(/^req-/, 'res-'));
      let answer;
      try {
        const { steps } = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
        let clickedAt = null;
        for (const step of steps) clickedAt = await perform(step);
        answer = { ok: true, clickedAt };
      } catch (err) {
        answer = { ok: false, error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
      }
      fs.writeFileSync(res + '.tmp', JSON.stringify(answer));
      fs.renameSync(res + '.tmp', res);
    }
    busy = false;
  }, 100);
  return () => clearInterval(timer);
}
