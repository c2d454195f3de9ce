/**
 * The checkpoint inspector's worker thread (bundled to dist/checkpointWorker.js): header parsing, per-tensor
 * statistics, value histograms, weight spectra against Marchenko–Pastur, and checkpoint comparison, all off the
 * extension host's main thread. Requests (HostToWorker, checkpointWorkerProtocol.ts beside it) are handled one at a time in arrival order; progress is
 * posted while a tensor is read. A tensor's statistics, histogram and spectrum come from engine/safetensors/stream
 * (shared with the CLI's `inspect`): streamed in chunks, a spectrum computed automatically only for matrices whose
 * smaller side is ≤ 1024 (≈ 1 s), larger ones on explicit request.
 *
 * The functions are exported for the unit tests; the message loop starts only inside a worker thread.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { fileSource, readHeader, SafetensorsError, type ByteSource, type SafetensorsHeader } from '../engine/safetensors';
import { Cancelled, readElements, tensorDetail, WHOLE_MAX_ELEMENTS, CHUNK_ELEMENTS, type Progress } from '../engine/safetensors/stream';
import { CompareAccumulator, spectrumShift } from '../engine/probes/compare';
import { CHECKPOINT_FORMAT } from '../engine/runs/layout';
import { finiteOrNull, ourCheckpointOf, type CompareResult, type CompareRow, type HeaderView } from '../shared/checkpointProtocol';
import { isHostToWorker, type WorkerToHost } from './checkpointWorkerProtocol';
import { errorText } from '../shared/errors';

export function headerView(file: string, h: SafetensorsHeader): HeaderView {
  return {
    file,
    fileSize: h.fileSize,
    headerLength: h.headerLength,
    metadata: h.metadata,
    tensors: h.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, numel: t.numel, bytes: t.end - t.begin })),
    ours: ourCheckpointOf(h.metadata, CHECKPOINT_FORMAT),
  };
}

export async function compareHeaders(
  a: { file: string; src: ByteSource; header: SafetensorsHeader },
  b: { file: string; src: ByteSource; header: SafetensorsHeader },
  progress: Progress,
): Promise<CompareResult> {
  const t0 = Date.now();
  const epochOf = (h: SafetensorsHeader) => ourCheckpointOf(h.metadata, CHECKPOINT_FORMAT)?.epoch ?? null;
  let [x, y] = [a, b];
  // Our checkpoints: W₀ is the earlier epoch whichever order they were chosen in.
  const ex = epochOf(x.header);
  const ey = epochOf(y.header);
  if (ex !== null && ey !== null && ey < ex) [x, y] = [y, x];
  const mapB = new Map(y.header.tensors.map((t) => [t.name, t]));
  const namesA = new Set(x.header.tensors.map((t) => t.name));
  const rows: CompareRow[] = [];
  const empty = { relChange: null, cosine: null, topA: null, topB: null, lambdaPlusA: null, lambdaPlusB: null };
  const total = x.header.tensors.reduce((s, t) => s + t.numel, 0) || 1;
  let done = 0;
  for (const ta of x.header.tensors) {
    const tb = mapB.get(ta.name);
    if (!tb) {
      rows.push({ name: ta.name, shapeA: ta.shape, shapeB: null, status: 'only-in-a', ...empty });
      continue;
    }
    if (ta.shape.length !== tb.shape.length || ta.shape.some((d, i) => d !== tb.shape[i])) {
      rows.push({ name: ta.name, shapeA: ta.shape, shapeB: tb.shape, status: 'shape-mismatch', ...empty });
      continue;
    }
    progress(Math.min(1, done / total), ta.name);
    const acc = new CompareAccumulator();
    let shift = { topA: null as number | null, topB: null as number | null, lambdaPlusA: null as number | null, lambdaPlusB: null as number | null };
    if (ta.numel <= WHOLE_MAX_ELEMENTS) {
      const da = await readElements(x.src, ta, 0, ta.numel);
      const db = await readElements(y.src, tb, 0, tb.numel);
      acc.add(da, db);
      if (ta.shape.length === 2 && ta.numel > 0 && ta.numel <= 16 * 1024 * 1024) shift = spectrumShift(da, db, ta.shape[0], ta.shape[1]);
    } else {
      for (let i = 0; i < ta.numel; i += CHUNK_ELEMENTS) {
        const n = Math.min(CHUNK_ELEMENTS, ta.numel - i);
        acc.add(await readElements(x.src, ta, i, n), await readElements(y.src, tb, i, n));
      }
    }
    const c = acc.result();
    const fin = (v: number | null) => (v === null ? null : finiteOrNull(v));
    rows.push({
      name: ta.name,
      shapeA: ta.shape,
      shapeB: tb.shape,
      status: 'ok',
      relChange: fin(c.relChange),
      cosine: fin(c.cosine),
      topA: fin(shift.topA),
      topB: fin(shift.topB),
      lambdaPlusA: fin(shift.lambdaPlusA),
      lambdaPlusB: fin(shift.lambdaPlusB),
    });
    done += ta.numel;
  }
  for (const tb of y.header.tensors) if (!namesA.has(tb.name)) rows.push({ name: tb.name, shapeA: null, shapeB: tb.shape, status: 'only-in-b', ...empty });
  progress(1, 'done');
  return { fileA: x.file, fileB: y.file, epochA: epochOf(x.header), epochB: epochOf(y.header), rows, millis: Date.now() - t0 };
}

// --- the message loop ---------------------------------------------------------------------------------------

/** Open files with their validated headers, by path (one editor usually asks about one file). */
class OpenFiles {
  private readonly files = new Map<string, Promise<{ file: string; src: ByteSource; header: SafetensorsHeader }>>();

