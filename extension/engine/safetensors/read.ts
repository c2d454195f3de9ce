/**
 * safetensors reader. Reads the 8-byte little-endian header length and the JSON header without touching the
 * data, validates the file the way the reference implementation does (huggingface/safetensors, tensor.rs
 * `validate`), and decodes one tensor at a time by reading only its byte range.
 *
 * Checks, each a SafetensorsError with a code: header length ≤ 100 MB and inside the file; header valid UTF-8
 * and a JSON object (leading/trailing whitespace allowed); `__metadata__` a map of strings; every tensor has a
 * known dtype, a shape of non-negative safe integers, and data_offsets [begin, end]; sorted by offset the tensors
 * are contiguous from 0 without overlap; numel × dtype size equals end − begin (no overflow: computed with
 * BigInt where it could pass 2^53); the last end equals the data section's length exactly (no missing bytes, no trailing bytes).
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
  /** `into`: a buffer of at least `length` bytes to fill and return a view of (streaming reuses one buffer). */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read: async (offset, length, into) => {
      if (!into) return bytes.subarray(offset, offset + length);
      into.set(bytes.subarray(offset, offset + length));
      return into.subarray(0, length);
    },
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
    async read(offset, length, into) {
      const buf = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
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

/** A tensor entry of the header before validation (numel not yet set, offsets relative to the data section). */
type RawEntry = TensorInfo;

/** The header's entries through JSON.parse, each checked as it is met (the path that names every problem). */
export function entriesByJson(headerBytes: Uint8Array): { metadata: Record<string, string> | null; raw: RawEntry[] } {
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
  const raw: RawEntry[] = [];
  for (const name in json) {
    const info = json[name];
    if (name === '__metadata__') {
      // The reference implementation writes and accepts `"__metadata__": null` (an Option).
      if (info === null) continue;
      if (!isObj(info) || !Object.values(info).every((v) => typeof v === 'string')) {
        throw new SafetensorsError('BAD_METADATA', '__metadata__ must be a map of strings to strings');
      }
      metadata = info as Record<string, string>;
      continue;
    }
    if (!isObj(info)) throw new SafetensorsError('BAD_TENSOR_INFO', `tensor '${name}': its entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_SIZE, dtype)) {
      throw new SafetensorsError('UNKNOWN_DTYPE', `tensor '${name}': unsupported dtype ${JSON.stringify(dtype)} (supported: ${DTYPES.join(', ')})`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError('BAD_SHAPE', `tensor '${name}': shape must be a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isInteger(o) && o >= 0)) {
      throw new SafetensorsError('BAD_OFFSETS', `tensor '${name}': data_offsets must be [begin, end]`);
    }
    if (!offsets.every((o) => Number.isSafeInteger(o))) throw new SafetensorsError('OVERFLOW', `tensor '${name}': data_offsets overflow`);
    raw.push({ name, dtype: dtype as Dtype, shape: shape as number[], numel: 0, begin: offsets[0], end: offsets[1] });
  }
  return { metadata, raw };
}

const WS = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** The dtypes by their name's characters packed 7 bits each (every name has at most 7). */
const DTYPE_BY_CODE = new Map<number, Dtype>(DTYPES.map((d) => [[...d].reduce((v, ch) => v * 128 + ch.charCodeAt(0), 0), d]));
const KEY_DTYPE = [...'dtype'].map((c) => c.charCodeAt(0));
const KEY_SHAPE = [...'shape'].map((c) => c.charCodeAt(0));
const KEY_OFFSETS = [...'data_offsets'].map((c) => c.charCodeAt(0));
const KEY_METADATA = [...'__metadata__'].map((c) => c.charCodeAt(0));

