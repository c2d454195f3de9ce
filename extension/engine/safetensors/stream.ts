/**
 * One tensor of a safetensors file, inspected in bounded memory: statistics and a value histogram streamed in
 * chunks (two passes: the statistics give the histogram's range; one- and two-byte dtypes in one, by code),
 * and — for a matrix small enough to hold — its spectrum against Marchenko–Pastur. The checkpoint editor's
 * worker and the CLI's `inspect` both call `tensorDetail`, so the two cannot disagree; no tensor is ever
 * decoded whole unless its spectrum is wanted and it is under the cap. Reads run READ_AHEAD chunks ahead of
 * the arithmetic (the file is read on libuv's threads meanwhile), and the per-element loops run in the native
 * addon's kernels when it is built (engine/fast/native.ts inspectKernels; the same definitions as
 * engine/probes/stats.ts, whose JS loops run otherwise).
 */
import { DTYPE_SIZE } from './write';
import { decode, decodesToFloat64, type ByteSource, type TensorInfo } from './read';
import { histogram, histogramRange, tensorStats, type TensorStats } from '../probes/stats';
import { inspectKernels, type InspectKernels } from '../fast/native';
import { matrixSpectrum } from '../probes/spectra';
import { finiteOrNull, type StatsView, type TensorDetail, type TensorSpectrum } from '../../shared/checkpointProtocol';

/** Elements decoded per chunk when a tensor is streamed. */
export const CHUNK_ELEMENTS = 4 * 1024 * 1024;
/** Tensors up to this many elements may be held in memory whole (needed for a spectrum). */
export const WHOLE_MAX_ELEMENTS = 32 * 1024 * 1024;
/** Automatic spectrum: smaller side ≤ 1024 and ≤ 8M entries; on request: smaller side ≤ 4096. */
export const SPECTRUM_AUTO_MAX_DIM = 1024;
const SPECTRUM_AUTO_MAX_ELEMENTS = 8 * 1024 * 1024;
export const SPECTRUM_FORCE_MAX_DIM = 4096;
export const VALUE_BINS = 60;
const EIGEN_BINS = 40;

export type Progress = (fraction: number, label: string) => void;

/** Thrown by a progress callback when the caller cancelled the request. */
export class Cancelled extends Error {
  readonly code = 'CANCELLED';
  constructor() {
    super('cancelled');
  }
}