  get(file: string) {
    let p = this.files.get(file);
    if (!p) {
      p = (async () => {
        const src = await fileSource(file);
        try {
          return { file, src, header: await readHeader(src) };
        } catch (err) {
          await src.close().catch(() => undefined);
          throw err;
        }
      })();
      // A failure is not cached: the file may be fixed and reopened.
      p.catch(() => this.files.delete(file));
      this.files.set(file, p);
    }
    return p;
  }
}

function startWorker(port: NonNullable<typeof parentPort>): void {
  const open = new OpenFiles();
  const post = (m: WorkerToHost) => port.postMessage(m);
  let chain: Promise<void> = Promise.resolve();
  const cancelled = new Set<number>();
  const active = new Set<number>();
  port.on('message', (raw: unknown) => {
    // Handled at once (not queued): a running request sees it at its next chunk, a queued one when it starts.
    if (isHostToWorker(raw) && raw.type === 'cancel') {
      if (active.has(raw.id)) cancelled.add(raw.id);
      return;
    }
    if (!isHostToWorker(raw)) {
      post({ type: 'error', id: typeof (raw as { id?: unknown })?.id === 'number' ? (raw as { id: number }).id : 0, code: 'BAD_REQUEST', message: 'malformed request to the checkpoint worker' });
      return;
    }
    const msg = raw;
    active.add(msg.id);
    chain = chain.then(async () => {
      let lastPost = 0;
      const progress: Progress = (fraction, label) => {
        if (cancelled.has(msg.id)) throw new Cancelled();
        const now = Date.now();
        if (fraction < 1 && now - lastPost < 100) return;
        lastPost = now;
        post({ type: 'progress', id: msg.id, fraction: Math.max(0, Math.min(1, fraction)), label });
      };
      try {
        if (cancelled.has(msg.id)) throw new Cancelled();
        if (msg.type === 'header') {
          const f = await open.get(msg.file);
          post({ type: 'header', id: msg.id, header: headerView(msg.file, f.header) });
        } else if (msg.type === 'tensor') {
          const f = await open.get(msg.file);
          const info = f.header.tensors.find((t) => t.name === msg.name);
          if (!info) throw new SafetensorsError('NO_SUCH_TENSOR', `no tensor named '${msg.name}'`);
          const { eigenvalues: _all, ...detail } = await tensorDetail(f.src, info, msg.force ? 'force' : 'auto', progress);
          post({ type: 'tensor', id: msg.id, detail });
        } else if (msg.type === 'compare') {
          const [a, b] = await Promise.all([open.get(msg.fileA), open.get(msg.fileB)]);
          post({ type: 'compare', id: msg.id, result: await compareHeaders(a, b, progress) });
        }
      } catch (err) {
        const code = err instanceof SafetensorsError || err instanceof Cancelled ? err.code : 'INTERNAL';
        post({ type: 'error', id: msg.id, code, message: errorText(err) });
      } finally {
        cancelled.delete(msg.id);
        active.delete(msg.id);
      }
    });
  });
}

if (!isMainThread && parentPort) startWorker(parentPort);
