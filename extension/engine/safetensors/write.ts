/**
 * safetensors writer: 8-byte little-endian header length, a JSON header (padded with spaces to a multiple of
 * 8 bytes, as the reference implementation does), then the tensors' bytes back to back in header order.
 * Format: https://github.com/huggingface/safetensors (README, "Format").
 */
/** Every dtype of the reference format with a whole number of bytes per element (C64: two float32, re then im). */
export type Dtype =
  | 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'F8_E5M2' | 'F8_E8M0'
  | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL' | 'C64';

export const DTYPE_SIZE: Record<Dtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, C64: 8,
};

export interface TensorToWrite {
  name: string;
  dtype: Dtype;
  shape: number[];
  data: ArrayBufferView;
}

export function encodeSafetensors(tensors: TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__') throw new Error(`safetensors: '__metadata__' is not a valid tensor name`);
    if (t.name in header) throw new Error(`safetensors: duplicate tensor name '${t.name}'`);
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const bytes = numel * DTYPE_SIZE[t.dtype];
    if (t.data.byteLength !== bytes) {
      throw new Error(`safetensors: tensor '${t.name}' has ${t.data.byteLength} bytes, shape [${t.shape}] × ${t.dtype} needs ${bytes}`);
    }
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let headerBytes = enc.encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  if (pad) {
    json += ' '.repeat(pad);
    headerBytes = enc.encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}
