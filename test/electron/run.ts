/**
 * `npm run test:electron`: the extension-host suite (test/integration, bundled by scripts/build-tests.mjs)
 * in desktop VS Code through @vscode/test-electron, which downloads VS Code (so this needs internet access;
 * where there is none, `npm run test:vscode` runs the same suite in code-server). Opens a scratch copy of
 * samples/ with every other extension disabled. Env: VSCODE_VERSION (default "stable"),
 * VSCODE_EXECUTABLE (use an installed VS Code instead of downloading).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { errorText } from '../../extension/shared/errors';

async function main(): Promise<number> {
  const root = path.resolve(__dirname, '../..');
  const tests = path.join(root, 'out/test/integration/index.js');
  if (!fs.existsSync(path.join(root, 'dist/extension.js'))) throw new Error('dist/extension.js is missing: run `npm run build` first');
  if (!fs.existsSync(tests)) throw new Error('out/test/integration/index.js is missing: run `node scripts/build-tests.mjs` first');
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'td-ws-'));
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'td-ud-'));
  try {
    fs.mkdirSync(path.join(ws, 'samples'));
    fs.mkdirSync(path.join(ws, 'extension/engine/config'), { recursive: true });
    for (const f of fs.readdirSync(path.join(root, 'samples'))) {
      if (f.endsWith('.experiment.json')) fs.copyFileSync(path.join(root, 'samples', f), path.join(ws, 'samples', f));
    }
    fs.copyFileSync(path.join(root, 'extension/engine/config/schema.json'), path.join(ws, 'extension/engine/config/schema.json'));
    await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      vscodeExecutablePath: process.env.VSCODE_EXECUTABLE || undefined,
      extensionDevelopmentPath: root,
      extensionTestsPath: tests,
      launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--user-data-dir', userData],
    });
    return 0;
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg = errorText(err);
    console.error(`test:electron: ${msg.split('\n')[0]}`);
    if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo|download/i.test(msg)) {
      console.error('test:electron: VS Code could not be downloaded here; `npm run test:vscode` runs the same suite in code-server offline.');
    }
    process.exit(1);
  },
);
