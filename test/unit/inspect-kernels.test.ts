/**
 * The checkpoint inspector's native kernels (native/mlp.cc inspectStats, inspectHistogram, countCodes) against
 * the JS loops they stand in for (engine/probes/stats.ts tensorStats, itself against a plain two-pass
 * computation, and histogram): the same statistics to
 * rounding, the same bin for every value, on data with NaN, ±Inf, zeros, huge values and chunk tails; and the
 * streaming reader's read-ahead: chunks in order, and a cancelled stream leaves no unhandled rejection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectKernels, loadNative } from '../../extension/engine/fast/native';
import { histogram, tensorStats } from '../../extension/engine/probes/stats';
import { bufferSource } from '../../extension/engine/safetensors';
import { Cancelled, forEachBlock, READ_AHEAD } from '../../extension/engine/safetensors/stream';

const kernels = inspectKernels();
const why = typeof loadNative() === 'string' ? `native addon not available: ${loadNative()}` : 'the addon predates the inspector kernels';

/** Deterministic values of every kind the kernels must treat as stats.ts does. */
function values(n: number, seed: number, kinds: 'plain' | 'special' | 'huge'): Float64Array {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    out[i] = r < 0.05 ? 0 : kinds === 'huge' ? (r - 0.5) * 3e200 : 1e3 + (r - 0.5) * 0.02;
    if (kinds === 'special') {
      if (i % 997 === 3) out[i] = NaN;
      if (i % 1499 === 7) out[i] = i % 2 ? Infinity : -Infinity;
    }
  }
  return out;
}

const close = (a: number, b: number, what: string) =>
  assert.ok(Object.is(a, b) || Math.abs(a - b) <= 1e-12 * Math.max(1e-300, Math.abs(b)), `${what}: native ${a} vs JS ${b}`);

test('tensorStats equals a plain two-pass computation (lanes, NaN/±Inf blocks, overflowing sums, odd tails)', () => {
  for (const kinds of ['plain', 'special', 'huge'] as const) {
    for (const n of [0, 1, 2, 1023, 1025, 5000]) {
      const data = values(n, 7 + n, kinds);
      const fin = Array.from(data).filter(Number.isFinite);
      const mean = fin.reduce((a, b) => a + b, 0) / fin.length;
      const st = tensorStats(data);
      const what = `${kinds}[${n}]`;
      assert.equal(st.nanCount, Array.from(data).filter(Number.isNaN).length, what);
      assert.equal(st.infCount, n - fin.length - st.nanCount, what);
      assert.equal(st.zeroFraction, n ? fin.filter((x) => x === 0).length / n : 0, what);
      if (!fin.length) {
        assert.ok(Number.isNaN(st.mean) && Number.isNaN(st.min), what);
        continue;
      }
      assert.equal(st.min, Math.min(...fin), what);
      assert.equal(st.max, Math.max(...fin), what);
      close(st.mean, mean, `${what} mean`);
      close(st.std, Math.sqrt(fin.reduce((a, x) => a + (x - mean) ** 2, 0) / fin.length), `${what} std`);
      close(st.l2, Math.sqrt(fin.reduce((a, x) => a + x * x, 0)), `${what} l2`);
    }
  }
});

test('inspectStats equals tensorStats (Float32Array and Float64Array; NaN, ±Inf, zeros, overflowing sums, tails)', { skip: kernels ? false : why }, () => {
  for (const kinds of ['plain', 'special', 'huge'] as const) {
    for (const n of [4096, 4096 + 5, 3 * 1024 + 1023, 100_003]) {
      for (const data of [values(n, n, kinds), Float32Array.from(values(n, n + 1, kinds === 'huge' ? 'plain' : kinds))]) {
        const js = tensorStats(data);
        const [finite, nan, inf, zeros, mean, m2, sumSq, min, max] = kernels!.inspectStats(data);
        const what = `${kinds} ${data.constructor.name}[${n}]`;
        assert.equal(finite, n - js.nanCount - js.infCount, `${what} finite`);
        assert.equal(nan, js.nanCount, `${what} NaN`);
        assert.equal(inf, js.infCount, `${what} Inf`);
        assert.equal(zeros / n, js.zeroFraction, `${what} zeros`);
        assert.equal(min, js.min, `${what} min`);
        assert.equal(max, js.max, `${what} max`);
        close(mean, js.mean, `${what} mean`);
        close(Math.sqrt(m2 / finite), js.std, `${what} std`);
        close(Math.sqrt(sumSq), js.l2, `${what} l2`);
      }
    }
  }
});

test('inspectHistogram bins every value as histogram() does, including the range ends', { skip: kernels ? false : why }, () => {
  for (const kinds of ['plain', 'special'] as const) {
    for (const data of [values(50_001, 9, kinds), Float32Array.from(values(50_001, 10, kinds))]) {
      const st = tensorStats(data);
      for (const range of [[st.min, st.max], [999.995, 1000.001], [st.min - 1, st.min + 0.5]] as [number, number][]) {
        data[11] = range[0];
        data[12] = range[1];
        const js = histogram(data, 60, range).counts;
        const counts = new Float64Array(60);
        kernels!.inspectHistogram(data, range[0], range[1], 1 / ((range[1] - range[0]) / 60), counts);
        assert.deepEqual(Array.from(counts), js, `${kinds} ${data.constructor.name} over [${range}]`);
      }
    }
  }
});

test('countCodes counts each code of one- and two-byte data', { skip: kernels ? false : why }, () => {
  const u16 = Uint16Array.from({ length: 70_001 }, (_, i) => (Math.imul(i, 2654435761) >>> 16) & (i % 3 ? 0xffff : 0x00ff));
  const u8 = Uint8Array.from({ length: 70_001 }, (_, i) => Math.imul(i, 40503) >>> 9);
  for (const codes of [u16, u8]) {
    const counts = new Float64Array(codes instanceof Uint16Array ? 65536 : 256);
    counts[1] = 5; // added to, not overwritten
    kernels!.countCodes(codes, counts);
    const expected = new Float64Array(counts.length);
    expected[1] = 5;
    for (const c of codes) expected[c]++;
    assert.deepEqual(counts, expected, codes.constructor.name);
  }
});

test('the streaming read-ahead: blocks in order, at most READ_AHEAD reads ahead, and cancelling leaves no stray rejection', async () => {
  const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => i % 251);
  const base = bufferSource(bytes);
  let inFlight = 0;
  let most = 0;
  const src = {
    ...base,
    read: async (offset: number, length: number, into?: Uint8Array) => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      if (offset >= 9000) throw new Error('read failed after the stream was cancelled');
      return base.read(offset, length, into);
    },
  };
  const seen: number[] = [];
  await forEachBlock(src, 100, 8000, 1000, (b, at) => {
    assert.deepEqual(Array.from(b), Array.from(bytes.subarray(100 + at, 100 + at + b.length)));
    seen.push(at);
  });
  assert.deepEqual(seen, [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000]);
  assert.equal(most, READ_AHEAD + 1);
  // Cancelled at the first block while the reads ahead (one of which fails) are still in flight.
  const rejections: unknown[] = [];
  const onRejection = (e: unknown) => rejections.push(e);
  process.on('unhandledRejection', onRejection);
  try {
    await assert.rejects(forEachBlock(src, 7000, 3000, 1000, () => {
      throw new Cancelled();
    }), Cancelled);
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    process.off('unhandledRejection', onRejection);
  }
  assert.deepEqual(rejections, []);
});
