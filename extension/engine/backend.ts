/**
 * Picks the fastest TensorFlow.js backend that loads here: tfjs-node (native libtensorflow; an optional
 * dependency whose install fails on machines without internet access), then the WebAssembly backend
 * (XNNPACK kernels, SIMD when the runtime supports it), then the plain-JS cpu backend.
 *
 * tfjs-node ships its own `@tensorflow/tfjs`, so callers must use the `tf` namespace returned here and
 * import tfjs types only. We depend on the `@tensorflow/tfjs` union package rather than `tfjs-core` alone
 * because only the union's Node build registers the gradient functions that `variableGrads` needs.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { BackendChoice, BackendName } from '../shared/protocol';
import { errorLine } from '../shared/errors';
import { loadNative, type NativeAddon } from './fast/native';

export type TF = typeof import('@tensorflow/tfjs');

export interface LoadedBackend {
  tf: TF;
  /** The tfjs backend (the whole run's with the tfjs path; the model's setup and nothing else with the native path). */
  backend: BackendName;
  /** Human-readable detail: versions, SIMD/threads, why faster backends were skipped. */
  detail: string;
  /** The native fast path (fast/native.ts), when it trains this run. */
  native: NativeAddon | null;
}

/** What trained: 'native' (the fused kernels) or the tfjs backend's name — what run.json and the log call the backend. */
export function backendLabel(b: LoadedBackend): string {
  return b.native ? 'native' : b.backend;
}

export class BackendError extends Error {}

let loaded: Omit<LoadedBackend, 'native'> | undefined;

/** Directory holding tfjs-backend-wasm's .wasm binaries: next to the bundle, else in node_modules. */
export function defaultWasmDir(): string {
  const candidates = [__dirname, path.join(__dirname, '..', 'dist')];
  for (const dir of candidates) {
    if (fs.existsSync(path.join(dir, 'tfjs-backend-wasm.wasm'))) return dir;
  }
  try {
    return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  } catch {
    return __dirname;
  }
}

function tryRequireTfjsNode(): TF | string {
  try {
    // Kept out of static analysis so bundlers leave it external and it stays optional.
    const name = '@tensorflow/tfjs-node';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as TF;
  } catch (err) {
    const msg = errorLine(err);
    return `tfjs-node unavailable (${msg})`;
  }
}

function silenceTfjsNodeHint(tf: TF): void {
  // Production mode: no debug checks, and no "install our node backend" banner from the cpu backend (we
  // report the backend used ourselves).
  tf.enableProdMode();
}

/**
 * Loads the requested backend. `auto` = the native fast path when it is built, with tfjs for the model's
 * setup; else tfjs on tensorflow → wasm → cpu. `native` = the native path or a BackendError; `tensorflow`,
 * `wasm`, `cpu` = the tfjs path on that backend (or a BackendError with the reason).
 */
export async function loadBackend(choice: BackendChoice = 'auto', opts: { wasmDir?: string } = {}): Promise<LoadedBackend> {
  if (choice !== 'auto' && choice !== 'native') return { ...(await loadTfjs(choice, opts)), native: null };
  const native = loadNative();
  if (typeof native === 'string') {
    if (choice === 'native') throw new BackendError(`backend 'native' requested but the native fast path is ${native}; use --backend wasm`);
    const tfjs = await loadTfjs('auto', opts);
    return { ...tfjs, detail: `${tfjs.detail}; native fast path ${native}`, native: null };
  }
  // The tfjs backend only initialises the model here (same initial weights either path) and checks the config.
  const tfjs = await loadTfjs('auto', opts);
  return { ...tfjs, detail: `${native.detail}; setup on ${tfjs.detail}`, native: native.addon };
}

/**
 * Loads (once per process) the requested tfjs backend. `auto` = tensorflow → wasm → cpu. An explicit choice
 * that cannot load throws a BackendError with the reason.
 */
async function loadTfjs(choice: 'auto' | BackendName, opts: { wasmDir?: string }): Promise<Omit<LoadedBackend, 'native'>> {
  if (loaded && (choice === 'auto' || choice === loaded.backend)) return loaded;
  const skipped: string[] = [];

  if (choice === 'auto' || choice === 'tensorflow') {
    const tfNode = tryRequireTfjsNode();
    if (typeof tfNode !== 'string') {
      await tfNode.setBackend('tensorflow');
      await tfNode.ready();
      loaded = { tf: tfNode, backend: 'tensorflow', detail: `tfjs-node ${tfNode.version?.['tfjs-core'] ?? ''}`.trim() };
      return loaded;
    }
    if (choice === 'tensorflow') throw new BackendError(`backend 'tensorflow' requested but ${tfNode}; install @tensorflow/tfjs-node or use --backend wasm`);
    skipped.push(tfNode);
  }

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tf = require('@tensorflow/tfjs') as TF;
  silenceTfjsNodeHint(tf);

  if (choice === 'auto' || choice === 'wasm') {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
      const dir = opts.wasmDir ?? defaultWasmDir();
      const sep = dir.endsWith(path.sep) ? '' : path.sep;
      wasm.setWasmPaths(dir + sep);
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('setBackend returned false');
      await tf.ready();
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      loaded = {
        tf,
        backend: 'wasm',
        // Threads: tfjs-backend-wasm reports no multithread support under Node by design (its threaded build
        // spawns Web Workers; tensorflow/tfjs#3830), so training runs on one core here. The engine keeps its
        // own per-epoch work single-threaded too: two cores are shared with the editor and other runs.
        detail: `tfjs-backend-wasm ${wasm.version_wasm} (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off (not supported under Node)'})` +
          (skipped.length ? `; ${skipped.join('; ')}` : ''),
      };
      return loaded;
    } catch (err) {
      const msg = errorLine(err);
      if (choice === 'wasm') throw new BackendError(`backend 'wasm' could not load: ${msg}`);
      skipped.push(`wasm unavailable (${msg})`);
    }
  }

  await tf.setBackend('cpu');
  await tf.ready();
  loaded = { tf, backend: 'cpu', detail: `tfjs-backend-cpu ${tf.version['tfjs-core']}` + (skipped.length ? `; ${skipped.join('; ')}` : '') };
  return loaded;
}
