// Builds the native fast path (native/mlp.cc → native/build/td_native.node) with the system C++ compiler
// and Node's own Node-API headers: `npm install` runs it. It never fails the install: when there is no
// compiler or no headers, or TRAINING_DYNAMICS_NATIVE=off, it says why and the engine trains on tfjs.
// Plain g++ rather than node-gyp: node-gyp downloads Node's headers, which an offline machine cannot, while
// the installed Node ships them (include/node); one C++ file needs no build system.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'native', 'mlp.cc');
const outDir = path.join(root, 'native', 'build');
const out = path.join(outDir, 'td_native.node');
const say = (msg) => console.log(`native fast path: ${msg}`);

function main() {
  const env = process.env.TRAINING_DYNAMICS_NATIVE;
  if (env === 'off' || env === '0') {
    fs.rmSync(out, { force: true });
    return say(`not built (TRAINING_DYNAMICS_NATIVE=${env}); training uses the tfjs path`);
  }
  if (!fs.existsSync(src)) return say(`no ${path.relative(root, src)}; training uses the tfjs path`);
  const headerDirs = [
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    process.config?.variables?.node_prefix ? path.join(process.config.variables.node_prefix, 'include', 'node') : null,
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  const headers = headerDirs.find((d) => fs.existsSync(path.join(d, 'node_api.h')));
  if (!headers) return say(`not built (no node_api.h in ${headerDirs.join(', ')}); training uses the tfjs path`);
  const cxx = process.env.CXX || 'g++';
  let cpu = '';
  try {
    cpu = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: portable build
  }
  const simd = /\bavx2\b/.test(cpu) && /\bfma\b/.test(cpu) ? ['-mavx2', '-mfma'] : [];
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const args = ['-O3', '-fno-trapping-math', ...simd, '-std=c++17', '-shared', '-fPIC', '-fvisibility=hidden', '-DNODE_GYP_MODULE_NAME=td_native', `-I${headers}`, src, '-o', tmp];
  const r = spawnSync(cxx, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 180_000 });
  if (r.error || r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(0, 3).join(' | ');
    return say(`not built (${cxx} failed: ${why}); training uses the tfjs path`);
  }
  fs.renameSync(tmp, out);
  say(`built ${path.relative(root, out)} (${simd.length ? 'AVX2+FMA' : 'portable C++'})`);
}

try {
  main();
} catch (err) {
  say(`not built (${err instanceof Error ? err.message : String(err)}); training uses the tfjs path`);
}
