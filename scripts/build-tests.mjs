// Bundles the extension-host test suite (test/integration/index.ts → out/test/integration/index.js) for
// @vscode/test-electron and code-server: CommonJS, Node platform, `vscode` provided by the host.
import * as esbuild from 'esbuild';

await esbuild.build({
  entryPoints: ['test/integration/index.ts'],
  outfile: 'out/test/integration/index.js',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode'],
  // jsonc-parser's UMD build requires its files dynamically, which a bundle cannot follow (as in esbuild.mjs).
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  logLevel: 'warning',
});
console.log('build-tests: out/test/integration/index.js');
