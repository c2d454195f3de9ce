/**
 * The checkpoint inspector's worker thread (bundled to dist/checkpointWorker.js): header parsing, per-tensor
 * statistics, value histograms, weight spectra against Marchenko–Pastur, and checkpoint comparison, all off the
 * extension host's main thread. Requests (HostToWorker) are handled one at a time in arrival order; progress is
 * posted while a tensor is read. Large tensors are read in chunks (never the whole file); a spectrum is computed
 * automatically only for matrices whose smaller side is ≤ 1024 (≈ 1 s), larger ones on explicit request.
 *
 * The functions are exported for the unit tests; the message loop starts only inside a worker thread.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import {
  decode,
  DTYPE_SIZE,
  fileSource,
  readHeader,
  SafetensorsError,
  type ByteSource,
  type SafetensorsHeader,
  type TensorInfo,
} from '../engine/safetensors';
import { histogram, tensorStats, type TensorStats } from '../engine/probes/stats';
import { matrixSpectrum } from '../engine/probes/spectra';
import { mpDensity } from '../shared/marchenkoPastur';
import { CompareAccumulator, spectrumShift } from '../engine/probes/compare';
import { CHECKPOINT_FORMAT } from '../engine/runs/layout';
import {
  finiteOrNull,
  isHostToWorker,
  ourCheckpointOf,
  type CompareResult,
  type CompareRow,
  type HeaderView,
  type SpectrumView,
  type StatsView,
  type TensorDetail,
  type WorkerToHost,
} from '../shared/checkpointProtocol';

/** Elements decoded per chunk when a tensor is streamed. */
const CHUNK_ELEMENTS = 4 * 1024 * 1024;
/** Tensors up to this many elements are held in memory whole (needed for a spectrum). */
const WHOLE_MAX_ELEMENTS = 32 * 1024 * 1024;
/** Automatic spectrum: smaller side ≤ 1024 and ≤ 8M entries; on request: smaller side ≤ 4096. */
export const SPECTRUM_AUTO_MAX_DIM = 1024;
const SPECTRUM_AUTO_MAX_ELEMENTS = 8 * 1024 * 1024;
export const SPECTRUM_FORCE_MAX_DIM = 4096;
const VALUE_BINS = 60;
const EIGEN_BINS = 40;

export type Progress = (fraction: number, label: string) => void;

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

