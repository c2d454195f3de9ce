/**
 * `inspect --json` on a file with one tensor of every dtype (and `"__metadata__": null`), against numpy's
 * statistics of the same values (test/fixtures/all-dtypes.*, written by scripts/gen-dtype-fixtures.py); the
 * FP8 decoders at their documented code points; the spectrum of matrices with extreme finite entries; and the
 * same numbers from the checkpoint editor's path, which shares the streaming code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectCommand, tensorJson, type InspectedTensor } from '../../extension/cli/inspect';
import { bufferSource, encodeSafetensors, f8e4m3ToNumber, f8e5m2ToNumber, f8e8m0ToNumber, readHeader, DTYPE_SIZE } from '../../extension/engine/safetensors';
import { CHUNK_ELEMENTS, tensorDetail } from '../../extension/engine/safetensors/stream';
import { REPO } from './runs-fixture';

const FIXTURE = join(REPO, 'test', 'fixtures', 'all-dtypes.safetensors');
const EXPECTED = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'all-dtypes.expected.json'), 'utf8')) as {
  tensors: Record<string, { dtype: string; shape: number[]; numel: number; mean: number | null; std: number | null; min: number | null; max: number | null; l2: number; zeroFraction: number; nanCount: number; infCount: number }>;
};

async function inspectJson(args: string[]): Promise<{ code: number; json: { metadata: unknown; tensors: InspectedTensor[] } | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await inspectCommand(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, json: code === 0 && args.includes('--json') ? JSON.parse(stdout) : null, stdout, stderr };
}

const close = (a: number | null, b: number | null, what: string) => {
  if (b === null) return assert.equal(a, null, what);
  assert.ok(a !== null && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} vs numpy ${b}`);
};

test('every dtype of the format, and "__metadata__": null: inspect --json equals numpy', async () => {
  const { code, json, stderr } = await inspectJson([FIXTURE, '--json']);
  assert.equal(code, 0, stderr);
  assert.equal(json!.metadata, null);
  const names = Object.keys(EXPECTED.tensors);
  assert.deepEqual(json!.tensors.map((t) => t.name), names);
  // Every dtype the reader knows is in the fixture.
  assert.deepEqual([...new Set(json!.tensors.map((t) => t.dtype))].sort(), Object.keys(DTYPE_SIZE).sort());
  for (const t of json!.tensors) {
    const e = EXPECTED.tensors[t.name];
    assert.equal(t.dtype, e.dtype);
    assert.deepEqual(t.shape, e.shape);
    assert.equal(t.numel, e.numel, t.name);
    assert.equal(t.nanCount, e.nanCount, `${t.name} NaN`);
    assert.equal(t.infCount, e.infCount, `${t.name} Inf`);
    assert.equal(t.zeroFraction, e.zeroFraction, `${t.name} zeros`);
    for (const k of ['mean', 'std', 'min', 'max', 'l2'] as const) close(t[k], e[k], `${t.name}.${k}`);
    assert.equal(t.histogram!.counts.reduce((a, b) => a + b, 0), e.numel - e.nanCount - e.infCount, `${t.name}: the histogram counts every finite value`);
    // The written-out JSON of a tensor is JSON.stringify's, character for character.
    assert.equal(tensorJson(t), JSON.stringify(t), t.name);
  }
  const empty: InspectedTensor = { name: 'e\u00e9"\\', dtype: 'F32', shape: [0, 3], numel: 0, mean: null, std: null, min: null, max: null, l2: 0, zeroFraction: 0, nanCount: 0, infCount: 0, histogram: null };
  assert.equal(tensorJson(empty), JSON.stringify(empty));
  const negZero: InspectedTensor = { ...empty, numel: 1, mean: -0, std: 0, min: -0, max: -0, l2: 0, zeroFraction: 1, histogram: { lo: -0.5, hi: 0.5, counts: [0, 1] } };
  assert.equal(tensorJson(negZero), JSON.stringify(negZero));
});

test('FP8 decoders at the documented code points', () => {
  // e4m3fn: max 448 (0x7E), min subnormal 2^-9 (0x01), NaN 0x7F/0xFF, no infinity.
  assert.equal(f8e4m3ToNumber(0x7e), 448);
  assert.equal(f8e4m3ToNumber(0x01), 2 ** -9);
  assert.equal(f8e4m3ToNumber(0x38), 1);
  assert.equal(f8e4m3ToNumber(0xb8), -1);
  assert.ok(Number.isNaN(f8e4m3ToNumber(0x7f)) && Number.isNaN(f8e4m3ToNumber(0xff)));
  assert.equal(f8e4m3ToNumber(0x78), 256);
  // e5m2: max 57344 (0x7B), +Inf 0x7C, NaN 0x7D, min subnormal 2^-16.
  assert.equal(f8e5m2ToNumber(0x7b), 57344);
  assert.equal(f8e5m2ToNumber(0x7c), Infinity);
  assert.equal(f8e5m2ToNumber(0xfc), -Infinity);
  assert.ok(Number.isNaN(f8e5m2ToNumber(0x7d)));
  assert.equal(f8e5m2ToNumber(0x01), 2 ** -16);
  assert.equal(f8e5m2ToNumber(0x3c), 1);
  // e8m0: 2^(e−127), 0xFF NaN.
  assert.equal(f8e8m0ToNumber(127), 1);
  assert.equal(f8e8m0ToNumber(0), 2 ** -127);
  assert.equal(f8e8m0ToNumber(254), 2 ** 127);
  assert.ok(Number.isNaN(f8e8m0ToNumber(255)));
});

test('streamed (chunked) statistics equal the whole-tensor ones for every dtype', async () => {
  // A tensor longer than one chunk, for dtypes that decode through each path (view, table, shift, BigInt, hypot).
  const n = CHUNK_ELEMENTS + 1234;
  for (const [dtype, make] of [
    ['F32', () => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3)],
    ['BF16', () => Uint16Array.from({ length: n }, (_, i) => 0x3f80 + (i % 97))],
    ['F8_E4M3', () => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 255)],
    ['U64', () => BigUint64Array.from({ length: n }, (_, i) => BigInt(i) * 3n)],
    ['C64', () => Float32Array.from({ length: 2 * n }, (_, i) => (i % 5) - 2)],
  ] as const) {
    const data = make();
    const bytes = encodeSafetensors([{ name: 'x', dtype, shape: [n], data }]);
    const src = bufferSource(bytes);
    const h = await readHeader(src);
    const streamed = await tensorDetail(src, h.tensors[0], 'off', () => undefined);
    // The reference: the same values decoded whole.
    const { decode } = await import('../../extension/engine/safetensors');
    const { tensorStats } = await import('../../extension/engine/probes/stats');
    const whole = tensorStats(decode(bytes.subarray(h.tensors[0].begin, h.tensors[0].end), dtype));
    for (const k of ['mean', 'std', 'min', 'max', 'l2'] as const) close(streamed.stats[k], whole[k], `${dtype}.${k}`);
    assert.equal(streamed.stats.zeroFraction, whole.zeroFraction);
    assert.equal(streamed.histogram!.counts.reduce((a, b) => a + b, 0), n - whole.nanCount - whole.infCount);
    // The one-pass count by code (one- and two-byte dtypes) bins exactly as the element-wise histogram does.
    const { histogram } = await import('../../extension/engine/probes/stats');
    const values = decode(bytes.subarray(h.tensors[0].begin, h.tensors[0].end), dtype);
    const range: [number, number] = whole.max > whole.min ? [whole.min, whole.max] : [whole.min - 0.5, whole.min + 0.5];
    assert.deepEqual(streamed.histogram!.counts, histogram(values, streamed.histogram!.counts.length, range).counts, `${dtype} histogram`);
  }
});

test('a two-byte tensor counted by code: NaN, ±Inf, zeros and subnormals as the element-wise statistics count them', async () => {
  const n = CHUNK_ELEMENTS + 17;
  // F16 codes: 0x7E00 NaN, 0x7C00 +Inf, 0xFC00 −Inf, 0x0000 / 0x8000 ±0, 0x0001 the smallest subnormal.
  const special = [0x7e00, 0x7c00, 0xfc00, 0x0000, 0x8000, 0x0001, 0x3c00, 0xbc00];
  const data = Uint16Array.from({ length: n }, (_, i) => (i % 11 < special.length ? special[i % 11] : 0x3800 + (i % 300)));
  const bytes = encodeSafetensors([{ name: 'x', dtype: 'F16', shape: [n], data }]);
  const src = bufferSource(bytes);
  const h = await readHeader(src);
  const streamed = await tensorDetail(src, h.tensors[0], 'off', () => undefined);
  const { decode } = await import('../../extension/engine/safetensors');
  const { tensorStats } = await import('../../extension/engine/probes/stats');
  const whole = tensorStats(decode(bytes.subarray(h.tensors[0].begin, h.tensors[0].end), 'F16'));
  assert.equal(streamed.stats.nanCount, whole.nanCount);
  assert.equal(streamed.stats.infCount, whole.infCount);
  assert.equal(streamed.stats.zeroFraction, whole.zeroFraction);
  for (const k of ['mean', 'std', 'min', 'max', 'l2'] as const) close(streamed.stats[k], whole[k], `F16.${k}`);
});

test('spectrum of a matrix with extreme finite entries: scaled, or unavailable with the reason; statistics kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'td-spectrum-'));
  try {
    const base = Float64Array.from([3, 0, 0, 1, 0, 0]); // 3×2: eigenvalues of WᵀW/3 are 1/3 and 3
    const scaled = (s: number) => base.map((x) => x * s);
    const file = join(dir, 'extreme.safetensors');
    writeFileSync(file, encodeSafetensors([
      { name: 'big', dtype: 'F64', shape: [3, 2], data: scaled(1e150) },
      { name: 'tiny', dtype: 'F64', shape: [3, 2], data: scaled(1e-150) },
      { name: 'huge', dtype: 'F64', shape: [3, 2], data: scaled(1e155) },
      { name: 'max', dtype: 'F64', shape: [3, 2], data: Float64Array.from([Number.MAX_VALUE, 1, -Number.MAX_VALUE, 0, 1, 2]) },
    ]));
    const { code, json, stderr } = await inspectJson([file, '--json', '--spectrum']);
    assert.equal(code, 0, stderr);
    const by = Object.fromEntries(json!.tensors.map((t) => [t.name, t]));
    const ev = (name: string) => by[name].spectrum!.eigenvalues;
    assert.ok(Math.abs(ev('big')[0] / 1e300 - 1 / 3) < 1e-9 && Math.abs(ev('big')[1] / 1e300 - 3) < 1e-9, JSON.stringify(ev('big')));
    assert.ok(Math.abs(ev("tiny")[1] / 1e-300 - 3) < 1e-9 && Math.abs(ev("tiny")[0] / 1e-300 - 1 / 3) < 1e-9, JSON.stringify(ev('tiny')));
    for (const name of ['huge', 'max']) {
      assert.equal(by[name].spectrum, undefined, name);
      assert.match(by[name].spectrumNote!, /float64 range/, name);
      assert.ok(by[name].max !== null && by[name].mean !== null && by[name].min !== null, `${name} keeps its statistics`);
    }
    assert.equal(by.huge.max, 3e155);
    // The table output prints the cap and the reason.
    const text = await inspectJson([file, '--spectrum']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /spectra of 2-D tensors up to the cap: smaller side ≤ 4096, ≤ 33,554,432 entries/);
    assert.match(text.stdout, /huge: no spectrum: spectrum unavailable: the eigenvalues .* exceed the float64 range/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a matrix over the spectrum cap gets statistics and the cap as the reason', async () => {
  // 4097 × 8193 BF16 zeros in a buffer: 67 MB, over both caps.
  const m = 4097;
  const n = 8193;
  const bytes = encodeSafetensors([{ name: 'w', dtype: 'BF16', shape: [m, n], data: new Uint16Array(m * n) }]);
  const src = bufferSource(bytes);
  const h = await readHeader(src);
  const d = await tensorDetail(src, h.tensors[0], 'force', () => undefined);
  assert.equal(d.spectrum, null);
  assert.match(d.spectrumNote!, /4097×8193; cap: smaller side ≤ 4096, ≤ 33,554,432 entries/);
  assert.equal(d.stats.zeroFraction, 1);
});

test('a 2 GiB BF16 tensor (a large embedding table) is streamed in bounded reads, never held whole', async () => {
  // Before, inspect read each tensor whole: a 2 GiB BF16 tensor aborted Node with a native assertion.
  const numel = 2 ** 30 + 8;
  const header = new TextEncoder().encode(JSON.stringify({ __metadata__: null, embed: { dtype: 'BF16', shape: [numel / 8, 8], data_offsets: [0, numel * 2] } }));
  const padded = new Uint8Array(Math.ceil(header.length / 8) * 8).fill(0x20);
  padded.set(header);
  const start = 8 + padded.length;
  let largestRead = 0;
  // Data: the bf16 codes of 1.0 (0x3F80) and −2.0 (0xC000) alternating; nothing of that size is ever allocated.
  const head = new Uint8Array(start);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded.length), true);
  head.set(padded, 8);
  const pattern = new Uint8Array(32 * 1024 * 1024 + 4);
  for (let i = 0; i < pattern.length; i++) pattern[i] = [0x80, 0x3f, 0x00, 0xc0][i % 4];
  const src = {
    size: start + numel * 2,
    async read(offset: number, length: number, into?: Uint8Array) {
      largestRead = Math.max(largestRead, length);
      const out = into ? into.subarray(0, length) : new Uint8Array(length);
      if (offset < start) {
        out.set(head.subarray(offset, Math.min(start, offset + length)));
        return out;
      }
      const phase = (offset - start) % 4;
      out.set(pattern.subarray(phase, phase + length));
      return out;
    },
    close: async () => undefined,
  };
  const h = await readHeader(src);
  const t = await tensorDetail(src, h.tensors[0], 'auto', () => undefined);
  assert.ok(largestRead <= 16 * 1024 * 1024, `a read of ${largestRead} bytes`);
  assert.equal(t.stats.numel, numel);
  assert.equal(t.stats.min, -2);
  assert.equal(t.stats.max, 1);
  close(t.stats.mean, -0.5, 'mean');
  close(t.stats.std, 1.5, 'std');
  assert.match(t.spectrumNote ?? '', /too large/);
});