/** A cursor over the header's bytes for `entriesByScan` (fields, not closure variables: this is the hot loop). */
class Scan {
  i = 0;
  /** The end (the closing quote) of the last span(). */
  end = 0;
  /** A 53-bit hash of the last span()'s bytes (two 32-bit multiplicative hashes). */
  hash = 0;
  private lastCode = -1;
  private lastDtype: Dtype | null = null;
  private readonly dims: number[] = [];
  private lastShape: number[] = [];
  readonly n: number;
  private readonly text: Buffer;
  constructor(readonly b: Uint8Array) {
    this.n = b.length;
    this.text = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }
  ws(): void {
    const { b, n } = this;
    let i = this.i;
    while (i < n && WS(b[i])) i++;
    this.i = i;
  }
  /** Whitespace, then `c`: consumed (true) or not there (false). */
  eat(c: number): boolean {
    this.ws();
    if (this.b[this.i] !== c) return false;
    this.i++;
    return true;
  }
  /** A string of printable ASCII without escapes: its [start, end) (the quotes consumed), or start −1. */
  span(): number {
    this.ws();
    const { b, n } = this;
    if (b[this.i] !== 0x22) return -1;
    let i = this.i + 1;
    const s = i;
    let h1 = 0x811c9dc5;
    let h2 = 0x9747b28c;
    for (; i < n; i++) {
      const c = b[i];
      if (c === 0x22) break;
      if (c < 0x20 || c > 0x7e || c === 0x5c) return -1;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 + c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    if (i >= n) return -1;
    this.hash = (h1 >>> 0) * 2 ** 21 + (h2 >>> 11);
    this.end = i;
    this.i = i + 1;
    return s;
  }
  is(s: number, key: number[]): boolean {
    const e = this.end;
    if (e - s !== key.length) return false;
    for (let k = 0; k < key.length; k++) if (this.b[s + k] !== key[k]) return false;
    return true;
  }
  string(s: number): string {
    return this.text.toString('latin1', s, this.end);
  }
  /** A known dtype's name, or null. */
  dtype(): Dtype | null {
    const s = this.span();
    const e = this.end;
    if (s < 0 || e - s > 7) return null;
    let v = 0;
    for (let k = s; k < e; k++) v = v * 128 + this.b[k];
    // Neighbouring tensors mostly share a dtype.
    if (v !== this.lastCode) {
      this.lastCode = v;
      this.lastDtype = DTYPE_BY_CODE.get(v) ?? null;
    }
    return this.lastDtype;
  }
  /** A non-negative integer without sign, fraction, exponent or leading zero, at most 15 digits; −1 otherwise. */
  int(): number {
    this.ws();
    const { b, n } = this;
    let i = this.i;
    const s = i;
    let v = 0;
    for (; i < n && b[i] >= 0x30 && b[i] <= 0x39; i++) v = v * 10 + (b[i] - 0x30);
    this.i = i;
    const len = i - s;
    return len === 0 || len > 15 || (len > 1 && b[s] === 0x30) ? -1 : v;
  }
  /** Past one JSON value of any kind (checked afterwards by JSON.parse); false if the text ends first. */
  skipValue(): boolean {
    const { b, n } = this;
    let depth = 0;
    do {
      this.ws();
      let i = this.i;
      if (i >= n) return false;
      const c = b[i];
      if (c === 0x22) {
        for (i++; i < n && b[i] !== 0x22; i++) if (b[i] === 0x5c) i++;
        if (i >= n) return false;
        i++;
      } else if (c === 0x7b || c === 0x5b) {
        depth++;
        i++;
      } else if (c === 0x7d || c === 0x5d) {
        if (--depth < 0) return false;
        i++;
      } else if (c === 0x2c || c === 0x3a) {
        if (depth === 0) return false;
        i++;
      } else {
        while (i < n && !WS(b[i]) && b[i] !== 0x2c && b[i] !== 0x3a && b[i] !== 0x7d && b[i] !== 0x5d && b[i] !== 0x7b && b[i] !== 0x5b && b[i] !== 0x22) i++;
      }
      this.i = i;
    } while (depth > 0);
    return true;
  }
  /** `{"dtype": …, "shape": […], "data_offsets": [b, e]}` in any order, nothing else; null otherwise. */
  entry(name: string): RawEntry | null {
    if (!this.eat(0x7b)) return null;
    let dtype: Dtype | null = null;
    let shape: number[] | null = null;
    let begin = -1;
    let end = -1;
    for (let k = 0; k < 3; k++) {
      const s = this.span();
      if (s < 0 || !this.eat(0x3a)) return null;
      if (dtype === null && this.is(s, KEY_DTYPE)) {
        if ((dtype = this.dtype()) === null) return null;
      } else if (shape === null && this.is(s, KEY_SHAPE)) {
        if (!this.eat(0x5b)) return null;
        // Collected in a scratch list, then copied at its length (a pushed-to array keeps room for 17).
        const dims = this.dims;
        dims.length = 0;
        if (!this.eat(0x5d)) {
          for (;;) {
            const d = this.int();
            if (d < 0) return null;
            dims.push(d);
            if (this.eat(0x5d)) break;
            if (!this.eat(0x2c)) return null;
          }
        }
        // Neighbouring tensors often share a shape: the previous entry's list is reused (nothing mutates a shape).
        const prev = this.lastShape;
        shape = prev.length === dims.length && dims.every((d, j) => d === prev[j]) ? prev : (this.lastShape = dims.slice());
      } else if (begin < 0 && this.is(s, KEY_OFFSETS)) {
        if (!this.eat(0x5b) || (begin = this.int()) < 0 || !this.eat(0x2c) || (end = this.int()) < 0 || !this.eat(0x5d)) return null;
      } else return null;
      if (!this.eat(k < 2 ? 0x2c : 0x7d)) return null;
    }
    return { name, dtype: dtype!, shape: shape!, numel: 0, begin, end };
  }
}

/**
 * The header's entries read straight off its bytes, for the headers writers produce: ASCII names without
 * escapes, entries of exactly `dtype` (a known one), `shape` and `data_offsets` with plain non-negative
 * integers, `__metadata__` once (read with JSON.parse). It builds nothing but the entries — JSON.parse of a
 * header of 10⁶ tensors built a 500 MB object tree and took seconds — and returns null at the first thing
 * outside that subset (an escape, a non-ASCII name, an unknown key or dtype, a negative or fractional number,
 * a repeated or all-digit name, malformed JSON), so that `entriesByJson` reads the file and names any
 * problem: either way the entries are the same.
 */
export function entriesByScan(bytes: Uint8Array): { metadata: Record<string, string> | null; raw: RawEntry[] } | null {
  const sc = new Scan(bytes);
  if (!sc.eat(0x7b)) return null;
  let metadata: Record<string, string> | null = null;
  let sawMetadata = false;
  const raw: RawEntry[] = [];
  // A repeated name (JSON.parse keeps the last) is found by sorting the names' 53-bit hashes: equal neighbours
  // send the header to the other path (a Set of 10⁶ names took over a second).
  let hashes = new Float64Array(1024);
  if (!sc.eat(0x7d)) {
    for (;;) {
      const s = sc.span();
      if (s < 0 || !sc.eat(0x3a)) return null;
      if (sc.is(s, KEY_METADATA)) {
        if (sawMetadata) return null;
        sawMetadata = true;
        sc.ws();
        const from = sc.i;
        if (!sc.skipValue()) return null;
        let value: unknown;
        try {
          value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(from, sc.i)));
        } catch {
          return null;
        }
        if (value !== null && (!isObj(value) || !Object.values(value).every((v) => typeof v === 'string'))) return null;
        metadata = value as Record<string, string> | null;
      } else {
        const name = sc.string(s);
        // An all-digit name is an array index, which JSON.parse's objects enumerate first: the other path keeps that order.
        const c = bytes[s];
        if (c >= 0x30 && c <= 0x39 && /^\d+$/.test(name)) return null;
        if (raw.length === hashes.length) {
          const grown = new Float64Array(2 * hashes.length);
          grown.set(hashes);
          hashes = grown;
        }
        hashes[raw.length] = sc.hash;
        const e = sc.entry(name);
        if (e === null) return null;
        raw.push(e);
      }
      if (sc.eat(0x7d)) break;
      if (!sc.eat(0x2c)) return null;
    }
  }
  sc.ws();
  if (sc.i !== sc.n) return null;
  const sorted = hashes.subarray(0, raw.length).sort();
  for (let k = 1; k < sorted.length; k++) if (sorted[k] === sorted[k - 1]) return null;
  return { metadata, raw };
}

