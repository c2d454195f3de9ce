#!/usr/bin/env node
'use strict';
// The CLI is bundled by esbuild into dist/cli.js (`npm install` builds it through the `prepare` script).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(cli)) {
  process.stderr.write('training-dynamics: dist/cli.js is missing; run `npm run build` first.\n');
  process.exit(2);
}
require(cli).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`training-dynamics: ${err && err.message ? err.message : err}\n`); process.exitCode = 1; },
);
