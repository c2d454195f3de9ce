/**
 * safetensors reader. Reads the 8-byte little-endian header length and the JSON header without touching the
 * data, validates the file the way the reference implementation does (huggingface/safetensors, tensor.rs
 * `validate`), and decodes one tensor at a time by reading only its byte range.
 *
 * Checks, each a SafetensorsError with a code: header length ≤ 100 MB and inside the file; header valid UTF-8
 * and a JSON object (leading/trailing whitespace allowed); `__metadata__` a map of strings; every tensor has a
 * known dtype, a shape of non-negative safe integers, and data_offsets [begin, end]; sorted by offset the tensors
 * are contiguous from 0 without overlap; numel × dtype size equals end − begin (no overflow: computed with
 * BigInt); the last end equals the data section's length exactly (no missing bytes, no trailing bytes).
 * Nothing is allocated from an untrusted length before it is checked against the file size.
 */
import { open } from 'node:fs/promises';
import { DTYPE_SIZE, type Dtype } from './write';
import { isObj } from '../../shared/guards';

export const MAX_HEADER_BYTES = 100_000_000;

export type SafetensorsErrorCode =
  | 'FILE_TOO_SMALL'
  | 'HEADER_TOO_LARGE'
  | 'HEADER_PAST_END'
  | 'HEADER_NOT_UTF8'
  | 'HEADER_NOT_JSON'
  | 'HEADER_NOT_OBJECT'
  | 'BAD_METADATA'
  | 'BAD_TENSOR_INFO'
  | 'UNKNOWN_DTYPE'
  | 'BAD_SHAPE'
  | 'OVERFLOW'
  | 'BAD_OFFSETS'
  | 'SIZE_MISMATCH'
  | 'INCOMPLETE_DATA'
  | 'TRAILING_BYTES'
  | 'NO_SUCH_TENSOR'
  | 'IO';

export class SafetensorsError extends Error {
  constructor(readonly code: SafetensorsErrorCode, message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  numel: number;
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string> | null;
  /** In file order (by offset). */
  tensors: TensorInfo[];
  headerLength: number;
  dataStart: number;
  fileSize: number;
}

/** Random access to bytes: a file, or a buffer in tests. */
export interface ByteSource {
  size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, offset + length),
    close: async () => undefined,
  };
}

export async function fileSource(path: string): Promise<ByteSource> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new SafetensorsError('IO', `cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const { size } = await fh.stat();
  return {
    size,
    async read(offset, length) {
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) throw new SafetensorsError('IO', `unexpected end of file at byte ${offset + done}`);
        done += bytesRead;
      }
      return buf;
    },
    close: () => fh.close(),
  };
}

const DTYPES = Object.keys(DTYPE_SIZE) as Dtype[];

/** Parses and validates the header from its bytes; `dataLength` = file size − 8 − header length. */
export function parseHeader(headerBytes: Uint8Array, dataLength: number): Pick<SafetensorsHeader, 'metadata' | 'tensors'> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('HEADER_NOT_UTF8', 'the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SafetensorsError('HEADER_NOT_JSON', `the header is not valid JSON (${(err as Error).message})`);
  }
  if (!isObj(json)) throw new SafetensorsError('HEADER_NOT_OBJECT', 'the header is not a JSON object');
  let metadata: Record<string, string> | null = null;
  const raw: { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isObj(info) || !Object.values(info).every((v) => typeof v === 'string')) {
        throw new SafetensorsError('BAD_METADATA', '__metadata__ must be a map of strings to strings');
      }
      metadata = info as Record<string, string>;
      continue;
    }
    if (!isObj(info)) throw new SafetensorsError('BAD_TENSOR_INFO', `tensor '${name}': its entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !DTYPES.includes(dtype as Dtype)) {
      throw new SafetensorsError('UNKNOWN_DTYPE', `tensor '${name}': unsupported dtype ${JSON.stringify(dtype)} (supported: ${DTYPES.join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError('BAD_SHAPE', `tensor '${name}': shape must be a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isInteger(o) && o >= 0)) {
      throw new SafetensorsError('BAD_OFFSETS', `tensor '${name}': data_offsets must be [begin, end]`);
    }
    if (!offsets.every((o) => Number.isSafeInteger(o))) throw new SafetensorsError('OVERFLOW', `tensor '${name}': data_offsets overflow`);
    raw.push({ name, dtype: dtype as Dtype, shape: shape as number[], begin: offsets[0], end: offsets[1] });
  }
  raw.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  const tensors: TensorInfo[] = [];
  for (const t of raw) {
    if (t.begin !== cursor || t.end < t.begin) {
      throw new SafetensorsError('BAD_OFFSETS', `tensor '${t.name}': data_offsets [${t.begin}, ${t.end}] ${t.begin < cursor ? 'overlap the previous tensor' : t.end < t.begin ? 'are reversed' : `leave a gap after byte ${cursor}`}`);
    }
    const numel = t.shape.reduce((a, d) => a * BigInt(d), 1n);
    const bytes = numel * BigInt(DTYPE_SIZE[t.dtype]);
    if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new SafetensorsError('OVERFLOW', `tensor '${t.name}': shape [${t.shape}] overflows`);
    if (BigInt(t.end - t.begin) !== bytes) {
      throw new SafetensorsError('SIZE_MISMATCH', `tensor '${t.name}': shape [${t.shape}] × ${t.dtype} is ${bytes} bytes but data_offsets span ${t.end - t.begin}`);
    }
    cursor = t.end;
    tensors.push({ name: t.name, dtype: t.dtype, shape: t.shape, numel: Number(numel), begin: t.begin, end: t.end });
  }
  if (cursor < dataLength) throw new SafetensorsError('TRAILING_BYTES', `${dataLength - cursor} bytes after the last tensor are not described by the header`);
  if (cursor > dataLength) throw new SafetensorsError('INCOMPLETE_DATA', `the header describes ${cursor} data bytes but the file holds ${dataLength}`);
  return { metadata, tensors };
}

