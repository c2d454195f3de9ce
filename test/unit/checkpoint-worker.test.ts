import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, openSync, ftruncateSync, closeSync, writeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { bufferSource, encodeSafetensors, readHeader } from '../../extension/engine/safetensors';
import { tensorStats } from '../../extension/engine/probes/stats';
import { compareHeaders, headerView } from '../../extension/host/checkpointWorker';
import { mergeStats, tensorDetail } from '../../extension/engine/safetensors/stream';
import { isWorkerToHost, type WorkerToHost } from '../../extension/host/checkpointWorkerProtocol';
import { histogramDensity, mpCurvePoints } from '../../extension/shared/view/spectrumCurve';
import { rng } from './gaussian-fixture';

const noProgress = () => undefined;

test('merging chunk statistics equals the statistics of the whole (incl. NaN/Inf and an empty chunk)', () => {
  const g = rng(1);
  const data = Float64Array.from({ length: 1001 }, () => 3 + 2 * g());
  data[10] = NaN;
  data[20] = Infinity;
  data[30] = 0;
  const whole = tensorStats(data);
  let acc = tensorStats([]);
  for (const [a, b] of [
    [0, 300],
    [300, 300],
    [300, 777],
    [777, 1001],
  ]) acc = mergeStats(acc, tensorStats(data.subarray(a, b)));
  for (const k of ['numel', 'nanCount', 'infCount', 'min', 'max'] as const) assert.equal(acc[k], whole[k], k);
  for (const k of ['mean', 'std', 'l2', 'zeroFraction'] as const) assert.ok(Math.abs(acc[k] - whole[k]) < 1e-12 * Math.max(1, Math.abs(whole[k])), `${k}: ${acc[k]} vs ${whole[k]}`);
});

test('tensor detail: statistics match a direct computation, the spectrum of a known matrix has the right eigenvalues', async () => {
  // W = diag(2, 1, 0.5) padded to 4×3: WᵀW/4 = diag(1, 0.25, 0.0625).
  const w = new Float32Array([2, 0, 0, 0, 1, 0, 0, 0, 0.5, 0, 0, 0]);
  const bytes = encodeSafetensors([
    { name: 'layers.0.kernel', dtype: 'F32', shape: [4, 3], data: w },
    { name: 'layers.0.bias', dtype: 'F64', shape: [3], data: new Float64Array([1, -1, 3]) },
  ]);
  const src = bufferSource(bytes);
  const h = await readHeader(src);
  const k = await tensorDetail(src, h.tensors[0], 'auto', noProgress);
  assert.equal(k.stats.numel, 12);
  assert.ok(Math.abs(k.stats.mean! - 3.5 / 12) < 1e-9);
  assert.ok(Math.abs(k.stats.l2! - Math.sqrt(4 + 1 + 0.25)) < 1e-9);
  assert.equal(k.stats.zeroFraction, 9 / 12);
  assert.equal(k.stats.max, 2);
  assert.ok(k.spectrum, 'a 2-D tensor gets a spectrum');
  assert.equal(k.spectrum!.count, 3);
  assert.deepEqual(k.spectrum!.top.map((x) => Number(x.toFixed(6))), [1, 0.25, 0.0625]);
  // The density the chart draws integrates to 1 and its MP curve is non-negative.
  const density = histogramDensity(k.spectrum!.histogram);
  const integral = density.slice(0, -1).reduce((s, d, i) => s + d.y * (density[i + 1].x - d.x), 0);
  assert.ok(Math.abs(integral - 1) < 1e-9, String(integral));
  assert.ok(mpCurvePoints(k.spectrum!.sigma2, k.spectrum!.q).every((p) => p.y >= 0));
  assert.equal(k.histogram!.counts.reduce((a, b) => a + b, 0), 12);
  const b = await tensorDetail(src, h.tensors.find((t) => t.name === 'layers.0.bias')!, 'auto', noProgress);
  assert.equal(b.spectrum, null);
  assert.equal(b.stats.std, Math.sqrt(((1 - 1) ** 2 + (-1 - 1) ** 2 + (3 - 1) ** 2) / 3));
});

test('a large matrix gets no automatic spectrum but may be forced; NaN is reported, not plotted', async () => {
  const m = 1100;
  const n = 1030; // smaller side 1030 > 1024
  const bytes = encodeSafetensors([
    { name: 'big', dtype: 'BF16', shape: [m, n], data: new Uint16Array(m * n) },
    { name: 'bad', dtype: 'F32', shape: [2, 2], data: new Float32Array([1, NaN, 0, 2]) },
  ]);
  const src = bufferSource(bytes);
  const h = await readHeader(src);
  const big = await tensorDetail(src, h.tensors[0], 'auto', noProgress);
  assert.equal(big.spectrum, null);
  assert.equal(big.spectrumForceable, true);
  assert.match(big.spectrumNote!, /1100×1030/);
  assert.equal(big.stats.zeroFraction, 1);
  const bad = await tensorDetail(src, h.tensors[1], 'auto', noProgress);
  assert.equal(bad.stats.nanCount, 1);
  assert.equal(bad.spectrum, null);
  assert.match(bad.spectrumNote!, /NaN/);
  // JSON-safe: no NaN/Infinity anywhere.
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(bad)));
  assert.equal(JSON.stringify(bad).includes('null'), true);
});