/** Chan et al.'s pairwise merge of two partial statistics (mean/M2 over finite values). */
export function mergeStats(a: TensorStats, b: TensorStats): TensorStats {
  const fa = a.numel - a.nanCount - a.infCount;
  const fb = b.numel - b.nanCount - b.infCount;
  // One side without finite values: the other's moments as they are (d² · 0 would be NaN once d² overflows).
  if (fa === 0 || fb === 0) {
    const [s, o] = fa === 0 ? [b, a] : [a, b];
    const numel = a.numel + b.numel;
    return {
      ...s,
      numel,
      l2: Math.hypot(a.l2, b.l2),
      zeroFraction: numel ? (a.zeroFraction * a.numel + b.zeroFraction * b.numel) / numel : 0,
      nanCount: s.nanCount + o.nanCount,
      infCount: s.infCount + o.infCount,
    };
  }
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

/**
 * Serves small reads from one cached block of `blockBytes` (reads as large as the block go straight through):
 * a file of 10⁶ tiny tensors costs a few block reads instead of 10⁶ system calls.
 */
export function readAhead(src: ByteSource, blockBytes = 1 << 20): ByteSource {
  let start = 0;
  let block: Uint8Array = new Uint8Array(0);
  return {
    size: src.size,
    async read(offset, length, into) {
      if (length >= blockBytes) return src.read(offset, length, into);
      if (offset < start || offset + length > start + block.length) {
        start = offset;
        block = await src.read(offset, Math.min(blockBytes, src.size - offset));
      }
      const view = block.subarray(offset - start, offset - start + length);
      if (!into) return view.slice();
      into.set(view);
      return into.subarray(0, length);
    },
    close: () => src.close(),
  };
}

/** Reads in flight ahead of the chunk being computed on (each is one chunk's buffer). */
export const READ_AHEAD = 2;

/**
 * Calls `each` on the bytes [begin, begin + total) in blocks of `blockBytes` (views valid during the call), with
 * READ_AHEAD reads in flight ahead of it: the reading (system time on libuv's threads) overlaps the arithmetic
 * on the blocks before. READ_AHEAD + 1 buffers, reused (allocating 16 MB per chunk costs ten times the read).
 */
export async function forEachBlock(src: ByteSource, begin: number, total: number, blockBytes: number, each: (bytes: Uint8Array, at: number) => void): Promise<void> {
  const blocks = Math.ceil(total / blockBytes);
  const ring = Array.from({ length: Math.min(blocks, READ_AHEAD + 1) }, () => new Uint8Array(Math.min(blockBytes, total)));
  const pending: Promise<Uint8Array>[] = [];
  let issued = 0;
  try {
    for (let k = 0; k < blocks; k++) {
      for (; issued < blocks && issued <= k + READ_AHEAD; issued++) {
        const at = issued * blockBytes;
        pending.push(src.read(begin + at, Math.min(blockBytes, total - at), ring[issued % ring.length]));
      }
      each(await pending.shift()!, k * blockBytes);
    }
  } finally {
    // A cancelled or failed stream leaves its reads to finish unobserved.
    for (const p of pending) p.catch(() => undefined);
  }
}

/** The elements of a tensor's bytes (F32/F64 on a little-endian machine: a view, no copy); `into` is reused. */
function elementsOf(bytes: Uint8Array, info: TensorInfo, into?: Float64Array | Float32Array): Float64Array | Float32Array {
  const size = DTYPE_SIZE[info.dtype];
  const count = bytes.length / size;
  if (LITTLE_ENDIAN && bytes.byteOffset % size === 0) {
    if (info.dtype === 'F32') return new Float32Array(bytes.buffer, bytes.byteOffset, count);
    if (info.dtype === 'F64') return new Float64Array(bytes.buffer, bytes.byteOffset, count);
  }
  return decode(bytes, info.dtype, into);
}

/** Decodes elements [from, from + count) of a tensor (F32/F64 on a little-endian machine: a view, no copy). */
export async function readElements(src: ByteSource, info: TensorInfo, from: number, count: number): Promise<Float64Array | Float32Array> {
  const size = DTYPE_SIZE[info.dtype];
  return elementsOf(await src.read(info.begin + from * size, count * size), info);
}

/** Calls `each` on consecutive chunks of the tensor (views valid during the call), with progress over [from, to). */
export async function forEachChunk(src: ByteSource, info: TensorInfo, each: (chunk: Float64Array | Float32Array) => void, progress: Progress, from: number, to: number, label: string): Promise<void> {
  const size = DTYPE_SIZE[info.dtype];
  const total = info.numel * size;
  // One decode buffer (decoding happens in turn, on this thread), made at the first chunk that needs one.
  let values: Float64Array | Float32Array | undefined;
  await forEachBlock(src, info.begin, total, CHUNK_ELEMENTS * size, (bytes, at) => {
    const chunk = elementsOf(bytes, info, values);
    if (chunk.buffer !== bytes.buffer) values = chunk;
    each(chunk);
    progress(from + ((to - from) * (at + bytes.length)) / total, label);
  });
}

/** Chunks shorter than this are left to the JS loops (the call into the addon costs more than they do). */
const KERNEL_MIN_ELEMENTS = 4096;
let kernelsOnce: InspectKernels | null | undefined;
const kernels = (): InspectKernels | null => (kernelsOnce === undefined ? (kernelsOnce = inspectKernels()) : kernelsOnce);

/** tensorStats of a chunk, in the native kernel when it is there. */
function chunkStats(c: Float64Array | Float32Array): TensorStats {
  const k = c.length >= KERNEL_MIN_ELEMENTS ? kernels() : null;
  if (!k) return tensorStats(c);
  const [finite, nan, inf, zeros, mean, m2, sumSq, min, max] = k.inspectStats(c);
  return {
    numel: c.length,
    mean: finite ? mean : NaN,
    std: finite ? Math.sqrt(m2 / finite) : NaN,
    min: finite ? min : NaN,
    max: finite ? max : NaN,
    l2: Math.sqrt(sumSq),
    zeroFraction: c.length ? zeros / c.length : 0,
    nanCount: nan,
    infCount: inf,
  };
}

/** Adds a chunk's histogram over `range` (probes/stats histogram's bins) to `counts`. */
function addHistogram(c: Float64Array | Float32Array, range: [number, number], counts: Float64Array): void {
  const k = c.length >= KERNEL_MIN_ELEMENTS ? kernels() : null;
  if (!k) {
    const h = histogram(c, counts.length, range);
    for (let j = 0; j < counts.length; j++) counts[j] += h.counts[j];
    return;
  }
  // The width and its inverse as histogram() computes them, so that every value falls in the same bin.
  const [lo, hi] = range;
  k.inspectHistogram(c, lo, hi, 1 / ((hi - lo) / counts.length), counts);
}

/** histogram() of a whole tensor whose statistics are known: its finite range, in the kernel when there. */
function wholeHistogram(data: Float64Array | Float32Array, stats: TensorStats): { edges: number[]; counts: number[] } {
  if (data.length < KERNEL_MIN_ELEMENTS || !kernels()) return histogram(data, VALUE_BINS);
  const range = histogramRange(stats.min, stats.max);
  const counts = new Float64Array(VALUE_BINS);
  addHistogram(data, range, counts);
  return { edges: histogram([], VALUE_BINS, range).edges, counts: Array.from(counts) };
}

/** The whole tensor, read chunk by chunk with progress (fractions 0..share). */
export async function readWhole(src: ByteSource, info: TensorInfo, progress: Progress, share: number): Promise<Float64Array | Float32Array> {
  const out = decodesToFloat64(info.dtype) ? new Float64Array(info.numel) : new Float32Array(info.numel);
  let at = 0;
  await forEachChunk(src, info, (c) => (out.set(c, at), (at += c.length)), progress, 0, share, 'reading');
  return out;
}

export function statsView(s: TensorStats): StatsView {
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

/** The spectrum of a 2-D tensor as the inspector shows it, and every eigenvalue (the CLI prints them). */
function tensorSpectrum(name: string, data: ArrayLike<number>, m: number, n: number): { spectrum: TensorSpectrum; eigenvalues: number[] } {
  const sp = matrixSpectrum(name, data, m, n, EIGEN_BINS);
  const { edges, counts } = sp.histogram;
  const { sigma2Fit: sigma2, q, lambdaMinus, lambdaPlus } = sp.mp;
  if (![sigma2, lambdaMinus, lambdaPlus, sp.mp.ksDistance].every(Number.isFinite)) throw new Error('the Marchenko–Pastur fit is not finite for values this large');
  const spectrum: TensorSpectrum = {
    count: sp.eigenvalues.length,
    histogram: { edges, counts },
    q,
    sigma2,
    lambdaMinus,
    lambdaPlus,
    fractionAbove: sp.mp.fractionAbove,
    ksDistance: sp.mp.ksDistance,
    alpha: sp.powerLaw ? finiteOrNull(sp.powerLaw.alpha) : null,
    top: sp.top,
  };
  return { spectrum, eigenvalues: sp.eigenvalues };
}

/**
 * 'auto': the editor's default, a spectrum for matrices up to SPECTRUM_AUTO_MAX_DIM; 'force': up to the cap
 * (smaller side ≤ SPECTRUM_FORCE_MAX_DIM, ≤ WHOLE_MAX_ELEMENTS entries); 'off': statistics only.
 */
export type SpectrumMode = 'auto' | 'force' | 'off';

/** Why a 2-D tensor gets no spectrum (null: compute it). */
function spectrumBlock(info: TensorInfo, mode: SpectrumMode): { note: string; forceable: boolean } | null {
  const [m, n] = info.shape;
  const k = Math.min(m, n);
  if (k === 0) return { note: 'empty matrix', forceable: false };
  if (k > SPECTRUM_FORCE_MAX_DIM || info.numel > WHOLE_MAX_ELEMENTS) {
    return { note: `too large for a full spectrum (${m}×${n}; cap: smaller side ≤ ${SPECTRUM_FORCE_MAX_DIM}, ≤ ${WHOLE_MAX_ELEMENTS.toLocaleString('en-US')} entries)`, forceable: false };
  }
  if (mode === 'off') return { note: 'not requested', forceable: true };
  if (mode === 'auto' && (k > SPECTRUM_AUTO_MAX_DIM || info.numel > SPECTRUM_AUTO_MAX_ELEMENTS)) {
    return { note: `not computed automatically for a ${m}×${n} matrix (an eigendecomposition of size ${k} takes a while)`, forceable: true };
  }
  return null;
}

/** A TensorDetail with every eigenvalue (the CLI prints them; the editor draws the histogram). */
export interface TensorInspection extends TensorDetail {
  eigenvalues: number[] | null;
}

/** Bytes read per chunk when a tensor of a one- or two-byte dtype is counted by code. */
const CODE_CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * Statistics and histogram of a tensor of a one- or two-byte dtype (BF16, F16, FP8, 8/16-bit integers, BOOL) in
 * one pass over its bytes: each element is one of at most 65 536 codes, so counting the codes (no decoding)
 * and then reading the statistics and the histogram off the table of distinct values gives exactly what the
 * element-wise passes give, at a fraction of the work.
 */
async function statsByCode(src: ByteSource, info: TensorInfo, progress: Progress): Promise<{ stats: TensorStats; hist: { edges: number[]; counts: number[] } }> {
  const size = DTYPE_SIZE[info.dtype];
  const codes = 1 << (8 * size);
  const counts = new Float64Array(codes);
  const total = info.numel * size;
  const k = kernels();
  await forEachBlock(src, info.begin, total, CODE_CHUNK_BYTES, (bytes, at) => {
    const len = bytes.length;
    // Little-endian codes (the caller checked the machine); an odd byte offset is copied once.
    const aligned = size === 1 || bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
    const u = size === 1 ? aligned : new Uint16Array(aligned.buffer, aligned.byteOffset, len >> 1);
    if (k && u.length >= KERNEL_MIN_ELEMENTS) k.countCodes(u, counts);
    else for (let i = 0; i < u.length; i++) counts[u[i]]++;
    progress((at + len) / total, 'statistics');
  });
  const all = new Uint8Array(codes * size);
  if (size === 1) for (let c = 0; c < codes; c++) all[c] = c;
  else new Uint16Array(all.buffer).forEach((_, c, a) => (a[c] = c));
  const values = decode(all, info.dtype);
  let finite = 0;
  let nan = 0;
  let inf = 0;
  let zeros = 0;
  let sum = 0;
  let sumSq = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let c = 0; c < codes; c++) {
    const k = counts[c];
    if (k === 0) continue;
    const x = values[c];
    if (x !== x) nan += k;
    else if (x - x !== 0) inf += k;
    else {
      finite += k;
      sum += k * x;
      sumSq += k * x * x;
      if (x === 0) zeros += k;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  const mean = finite ? sum / finite : NaN;
  let m2 = 0;
  if (finite) for (let c = 0; c < codes; c++) if (counts[c] && values[c] - values[c] === 0) m2 += counts[c] * (values[c] - mean) * (values[c] - mean);
  const n = info.numel;
  const stats: TensorStats = {
    numel: n,
    mean,
    std: finite ? Math.sqrt(m2 / finite) : NaN,
    min: finite ? min : NaN,
    max: finite ? max : NaN,
    l2: Math.sqrt(sumSq),
    zeroFraction: n ? zeros / n : 0,
    nanCount: nan,
    infCount: inf,
  };
  // The histogram of the streaming path (same range and the same binning as probes/stats histogram), weighted.
  const lo0 = Number.isFinite(stats.min) ? stats.min : 0;
  const hi0 = Number.isFinite(stats.max) ? stats.max : 1;
  const [lo, hi] = hi0 > lo0 ? [lo0, hi0] : [lo0 - 0.5, lo0 + 0.5];
  const width = (hi - lo) / VALUE_BINS;
  const edges = Array.from({ length: VALUE_BINS + 1 }, (_, i) => lo + i * width);
  const bins = new Array<number>(VALUE_BINS).fill(0);
  const perWidth = 1 / width;
  for (let c = 0; c < codes; c++) {
    const x = values[c];
    if (!counts[c] || !(x >= lo && x <= hi)) continue;
    const k = ((x - lo) * perWidth) | 0;
    bins[k > VALUE_BINS - 1 ? VALUE_BINS - 1 : k] += counts[c];
  }
  return { stats, hist: { edges, counts: bins } };
}

/** Statistics, histogram and (per `mode`) spectrum of one tensor; memory bounded by the chunk or the cap. */
export async function tensorDetail(src: ByteSource, info: TensorInfo, mode: SpectrumMode, progress: Progress): Promise<TensorInspection> {
  const t0 = Date.now();
  const is2d = info.shape.length === 2;
  const block = is2d ? spectrumBlock(info, mode) : null;
  const wantSpectrum = is2d && block === null;
  let stats: TensorStats;
  let hist = null;
  let spectrum: TensorSpectrum | null = null;
  let eigenvalues: number[] | null = null;
  let spectrumNote = block?.note ?? null;
  if (wantSpectrum || info.numel <= CHUNK_ELEMENTS) {
    // Up to a chunk: one read and one decode (a file of 10⁶ small tensors pays this per tensor).
    const data = info.numel <= CHUNK_ELEMENTS ? await readElements(src, info, 0, info.numel) : await readWhole(src, info, progress, 0.5);
    progress(0.55, 'statistics');
    stats = chunkStats(data);
    hist = info.numel > 0 ? wholeHistogram(data, stats) : null;
    if (wantSpectrum) {
      if (stats.nanCount + stats.infCount > 0) spectrumNote = 'the matrix has NaN/Inf values';
      else {
        progress(0.6, `eigenvalues (${Math.min(info.shape[0], info.shape[1])})`);
        try {
          ({ spectrum, eigenvalues } = tensorSpectrum(info.name, data, info.shape[0], info.shape[1]));
        } catch (err) {
          // The statistics stand; only the spectrum is unavailable, with the reason.
          spectrumNote = `spectrum unavailable: ${(err as Error).message}`;
        }
      }
    }
  } else if (DTYPE_SIZE[info.dtype] <= 2 && (LITTLE_ENDIAN || DTYPE_SIZE[info.dtype] === 1)) {
    ({ stats, hist } = await statsByCode(src, info, progress));
  } else {
    // Two streaming passes: statistics (which give the histogram's range), then the histogram.
    stats = tensorStats([]);
    await forEachChunk(src, info, (c) => (stats = mergeStats(stats, chunkStats(c))), progress, 0, 0.5, 'statistics');
    const lo = Number.isFinite(stats.min) ? stats.min : 0;
    const hi = Number.isFinite(stats.max) ? stats.max : 1;
    const range: [number, number] = hi > lo ? [lo, hi] : [lo - 0.5, lo + 0.5];
    const counts = new Float64Array(VALUE_BINS);
    await forEachChunk(src, info, (c) => addHistogram(c, range, counts), progress, 0.5, 1, 'histogram');
    hist = { edges: histogram([], VALUE_BINS, range).edges, counts: Array.from(counts) };
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
    eigenvalues,
  };
}