/** Parses and validates the header from its bytes; `dataLength` = file size − 8 − header length. */
export function parseHeader(headerBytes: Uint8Array, dataLength: number): Pick<SafetensorsHeader, 'metadata' | 'tensors'> {
  // Plain loops and Number arithmetic (BigInt only where a product could pass 2^53): a header of 10⁶ tensors
  // is parsed in well under a second.
  const { metadata, raw } = entriesByScan(headerBytes) ?? entriesByJson(headerBytes);
  let sorted = true;
  for (let i = 1; i < raw.length && sorted; i++) sorted = raw[i - 1].begin < raw[i].begin || (raw[i - 1].begin === raw[i].begin && raw[i - 1].end <= raw[i].end);
  if (!sorted) raw.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of raw) {
    if (t.begin !== cursor || t.end < t.begin) {
      throw new SafetensorsError('BAD_OFFSETS', `tensor '${t.name}': data_offsets [${t.begin}, ${t.end}] ${t.begin < cursor ? 'overlap the previous tensor' : t.end < t.begin ? 'are reversed' : `leave a gap after byte ${cursor}`}`);
    }
    let numel = 1;
    for (const d of t.shape) numel *= d;
    const size = DTYPE_SIZE[t.dtype];
    if (!(numel * size <= Number.MAX_SAFE_INTEGER)) {
      // Exact check of the overflow (the float product may have rounded).
      const big = t.shape.reduce((a, d) => a * BigInt(d), 1n) * BigInt(size);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new SafetensorsError('OVERFLOW', `tensor '${t.name}': shape [${t.shape}] overflows`);
    }
    const bytes = numel * size;
    if (t.end - t.begin !== bytes) {
      throw new SafetensorsError('SIZE_MISMATCH', `tensor '${t.name}': shape [${t.shape}] × ${t.dtype} is ${bytes} bytes but data_offsets span ${t.end - t.begin}`);
    }
    cursor = t.end;
    t.numel = numel;
  }
  if (cursor < dataLength) throw new SafetensorsError('TRAILING_BYTES', `${dataLength - cursor} bytes after the last tensor are not described by the header`);
  if (cursor > dataLength) throw new SafetensorsError('INCOMPLETE_DATA', `the header describes ${cursor} data bytes but the file holds ${dataLength}`);
  return { metadata, tensors: raw };
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
    tensors: tensors.map((t) => ((t.begin += dataStart), (t.end += dataStart), t)),
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