test('our checkpoint metadata is parsed into the training context', async () => {
  const bytes = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], data: new Float32Array([1]) }], {
    format: 'training-dynamics/1',
    config: JSON.stringify({ model: { hidden: [8] } }),
    epoch: '120',
    metrics: JSON.stringify({ trainLoss: 0.5 }),
    runDir: '/runs/x',
    experimentFile: '',
  });
  const hv = headerView('/f.safetensors', await readHeader(bufferSource(bytes)));
  assert.equal(hv.ours?.epoch, 120);
  assert.deepEqual(hv.ours?.config, { model: { hidden: [8] } });
  assert.deepEqual(hv.ours?.metrics, { trainLoss: 0.5 });
  assert.equal(hv.ours?.runDir, '/runs/x');
  assert.equal(hv.ours?.experimentFile, null);
  assert.equal(hv.tensors[0].bytes, 4);
  // Someone else's file: metadata shown as is, no training context.
  const other = headerView('/g', await readHeader(bufferSource(encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1], data: new Float32Array([1]) }], { format: 'pt' }))));
  assert.equal(other.ours, null);
  assert.deepEqual(other.metadata, { format: 'pt' });
});

test('comparing checkpoints: rows for common, missing and reshaped tensors; W₀ is the earlier epoch', async () => {
  const g = rng(9);
  const w0 = Float32Array.from({ length: 20 * 10 }, g);
  const w1 = w0.map((x) => x * 1.5);
  const meta = (e: number) => ({ format: 'training-dynamics/1', epoch: String(e) });
  const early = encodeSafetensors(
    [
      { name: 'k', dtype: 'F32', shape: [20, 10], data: w0 },
      { name: 'only0', dtype: 'F32', shape: [1], data: new Float32Array([1]) },
      { name: 'r', dtype: 'F32', shape: [2, 2], data: new Float32Array(4) },
    ],
    meta(10),
  );
  const late = encodeSafetensors(
    [
      { name: 'k', dtype: 'F32', shape: [20, 10], data: w1 },
      { name: 'r', dtype: 'F32', shape: [4], data: new Float32Array(4) },
      { name: 'only1', dtype: 'F32', shape: [1], data: new Float32Array([1]) },
    ],
    meta(50),
  );
  const open = async (file: string, b: Uint8Array) => {
    const src = bufferSource(b);
    return { file, src, header: await readHeader(src) };
  };
  // Given in the "wrong" order: the later epoch first.
  const r = await compareHeaders(await open('late', late), await open('early', early), noProgress);
  assert.equal(r.fileA, 'early');
  assert.equal(r.epochA, 10);
  const byName = new Map(r.rows.map((x) => [x.name, x]));
  const k = byName.get('k')!;
  assert.equal(k.status, 'ok');
  assert.ok(Math.abs(k.relChange! - 0.5) < 1e-6);
  assert.ok(Math.abs(k.cosine! - 1) < 1e-9);
  assert.ok(Math.abs(k.topB! / k.topA! - 2.25) < 1e-6);
  assert.ok(k.lambdaPlusA! > 0 && k.lambdaPlusB! > k.lambdaPlusA!);
  assert.equal(byName.get('only0')!.status, 'only-in-a');
  assert.equal(byName.get('only1')!.status, 'only-in-b');
  assert.equal(byName.get('r')!.status, 'shape-mismatch');
});

/** Runs the real worker message loop (TypeScript through tsx) and collects replies. */
function startWorker(): { ask: (msg: object, until: (m: WorkerToHost) => boolean) => Promise<WorkerToHost[]>; send: (msg: object) => void; stop: () => Promise<number> } {
  // The worker thread compiles the TypeScript source with tsx's CommonJS hook (what esbuild bundles for the editor).
  const file = resolve(__dirname, '../../extension/host/checkpointWorker.ts');
  const w = new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true });
  return {
    ask: (msg, until) =>
      new Promise((res, rej) => {
        const got: WorkerToHost[] = [];
        const on = (m: unknown) => {
          if (!isWorkerToHost(m)) return rej(new Error(`malformed reply ${JSON.stringify(m)}`));
          got.push(m);
          if (until(m)) {
            w.off('message', on);
            res(got);
          }
        };
        w.on('message', on);
        w.postMessage(msg);
      }),
    send: (msg) => w.postMessage(msg),
    stop: () => w.terminate(),
  };
}

