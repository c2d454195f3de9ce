// Bundles the extension host, the trainer child process, the CLI, the checkpoint worker, the evaluation thread
// (evalWorker: the trainer and the CLI start it from dist/) and the webviews
// separately (each has its own platform and externals). `node esbuild.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** Native or editor-provided modules that must stay `require`d at run time. */
const nodeExternals = ['vscode', '@tensorflow/tfjs-node'];

const targets = [
  { entry: 'extension/host/extension.ts', out: 'dist/extension.js', platform: 'node' },
  { entry: 'extension/trainer/main.ts', out: 'dist/trainer.js', platform: 'node' },
  { entry: 'extension/cli/main.ts', out: 'dist/cli.js', platform: 'node' },
  { entry: 'extension/host/checkpointWorker.ts', out: 'dist/checkpointWorker.js', platform: 'node' },
  { entry: 'extension/engine/evalWorker.ts', out: 'dist/evalWorker.js', platform: 'node' },
  { entry: 'webview/dynamics/main.ts', out: 'dist/webview/dynamics.js', platform: 'browser' },
  { entry: 'webview/checkpoint/main.ts', out: 'dist/webview/checkpoint.js', platform: 'browser' },
  { entry: 'webview/study/main.ts', out: 'dist/webview/study.js', platform: 'browser' },
];

function copyWasm() {
  // The wasm backend loads its .wasm binaries from the folder given to setWasmPaths (dist/).
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist';
  mkdirSync('dist', { recursive: true });
  for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) cpSync(join(wasmDir, f), join('dist', f));
}

const contexts = [];
for (const t of targets) {
  if (!existsSync(t.entry)) continue;
  const options = {
    entryPoints: [t.entry],
    outfile: t.out,
    bundle: true,
    platform: t.platform,
    format: t.platform === 'node' ? 'cjs' : 'iife',
    target: t.platform === 'node' ? 'node20' : 'es2022',
    sourcemap: true,
    minify: production,
    external: t.platform === 'node' ? nodeExternals : [],
    // jsonc-parser's default (UMD) build requires its files dynamically, which a bundle cannot follow.
    alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
    logLevel: 'warning',
  };
  if (watch) contexts.push(await esbuild.context(options));
  else await esbuild.build(options);
}
copyWasm();
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching');
}