/** A lookup table of every code of a small float format. */
function table(bits: number, value: (code: number) => number): Float32Array {
  const t = new Float32Array(1 << bits);
  for (let c = 0; c < t.length; c++) t[c] = value(c);
  return t;
}

/** float8 e4m3 "fn" (OCP FP8, PyTorch float8_e4m3fn): bias 7, no infinities, S.1111.111 is NaN, max 448. */
export function f8e4m3ToNumber(c: number): number {
  const s = c & 0x80 ? -1 : 1;
  const e = (c >> 3) & 0xf;
  const m = c & 7;
  if (e === 15 && m === 7) return NaN;
  return e === 0 ? s * (m / 8) * 2 ** -6 : s * (1 + m / 8) * 2 ** (e - 7);
}

/** float8 e5m2 (OCP FP8, PyTorch float8_e5m2): IEEE-like, bias 15, with infinities and NaN. */
export function f8e5m2ToNumber(c: number): number {
  const s = c & 0x80 ? -1 : 1;
  const e = (c >> 2) & 0x1f;
  const m = c & 3;
  if (e === 31) return m ? NaN : s * Infinity;
  return e === 0 ? s * (m / 4) * 2 ** -14 : s * (1 + m / 4) * 2 ** (e - 15);
}

/** float8 e8m0 (OCP MX scale, PyTorch float8_e8m0fnu): an unsigned power of two 2^(c − 127); 0xFF is NaN. */
export function f8e8m0ToNumber(c: number): number {
  return c === 0xff ? NaN : 2 ** (c - 127);
}