test('worker thread: header of a 1 GiB file in well under a second; hostile files give typed errors; malformed requests are refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'td-ckpt-'));
  try {
    // A sparse 1 GiB file: a valid header for one F32 tensor of 2^28 values, data never written.
    const headerJson = JSON.stringify({ __metadata__: { format: 'pt' }, 'model.embed.weight': { dtype: 'F32', shape: [262144, 1024], data_offsets: [0, 2 ** 30] } });
    const hb = Buffer.from(headerJson);
    const big = join(dir, 'big.safetensors');
    const fd = openSync(big, 'w');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(hb.length));
    writeSync(fd, len, 0, 8, 0);
    writeSync(fd, hb, 0, hb.length, 8);
    ftruncateSync(fd, 8 + hb.length + 2 ** 30);
    closeSync(fd);
    // A truncated file: the header describes more data than the file holds.
    const good = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [4, 4], data: new Float32Array(16) }]);
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, good.subarray(0, good.length - 5));
    const garbage = join(dir, 'garbage.safetensors');
    writeFileSync(garbage, Buffer.from('\xff\xff\xff\xff\xff\xff\xff\x7fnot a header', 'latin1'));

    const wk = startWorker();
    try {
      // Warm up the worker (module load), then time the header of the 1 GiB file.
      await wk.ask({ type: 'header', id: 1, file: truncated }, (m) => m.id === 1 && m.type !== 'progress');
      const t0 = Date.now();
      const [h] = await wk.ask({ type: 'header', id: 2, file: big }, (m) => m.id === 2);
      const ms = Date.now() - t0;
      assert.equal(h.type, 'header', JSON.stringify(h));
      if (h.type === 'header') {
        assert.equal(h.header.tensors[0].numel, 2 ** 28);
        assert.equal(h.header.fileSize, 8 + hb.length + 2 ** 30);
      }
      assert.ok(ms < 1000, `header took ${ms} ms`);

      const [t] = await wk.ask({ type: 'header', id: 3, file: truncated }, (m) => m.id === 3);
      assert.equal(t.type, 'error');
      if (t.type === 'error') {
        assert.equal(t.code, 'INCOMPLETE_DATA');
        assert.match(t.message, /describes 64 data bytes but the file holds 59/);
      }
      const [gb] = await wk.ask({ type: 'header', id: 4, file: garbage }, (m) => m.id === 4);
      assert.equal(gb.type === 'error' && gb.code, 'HEADER_TOO_LARGE');
      const [missing] = await wk.ask({ type: 'header', id: 5, file: join(dir, 'nope.safetensors') }, (m) => m.id === 5);
      assert.equal(missing.type === 'error' && missing.code, 'IO');
      const [bad] = await wk.ask({ type: 'tensor', id: 6, file: big }, (m) => m.id === 6);
      assert.equal(bad.type === 'error' && bad.code, 'BAD_REQUEST');
      const [nt] = await wk.ask({ type: 'tensor', id: 7, file: big, name: 'nope', force: false }, (m) => m.id === 7);
      assert.equal(nt.type === 'error' && nt.code, 'NO_SUCH_TENSOR');

      // Cancelling a long request (the 1 GiB tensor, read in chunks) stops it within a chunk.
      const started = Date.now();
      const pending = wk.ask({ type: 'tensor', id: 20, file: big, name: 'model.embed.weight', force: false }, (m) => m.id === 20 && m.type !== 'progress');
      await new Promise((r) => setTimeout(r, 300));
      wk.send({ type: 'cancel', id: 20 });
      const c = (await pending).slice(-1)[0];
      assert.equal(c.type === 'error' && c.code, 'CANCELLED', JSON.stringify(c));
      assert.ok(Date.now() - started < 10_000, `cancel took ${Date.now() - started} ms`);

      // A real tensor request reports progress and ends with the detail.
      const small = join(dir, 'small.safetensors');
      writeFileSync(small, encodeSafetensors([{ name: 'layers.0.kernel', dtype: 'F32', shape: [30, 20], data: Float32Array.from({ length: 600 }, rng(4)) }]));
      const replies = await wk.ask({ type: 'tensor', id: 8, file: small, name: 'layers.0.kernel', force: false }, (m) => m.id === 8 && m.type !== 'progress');
      const last = replies[replies.length - 1];
      assert.equal(last.type, 'tensor');
      if (last.type === 'tensor') {
        assert.equal(last.detail.spectrum?.count, 20);
        assert.ok(last.detail.spectrum!.lambdaPlus > last.detail.spectrum!.lambdaMinus);
      }
      assert.ok(replies.some((m) => m.type === 'progress'));
    } finally {
      await wk.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
