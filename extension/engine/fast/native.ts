/**
 * Loads the native fast path (native/mlp.cc, built at install by scripts/build-native.mjs into
 * native/build/td_native.node). Absent, unloadable or disabled (TRAINING_DYNAMICS_NATIVE=off), the engine trains
 * on the tfjs path and says why.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OptimizerConfig } from '../../shared/configTypes';
import { errorLine } from '../../shared/errors';

/** The addon's exports (see native/mlp.cc for each function's contract). */
export interface NativeAddon {
  simd: string;
  create(desc: NativeModelDesc, params: NativeParam[]): NativeHandle;
  setSplit(h: NativeHandle, slot: 0 | 1, split: NativeSplit): void;
  step(h: NativeHandle, rows: Int32Array | null, lr: number, measure: boolean): Float64Array;
  evaluate(h: NativeHandle, slot: 0 | 1): Float64Array;
  /** evaluate() of the weights as they are now, on a libuv worker thread (the weights are copied first); one at a time. */
  evaluateAsync(h: NativeHandle, slot: 0 | 1): Promise<Float64Array>;
  markWeights(h: NativeHandle): void;
  /** [‖w‖, ‖w − w₀‖, ‖w₀‖] per parameter, w₀ the weights at the last markWeights(). */
  weightStats(h: NativeHandle): Float64Array;
  hidden(h: NativeHandle, slot: 0 | 1): Float32Array[];
  /** CPU ms per phase (`phases` order) since the last call; then resets them and switches the timers on or off. */
  profile(h: NativeHandle, on: boolean): Float64Array;
  /** Names of the profiled phases. */
  phases: string[];
  release(h: NativeHandle): void;
}

/**
 * The checkpoint inspector's per-element loops in C++ (native/mlp.cc), the same definitions as
 * engine/probes/stats.ts: inspectStats → [finite, nan, inf, zeros, mean, m2, sumSq, min, max] of a chunk;
 * inspectHistogram adds a chunk's counts over [lo, hi] (bin ⌊(x − lo)·perWidth⌋, the last closed);
 * countCodes adds each code's count of a one- or two-byte dtype.
 */
export interface InspectKernels {
  inspectStats(values: Float32Array | Float64Array): Float64Array;
  inspectHistogram(values: Float32Array | Float64Array, lo: number, hi: number, perWidth: number, counts: Float64Array): void;
  countCodes(codes: Uint8Array | Uint16Array, counts: Float64Array): void;
}

declare const handleBrand: unique symbol;
export type NativeHandle = { readonly [handleBrand]: true };

/** The model and its optimizer as the addon takes them: the optimizer's hyperparameters as the config has them. */
export interface NativeModelDesc extends Pick<OptimizerConfig, 'weightDecay' | 'momentum' | 'nesterov' | 'beta1' | 'beta2' | 'eps'> {
  /** 0 dense input, 1 one-hot gather-sum, 2 embedding concat. */
  first: 0 | 1 | 2;
  /** 0 relu, 1 tanh, 2 quadratic, 3 gelu. */
  activation: 0 | 1 | 2 | 3;
  /** 0 cross-entropy, 1 mse. */
  loss: 0 | 1;
  /** 0 sgd, 1 momentum, 2 adam, 3 adamw. */
  optimizer: 0 | 1 | 2 | 3;
  bias: boolean;
  embeddingRows: number;
  embeddingDim: number;
  widths: number[];
}

export interface NativeParam {
  w: Float32Array;
  m: Float32Array;
  v: Float32Array;
  trainable: boolean;
}

export interface NativeSplit {
  n: number;
  x: Float32Array | null;
  ia: Int32Array | null;
  ib: Int32Array | null;
  labels: Int32Array | null;
  y: Float32Array | null;
}

export const NATIVE_ENV = 'TRAINING_DYNAMICS_NATIVE';
export const ADDON_FILE = path.join('native', 'build', 'td_native.node');

/** The addon file: searched upward from here (dist/ in the bundle, extension/engine/fast/ from source). */
function addonPath(): string | null {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const p = path.join(dir, ADDON_FILE);
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  return null;
}

/** Whether `auto` will train on the native path here (the addon is built and not disabled), without loading it. */
export function nativeBuilt(): boolean {
  if (process.env[NATIVE_ENV] === 'off' || process.env[NATIVE_ENV] === '0') return false;
  return addonPath() !== null;
}

let cached: { addon: NativeAddon; detail: string } | string | undefined;

/** The addon and a one-line description, or the reason it is not available. */
export function loadNative(): { addon: NativeAddon; detail: string } | string {
  if (process.env[NATIVE_ENV] === 'off' || process.env[NATIVE_ENV] === '0') return `disabled by ${NATIVE_ENV}=${process.env[NATIVE_ENV]}`;
  if (cached !== undefined) return cached;
  const file = addonPath();
  if (!file) {
    cached = `not built (no ${ADDON_FILE}; npm install builds it with g++, see README "Speed")`;
    return cached;
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(file) as NativeAddon;
    if (typeof addon.create !== 'function' || typeof addon.step !== 'function' || typeof addon.evaluateAsync !== 'function') throw new Error('unexpected exports (an older build: npm run build:native)');
    cached = { addon, detail: `fused C++ MLP kernels (${addon.simd}, one thread)` };
  } catch (err) {
    cached = `could not load ${file}: ${errorLine(err)}`;
  }
  return cached;
}

/**
 * The inspector's kernels when the addon is built, loadable and has them (an older build does not: then, or
 * with TRAINING_DYNAMICS_NATIVE=off, the inspector runs its JS loops; the installed extension ships no addon).
 */
export function inspectKernels(): InspectKernels | null {
  const n = loadNative();
  if (typeof n === 'string') return null;
  const a = n.addon as NativeAddon & Partial<InspectKernels>;
  return typeof a.inspectStats === 'function' && typeof a.inspectHistogram === 'function' && typeof a.countCodes === 'function' ? (a as InspectKernels) : null;
}
