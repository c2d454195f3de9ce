#!/usr/bin/env node
// `inspect --json` on sparse safetensors files far larger than memory — one 2 GiB BF16 tensor, one 5 GiB F32
// tensor, eight 1 GiB F32 tensors — and on a header of 10⁶ tensors: each must exit 0 within 30 s with a peak
// RSS under 500 MB (the child's own getrusage, printed per file with its CPU time). The files are sparse (holes read as zeros),
// created in a temporary directory and removed at the end. Run by `npm run test:inspect-large` and by `npm test` (suite inspect-large).
import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(repo, 'bin', 'training-dynamics.js');
const LIMIT_S = 30;
const LIMIT_RSS_MB = 500;
const GiB = 2 ** 30;
const dir = mkdtempSync(path.join(tmpdir(), 'td-inspect-large-'));
// Reports the child's peak RSS and CPU time on its way out (getrusage of the process itself, all its threads).
const preload = path.join(dir, 'rss.cjs');
writeFileSync(preload, "process.on('exit', () => { const u = process.resourceUsage(); process.stderr.write(`\\nmaxRSS_kB=${u.maxRSS} user_us=${u.userCPUTime} sys_us=${u.systemCPUTime}\\n`); });\n");

/** A safetensors file of the given tensors, the data section a hole of the right length. */
function sparse(name, tensors, metadata = null) {
  const header = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * { BF16: 2, F32: 4, F16: 2, U8: 1 }[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const file = path.join(dir, name);
  const fd = openSync(file, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, len);
  writeSync(fd, json);
  ftruncateSync(fd, 8 + json.length + offset);
  closeSync(fd);
  return file;
}

const cases = [
  ['one 2 GiB BF16 tensor', () => sparse('bf16-2g.safetensors', [{ name: 'embed', dtype: 'BF16', shape: [GiB / 4096, 4096] }])],
  ['one 5 GiB F32 tensor', () => sparse('f32-5g.safetensors', [{ name: 'w', dtype: 'F32', shape: [5 * 2 ** 18, 1024] }])],
  ['8 × 1 GiB F32 tensors', () => sparse('8x1g.safetensors', Array.from({ length: 8 }, (_, i) => ({ name: `layers.${i}.weight`, dtype: 'F32', shape: [2 ** 16, 4096] })))],
  ['a header of 10⁶ tensors', () => sparse('1e6.safetensors', Array.from({ length: 1e6 }, (_, i) => ({ name: `t.${i}`, dtype: 'F16', shape: [2] })))],
];
const TENSORS = [1, 1, 8, 1e6];

let failed = 0;
try {
  for (const [c, [what, make]] of cases.entries()) {
    const file = make();
    // stdout goes to a file: the JSON of 10⁶ tensors is longer than a string may be.
    const outFile = path.join(dir, 'out.json');
    const out = openSync(outFile, 'w');
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--require', preload, bin, 'inspect', file, '--json'], { stdio: ['ignore', out, 'pipe'], encoding: 'utf8', timeout: 300_000 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    closeSync(out);
    const rssMb = Number(/maxRSS_kB=(\d+)/.exec(r.stderr ?? '')?.[1] ?? NaN) / 1024;
    const cpu = (key) => Number(new RegExp(`${key}=(\\d+)`).exec(r.stderr ?? '')?.[1] ?? NaN) / 1e6;
    let ok = r.status === 0 && seconds < LIMIT_S && rssMb < LIMIT_RSS_MB;
    let detail = '';
    if (r.status === 0) {
      // Per tensor: all zeros (the holes); the output is read in blocks (10⁶ tensors make more JSON than a string holds).
      // Occurrences of each key, across block boundaries (a tail shorter than the key carries over).
      const keys = ['"numel":', '"zeroFraction":1,'];
      const counts = [0, 0];
      const tails = ['', ''];
      let first = '';
      let last = '';
      let size = 0;
      const fd = openSync(outFile, 'r');
      const block = Buffer.alloc(1 << 24);
      for (let n; (n = readSync(fd, block, 0, block.length, null)) > 0; ) {
        const chunk = block.toString('latin1', 0, n);
        if (!first) first = chunk.slice(0, 64);
        last = (last + chunk).slice(-8);
        size += n;
        keys.forEach((k, i) => {
          const text = tails[i] + chunk;
          counts[i] += text.split(k).length - 1;
          tails[i] = text.slice(-(k.length - 1));
        });
      }
      closeSync(fd);
      const [count, zeros] = counts;
      const wrong = count !== TENSORS[c] || zeros !== count || !first.startsWith('{"metadata":null,"tensors":[') || !last.endsWith(']}\n');
      ok &&= !wrong;
      detail = `${count.toLocaleString('en-US')} tensors, ${(size / 1e6).toFixed(1)} MB of JSON${wrong ? ', WRONG output' : ''}`;
    } else detail = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ') || String(r.error);
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}: exit ${r.status}, ${seconds.toFixed(1)} s (CPU ${cpu('user_us').toFixed(1)} s user + ${cpu('sys_us').toFixed(1)} s system), peak RSS ${rssMb.toFixed(0)} MB (limits ${LIMIT_S} s, ${LIMIT_RSS_MB} MB); ${detail}`);
    rmSync(outFile, { force: true });
    if (!ok) failed++;
    rmSync(file, { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${cases.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