export async function readHeader(src: ByteSource): Promise<SafetensorsHeader> {
  if (src.size < 8) throw new SafetensorsError('FILE_TOO_SMALL', `the file has ${src.size} bytes; a safetensors file starts with an 8-byte header length`);
  const lenBytes = await src.read(0, 8);
  const n = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError('HEADER_TOO_LARGE', `the header claims ${n} bytes (at most ${MAX_HEADER_BYTES} are allowed)`);
  const headerLength = Number(n);
  if (8 + headerLength > src.size) throw new SafetensorsError('HEADER_PAST_END', `the header claims ${headerLength} bytes but the file has only ${src.size - 8} after the length`);
  const headerBytes = await src.read(8, headerLength);
  const dataStart = 8 + headerLength;
  const { metadata, tensors } = parseHeader(headerBytes, src.size - dataStart);
  return {
    metadata,
    tensors: tensors.map((t) => ({ ...t, begin: t.begin + dataStart, end: t.end + dataStart })),
    headerLength,
    dataStart,
    fileSize: src.size,
  };
}

function f16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * Math.pow(2, e - 15) * (1 + f / 1024);
}

/** Decodes little-endian bytes of a dtype into numbers (float64 for F64, float32 otherwise; ints exact up to 2^53). */
export function decode(bytes: Uint8Array, dtype: Dtype): Float64Array | Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / DTYPE_SIZE[dtype];
  switch (dtype) {
    case 'F64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    }
    case 'F32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16ToNumber(dv.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const out = new Float32Array(n);
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < n; i++) {
        tmp.setUint32(0, dv.getUint16(2 * i, true) << 16);
        out[i] = tmp.getFloat32(0);
      }
      return out;
    }
    case 'I64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(dv.getBigInt64(8 * i, true));
      return out;
    }
    case 'I32': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    }
    case 'I16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(2 * i, true);
      return out;
    }
    case 'I8': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      return out;
    }
    case 'U8':
    case 'BOOL': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i];
      return out;
    }
  }
}

/** Reads and decodes one tensor (only its bytes). */
export async function readTensor(src: ByteSource, info: TensorInfo): Promise<Float64Array | Float32Array> {
  return decode(await src.read(info.begin, info.end - info.begin), info.dtype);
}

/** Whole-buffer convenience: header + every tensor. */
export async function readAll(bytes: Uint8Array): Promise<{ header: SafetensorsHeader; tensors: Map<string, Float64Array | Float32Array> }> {
  const src = bufferSource(bytes);
  const header = await readHeader(src);
  const tensors = new Map<string, Float64Array | Float32Array>();
  for (const t of header.tensors) tensors.set(t.name, await readTensor(src, t));
  return { header, tensors };
}
