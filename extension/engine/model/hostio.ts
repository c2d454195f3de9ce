/**
 * Zero-copy access to float32 tensor memory for the few kernels the engine runs on the JS side (row
 * gather/scatter of the one-hot first layer, fused softmax cross-entropy).
 *
 * Why: on the wasm backend `dataSync()` copies the tensor out of the wasm heap into a fresh ArrayBuffer and
 * `tf.tensor(values)` copies it back in. For workload W that is ~20 MB of short-lived multi-megabyte arrays per
 * epoch, and the garbage collector then stalls the loop at random (a 3 ms loop measured at 3–40 ms). On wasm
 * we therefore read and write the tensor's bytes in place through a Float32Array view on the wasm heap
 * (`BackendWasm.dataIdMap` → `memoryOffset`, as its own `readSync` does). Any other backend, or a wasm build
 * whose internals differ, takes the ordinary copying path — same numbers either way.
 *
 * A heap view is valid only until the next tfjs call (a malloc may grow and detach the heap): allocate every
 * output first, then take the views, then loop, then return to tfjs.
 */
import type * as tfc from '@tensorflow/tfjs';
import type { TF } from '../backend';

interface WasmInternals {
  dataIdMap: { get(id: object): { memoryOffset: number | null; dtype: string } | undefined };
  wasm: { HEAPU8: Uint8Array };
  /** Allocates an uninitialised tensor on the wasm heap (what the backend's own kernels use for outputs). */
  makeOutput(shape: number[], dtype: 'float32'): tfc.TensorInfo;
}

function wasmInternals(tf: TF): WasmInternals | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmInternals>;
  return b.dataIdMap && b.wasm?.HEAPU8 && typeof b.makeOutput === 'function' ? (b as WasmInternals) : null;
}

function heapView(w: WasmInternals, t: tfc.Tensor): Float32Array | null {
  const info = w.dataIdMap.get(t.dataId);
  if (!info || info.memoryOffset === null || info.dtype !== 'float32') return null;
  return new Float32Array(w.wasm.HEAPU8.buffer, info.memoryOffset, t.size);
}

/** The tensor's values, read-only: a view on the wasm heap when possible (valid until the next tfjs call), else dataSync(). */
export function hostRead(tf: TF, t: tfc.Tensor): Float32Array {
  const w = wasmInternals(tf);
  return (w && heapView(w, t)) || (t.dataSync() as Float32Array);
}

/** A float32 output filled on the JS side: `view()` (after all other allocations), write, then `finish()`. */
export class HostOutput<T extends tfc.Tensor> {
  private readonly wasm: WasmInternals | null = null;
  private readonly tensor: tfc.Tensor | null = null;
  private readonly data: Float32Array | null = null;

  constructor(private readonly tf: TF, private readonly shape: number[]) {
    const w = wasmInternals(tf);
    if (w) {
      // Not tf.zeros: on wasm that builds a zero JS array and copies it in (≈ the cost we are avoiding).
      const t = tf.engine().makeTensorFromTensorInfo(w.makeOutput(shape, 'float32'), tf.backend());
      const v = heapView(w, t);
      if (v) {
        v.fill(0);
        this.wasm = w;
        this.tensor = t;
        return;
      }
      t.dispose();
    }
    this.data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  }

  /** Zero-initialised storage to write into (on wasm: valid until the next tfjs call). */
  view(): Float32Array {
    return this.wasm && this.tensor ? heapView(this.wasm, this.tensor)! : this.data!;
  }

  finish(): T {
    return (this.tensor ?? this.tf.tensor(this.data!, this.shape, 'float32')) as T;
  }
}