/** Chan et al.'s pairwise merge of two partial statistics (mean/M2 over finite values). */
export function mergeStats(a: TensorStats, b: TensorStats): TensorStats {
  const fa = a.numel - a.nanCount - a.infCount;
  const fb = b.numel - b.nanCount - b.infCount;
  const f = fa + fb;
  const ma = fa ? a.mean : 0;
  const mb = fb ? b.mean : 0;
  const m2a = fa ? a.std * a.std * fa : 0;
  const m2b = fb ? b.std * b.std * fb : 0;
  const d = mb - ma;
  const mean = f ? ma + (d * fb) / f : NaN;
  const m2 = m2a + m2b + (f ? (d * d * fa * fb) / f : 0);
  const numel = a.numel + b.numel;
  const min = Math.min(fa ? a.min : Infinity, fb ? b.min : Infinity);
  const max = Math.max(fa ? a.max : -Infinity, fb ? b.max : -Infinity);
  return {
    numel,
    mean,
    std: f ? Math.sqrt(m2 / f) : NaN,
    min: f ? min : NaN,
    max: f ? max : NaN,
    l2: Math.hypot(a.l2, b.l2),
    zeroFraction: numel ? (a.zeroFraction * a.numel + b.zeroFraction * b.numel) / numel : 0,
    nanCount: a.nanCount + b.nanCount,
    infCount: a.infCount + b.infCount,
  };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes elements [from, from + count) of a tensor (F32/F64 on a little-endian machine: a view, no copy). */
async function readElements(src: ByteSource, info: TensorInfo, from: number, count: number): Promise<Float64Array | Float32Array> {
  const size = DTYPE_SIZE[info.dtype];
  const bytes = await src.read(info.begin + from * size, count * size);
  if (LITTLE_ENDIAN && bytes.byteOffset % size === 0) {
    if (info.dtype === 'F32') return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    if (info.dtype === 'F64') return new Float64Array(bytes.buffer, bytes.byteOffset, count);
  }
  return decode(bytes, info.dtype);
}

/** Thrown by a progress callback when the host cancelled the request. */
export class Cancelled extends Error {
  readonly code = 'CANCELLED';
  constructor() {
    super('cancelled');
  }
}

/** The whole tensor, read chunk by chunk with progress (fractions 0..share). */
async function readWhole(src: ByteSource, info: TensorInfo, progress: Progress, share: number): Promise<Float64Array | Float32Array> {
  const out = info.dtype === 'F64' || info.dtype === 'I64' || info.dtype === 'I32' ? new Float64Array(info.numel) : new Float32Array(info.numel);
  for (let i = 0; i < info.numel; i += CHUNK_ELEMENTS) {
    const n = Math.min(CHUNK_ELEMENTS, info.numel - i);
    out.set(await readElements(src, info, i, n), i);
    progress((share * (i + n)) / info.numel, 'reading');
  }
  return out;
}

function statsView(s: TensorStats): StatsView {
  return {
    numel: s.numel,
    mean: finiteOrNull(s.mean),
    std: finiteOrNull(s.std),
    min: finiteOrNull(s.min),
    max: finiteOrNull(s.max),
    l2: finiteOrNull(s.l2),
    zeroFraction: s.zeroFraction,
    nanCount: s.nanCount,
    infCount: s.infCount,
  };
}

export function spectrumView(name: string, data: ArrayLike<number>, m: number, n: number): SpectrumView {
  const sp = matrixSpectrum(name, data, m, n, EIGEN_BINS);
  const N = sp.eigenvalues.length;
  const { edges, counts } = sp.histogram;
  const density = counts.map((c, i) => (N && edges[i + 1] > edges[i] ? c / (N * (edges[i + 1] - edges[i])) : 0));
  const { sigma2Fit: sigma2, q, lambdaMinus, lambdaPlus } = sp.mp;
  const x: number[] = [];
  const y: number[] = [];
  const points = 160;
  for (let i = 0; i <= points; i++) {
    const v = lambdaMinus + ((lambdaPlus - lambdaMinus) * i) / points;
    x.push(v);
    y.push(mpDensity(v, sigma2, q));
  }
  return {
    count: N,
    histogram: { edges, counts },
    density,
    mpCurve: { x, y: y.map((v) => (Number.isFinite(v) ? v : 0)) },
    q,
    sigma2,
    lambdaMinus,
    lambdaPlus,
    fractionAbove: sp.mp.fractionAbove,
    ksDistance: sp.mp.ksDistance,
    alpha: sp.powerLaw ? finiteOrNull(sp.powerLaw.alpha) : null,
    top: sp.top,
  };
}

/** Why a 2-D tensor gets no spectrum (null: compute it). */
function spectrumBlock(info: TensorInfo, force: boolean): { note: string; forceable: boolean } | null {
  const [m, n] = info.shape;
  const k = Math.min(m, n);
  if (k === 0) return { note: 'empty matrix', forceable: false };
  if (k > SPECTRUM_FORCE_MAX_DIM || info.numel > WHOLE_MAX_ELEMENTS) {
    return { note: `too large for a full spectrum here (${m}×${n}; limit: smaller side ≤ ${SPECTRUM_FORCE_MAX_DIM}, ≤ ${WHOLE_MAX_ELEMENTS.toLocaleString('en-US')} entries)`, forceable: false };
  }
  if (!force && (k > SPECTRUM_AUTO_MAX_DIM || info.numel > SPECTRUM_AUTO_MAX_ELEMENTS)) {
    return { note: `not computed automatically for a ${m}×${n} matrix (an eigendecomposition of size ${k} takes a while)`, forceable: true };
  }
  return null;
}

export async function tensorDetail(src: ByteSource, info: TensorInfo, force: boolean, progress: Progress): Promise<TensorDetail> {
  const t0 = Date.now();
  const is2d = info.shape.length === 2;
  const block = is2d ? spectrumBlock(info, force) : null;
  const wantSpectrum = is2d && block === null;
  let stats: TensorStats;
  let hist = null;
  let spectrum: SpectrumView | null = null;
  let spectrumNote = block?.note ?? null;
  if (info.numel <= WHOLE_MAX_ELEMENTS) {
    const data = await readWhole(src, info, progress, 0.5);
    progress(0.55, 'statistics');
    stats = tensorStats(data);
    hist = info.numel > 0 ? histogram(data, VALUE_BINS) : null;
    if (wantSpectrum) {
      if (stats.nanCount + stats.infCount > 0) spectrumNote = 'the matrix has NaN/Inf values';
      else {
        progress(0.6, `eigenvalues (${Math.min(info.shape[0], info.shape[1])})`);
        spectrum = spectrumView(info.name, data, info.shape[0], info.shape[1]);
      }
    }
  } else {
    // Two streaming passes: statistics (which give the histogram's range), then the histogram.
    stats = tensorStats([]);
    for (let i = 0; i < info.numel; i += CHUNK_ELEMENTS) {
      const n = Math.min(CHUNK_ELEMENTS, info.numel - i);
      stats = mergeStats(stats, tensorStats(await readElements(src, info, i, n)));
      progress((0.5 * (i + n)) / info.numel, 'statistics');
    }
    const lo = Number.isFinite(stats.min) ? stats.min : 0;
    const hi = Number.isFinite(stats.max) ? stats.max : 1;
    const range: [number, number] = hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
    const counts = new Array<number>(VALUE_BINS).fill(0);
    let edges: number[] = [];
    for (let i = 0; i < info.numel; i += CHUNK_ELEMENTS) {
      const n = Math.min(CHUNK_ELEMENTS, info.numel - i);
      const h = histogram(await readElements(src, info, i, n), VALUE_BINS, range);
      edges = h.edges;
      h.counts.forEach((c, j) => (counts[j] += c));
      progress(0.5 + (0.5 * (i + n)) / info.numel, 'histogram');
    }
    hist = { edges, counts };
  }
  progress(1, 'done');
  return {
    name: info.name,
    stats: statsView(stats),
    histogram: hist && hist.edges.every(Number.isFinite) ? { edges: hist.edges, counts: hist.counts } : null,
    spectrum,
    spectrumNote,
    spectrumForceable: block?.forceable ?? false,
    millis: Date.now() - t0,
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
          post({ type: 'tensor', id: msg.id, detail: await tensorDetail(f.src, info, msg.force, progress) });
        } else if (msg.type === 'compare') {
          const [a, b] = await Promise.all([open.get(msg.fileA), open.get(msg.fileB)]);
          post({ type: 'compare', id: msg.id, result: await compareHeaders(a, b, progress) });
        }
      } catch (err) {
        const code = err instanceof SafetensorsError || err instanceof Cancelled ? err.code : 'INTERNAL';
        post({ type: 'error', id: msg.id, code, message: err instanceof Error ? err.message : String(err) });
      } finally {
        cancelled.delete(msg.id);
        active.delete(msg.id);
      }
    });
  });
}

if (!isMainThread && parentPort) startWorker(parentPort);