let F16: Float32Array | null = null;
let E4M3: Float32Array | null = null;
let E5M2: Float32Array | null = null;
let E8M0: Float64Array | null = null;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The typed array a dtype decodes into: float64 where float32 would lose values (F64, 32- and 64-bit
 * integers, C64 magnitudes, E8M0's range), float32 otherwise.
 */
export function decodesToFloat64(dtype: Dtype): boolean {
  return dtype === 'F64' || dtype === 'I64' || dtype === 'I32' || dtype === 'U64' || dtype === 'U32' || dtype === 'C64' || dtype === 'F8_E8M0';
}

/**
 * Decodes little-endian bytes of a dtype into numbers (integers exact up to 2^53). C64 decodes to each
 * element's magnitude |re + i·im| (NaN if a part is NaN, Infinity if a part is infinite), so the statistics
 * of a complex tensor are those of its magnitudes: mean |z|, std of |z|, min/max |z|, and l2 = √Σ|z|², the
 * Frobenius norm; a zero is z = 0.
 */
export function decode(bytes: Uint8Array, dtype: Dtype, into?: Float64Array | Float32Array): Float64Array | Float32Array {
  const size = DTYPE_SIZE[dtype];
  const n = bytes.byteLength / size;
  const wide = decodesToFloat64(dtype);
  // `into`: a reusable output of the right kind and at least n elements.
  const out = into && into.length >= n && into instanceof Float64Array === wide ? into.subarray(0, n) : wide ? new Float64Array(n) : new Float32Array(n);
  // Typed views need an aligned start; a misaligned slice is copied once.
  const b = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const view = <T>(C: new (buf: ArrayBufferLike, off: number, len: number) => T, per = 1) => new C(b.buffer, b.byteOffset, n * per);
  if (!LITTLE_ENDIAN && size > 1) return decodeDataView(b, dtype, out);
  switch (dtype) {
    case 'F64':
      out.set(view(Float64Array));
      break;
    case 'F32':
      out.set(view(Float32Array));
      break;
    case 'F16': {
      const t = (F16 ??= table(16, f16ToNumber));
      const u = view(Uint16Array);
      for (let i = 0; i < n; i++) out[i] = t[u[i]];
      break;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const u = view(Uint16Array);
      const o = new Uint32Array(out.buffer, out.byteOffset, n);
      for (let i = 0; i < n; i++) o[i] = u[i] << 16;
      break;
    }
    case 'F8_E4M3':
    case 'F8_E5M2': {
      const t = dtype === 'F8_E4M3' ? (E4M3 ??= table(8, f8e4m3ToNumber)) : (E5M2 ??= table(8, f8e5m2ToNumber));
      for (let i = 0; i < n; i++) out[i] = t[b[i]];
      break;
    }
    case 'F8_E8M0': {
      const t = (E8M0 ??= Float64Array.from({ length: 256 }, (_, c) => f8e8m0ToNumber(c)));
      for (let i = 0; i < n; i++) out[i] = t[b[i]];
      break;
    }
    case 'I64': {
      const v = view(BigInt64Array);
      for (let i = 0; i < n; i++) out[i] = Number(v[i]);
      break;
    }
    case 'U64': {
      const v = view(BigUint64Array);
      for (let i = 0; i < n; i++) out[i] = Number(v[i]);
      break;
    }
    case 'I32':
      out.set(view(Int32Array));
      break;
    case 'U32':
      out.set(view(Uint32Array));
      break;
    case 'I16':
      out.set(view(Int16Array));
      break;
    case 'U16':
      out.set(view(Uint16Array));
      break;
    case 'I8':
      out.set(view(Int8Array));
      break;
    case 'U8':
    case 'BOOL':
      out.set(b);
      break;
    case 'C64': {
      const v = view(Float32Array, 2);
      for (let i = 0; i < n; i++) out[i] = Math.hypot(v[2 * i], v[2 * i + 1]);
      break;
    }
  }
  return out;
}

/** The same decoding on a big-endian machine, element by element. */
function decodeDataView(bytes: Uint8Array, dtype: Dtype, out: Float64Array | Float32Array): Float64Array | Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = out.length;
  const tmp = new DataView(new ArrayBuffer(4));
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'F64': out[i] = dv.getFloat64(8 * i, true); break;
      case 'F32': out[i] = dv.getFloat32(4 * i, true); break;
      case 'F16': out[i] = f16ToNumber(dv.getUint16(2 * i, true)); break;
      case 'BF16': tmp.setUint32(0, dv.getUint16(2 * i, true) << 16); out[i] = tmp.getFloat32(0); break;
      case 'I64': out[i] = Number(dv.getBigInt64(8 * i, true)); break;
      case 'U64': out[i] = Number(dv.getBigUint64(8 * i, true)); break;
      case 'I32': out[i] = dv.getInt32(4 * i, true); break;
      case 'U32': out[i] = dv.getUint32(4 * i, true); break;
      case 'I16': out[i] = dv.getInt16(2 * i, true); break;
      case 'U16': out[i] = dv.getUint16(2 * i, true); break;
      case 'C64': out[i] = Math.hypot(dv.getFloat32(8 * i, true), dv.getFloat32(8 * i + 4, true)); break;
      default: throw new Error(`decodeDataView: ${dtype} is one byte per element`);
    }
  }
  return out;
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
