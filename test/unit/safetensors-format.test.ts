import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, readAll, readHeader, bufferSource, decode, entriesByJson, entriesByScan, SafetensorsError, type SafetensorsErrorCode } from '../../extension/engine/safetensors';
import { inspectCommand } from '../../extension/cli/inspect';
import { symmetricEigenvalues } from '../../extension/engine/probes/spectra';

/** A file from a header object (JSON text, optionally padded) and raw data bytes — independent of our writer. */
function handMade(header: unknown, data: Uint8Array | number[] = [], opts: { headerText?: string; lengthOverride?: bigint } = {}): Uint8Array {
  const text = opts.headerText ?? JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.lengthOverride ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(Uint8Array.from(data), 8 + h.length);
  return out;
}

async function fails(bytes: Uint8Array, code: SafetensorsErrorCode, pattern?: RegExp) {
  await assert.rejects(readAll(bytes), (err: unknown) => {
    assert.ok(err instanceof SafetensorsError, `expected a SafetensorsError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

test('write → read round trip keeps names, dtypes, shapes, values and metadata', async () => {
  const a = Float32Array.from([1.5, -2, 0, 3.25, 1e-8, -7]);
  const b = Float64Array.from([Math.PI, -Math.E]);
  const c = Int32Array.from([-5, 7, 2147483647]);
  const bytes = encodeSafetensors(
    [
      { name: 'layers.0.kernel', dtype: 'F32', shape: [2, 3], data: a },
      { name: 'x', dtype: 'F64', shape: [2], data: b },
      { name: 'ints', dtype: 'I32', shape: [3], data: c },
      { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    ],
    { epoch: '12', format: 'training-dynamics/1' },
  );
  assert.equal((new DataView(bytes.buffer).getUint32(0, true)) % 8, 0, 'header padded to 8 bytes');
  const { header, tensors } = await readAll(bytes);
  assert.deepEqual(header.metadata, { epoch: '12', format: 'training-dynamics/1' });
  assert.deepEqual(header.tensors.map((t) => [t.name, t.dtype, t.shape, t.numel]), [
    ['layers.0.kernel', 'F32', [2, 3], 6], ['x', 'F64', [2], 2], ['ints', 'I32', [3], 3], ['empty', 'F32', [0, 4], 0],
  ]);
  assert.deepEqual(Array.from(tensors.get('layers.0.kernel')!), Array.from(a));
  assert.deepEqual(Array.from(tensors.get('x')!), Array.from(b));
  assert.deepEqual(Array.from(tensors.get('ints')!), Array.from(c));
  assert.equal(tensors.get('empty')!.length, 0);
});

test('every dtype decodes, including F16/BF16 special values', () => {
  const bytes = (arr: number[], bytesPer: number, write: (dv: DataView, i: number, v: number) => void) => {
    const u = new Uint8Array(arr.length * bytesPer);
    const dv = new DataView(u.buffer);
    arr.forEach((v, i) => write(dv, i * bytesPer, v));
    return u;
  };
  // F16: 1.0 = 0x3c00, -2 = 0xc000, 65504 = 0x7bff, smallest subnormal 0x0001 = 2^-24, +inf 0x7c00, NaN 0x7e00.
  const f16 = Array.from(decode(bytes([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x7e00], 2, (d, o, v) => d.setUint16(o, v, true)), 'F16'));
  assert.deepEqual(f16.slice(0, 4), [1, -2, 65504, Math.pow(2, -24)]);
  assert.equal(f16[4], Infinity);
  assert.ok(Number.isNaN(f16[5]));
  // BF16: 1.0 = 0x3f80, -0.5 = 0xbf00, 3.0e38-ish 0x7f7f, -inf 0xff80.
  const bf = Array.from(decode(bytes([0x3f80, 0xbf00, 0xff80], 2, (d, o, v) => d.setUint16(o, v, true)), 'BF16'));
  assert.deepEqual(bf, [1, -0.5, -Infinity]);
  assert.deepEqual(Array.from(decode(bytes([-3, 2 ** 40], 8, (d, o, v) => d.setBigInt64(o, BigInt(v), true)), 'I64')), [-3, 2 ** 40]);
  assert.deepEqual(Array.from(decode(bytes([-300, 300], 2, (d, o, v) => d.setInt16(o, v, true)), 'I16')), [-300, 300]);
  assert.deepEqual(Array.from(decode(Uint8Array.from([0xff, 0x01]), 'I8')), [-1, 1]);
  assert.deepEqual(Array.from(decode(Uint8Array.from([0xff, 0x01]), 'U8')), [255, 1]);
  assert.deepEqual(Array.from(decode(Uint8Array.from([0, 1, 1]), 'BOOL')), [0, 1, 1]);
});

test('validation: every rule of the reference implementation, on hand-made bytes', async () => {
  const t = (dtype: string, shape: number[], offsets: number[]) => ({ dtype, shape, data_offsets: offsets });
  // A good file for reference.
  await readAll(handMade({ a: t('F32', [2], [0, 8]) }, new Uint8Array(8)));
  await fails(Uint8Array.from([1, 2, 3]), 'FILE_TOO_SMALL');
  await fails(handMade({}, [], { lengthOverride: 100_000_001n }), 'HEADER_TOO_LARGE');
  await fails(handMade({ a: t('F32', [2], [0, 8]) }, new Uint8Array(8), { lengthOverride: 10_000n }), 'HEADER_PAST_END');
  // Non-UTF-8 header bytes.
  const bad = handMade({}, [], { headerText: '{"a":1}' });
  bad[10] = 0xff;
  await fails(bad, 'HEADER_NOT_UTF8');
  await fails(handMade(null, [], { headerText: '{"a": ' }), 'HEADER_NOT_JSON');
  await fails(handMade([1, 2]), 'HEADER_NOT_OBJECT');
  await fails(handMade({ __metadata__: { a: 1 } }), 'BAD_METADATA');
  await fails(handMade({ __metadata__: ['x'] }), 'BAD_METADATA');
  await fails(handMade({ a: t('Q4_K', [1], [0, 1]) }, [0]), 'UNKNOWN_DTYPE');
  await fails(handMade({ a: t('F32', [-1], [0, 4]) }, new Uint8Array(4)), 'BAD_SHAPE');
  await fails(handMade({ a: { dtype: 'F32', shape: [1] } }, new Uint8Array(4)), 'BAD_OFFSETS');
  // Shape × dtype size ≠ span.
  await fails(handMade({ a: t('F32', [3], [0, 8]) }, new Uint8Array(8)), 'SIZE_MISMATCH');
  // Overflowing shape (product far beyond 2^53).
  await fails(handMade({ a: t('F32', [2 ** 31, 2 ** 31, 2 ** 31], [0, 8]) }, new Uint8Array(8)), 'OVERFLOW');
  // Overlap and gap between tensors.
  await fails(handMade({ a: t('F32', [2], [0, 8]), b: t('F32', [1], [4, 8]) }, new Uint8Array(8)), 'BAD_OFFSETS', /overlap/);
  await fails(handMade({ a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) }, new Uint8Array(12)), 'BAD_OFFSETS', /gap/);
  // Missing data bytes: the header describes 8 bytes, the file holds 4.
  await fails(handMade({ a: t('F32', [2], [0, 8]) }, new Uint8Array(4)), 'INCOMPLETE_DATA');
  // Polyglot / trailing bytes after the described data.
  await fails(handMade({ a: t('F32', [1], [0, 4]) }, new Uint8Array(4 + 13)), 'TRAILING_BYTES');
});

test('accepted edge cases: whitespace-padded headers, zero-sized tensors, empty files, metadata only', async () => {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setFloat32(0, 2.5, true);
  const padded = handMade(null, data, { headerText: '   \n{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}        ' });
  const { tensors } = await readAll(padded);
  assert.equal(tensors.get('w')![0], 2.5);
  const zero = await readAll(handMade({ z: { dtype: 'F64', shape: [0], data_offsets: [0, 0] }, w: { dtype: 'U8', shape: [2], data_offsets: [0, 2] } }, [7, 9]));
  assert.equal(zero.tensors.get('z')!.length, 0);
  assert.deepEqual(Array.from(zero.tensors.get('w')!), [7, 9]);
  assert.equal((await readAll(handMade({}))).header.tensors.length, 0);
  assert.deepEqual((await readAll(handMade({ __metadata__: { k: 'v' } }))).header.metadata, { k: 'v' });
});

test('the header is read without reading the data section', async () => {
  const big = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [1000, 1000], data: new Float32Array(1e6) }]);
  const src = bufferSource(big);
  let read = 0;
  const counting = { ...src, read: async (o: number, l: number) => { read += l; return src.read(o, l); } };
  const h = await readHeader(counting);
  assert.equal(h.tensors[0].numel, 1e6);
  assert.ok(read < 200, `read ${read} bytes for the header`);
});

test('inspect --json: statistics and spectrum computed another way; bad files exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'td-inspect-'));
  // W = diag-like 3×2 with known singular values: W = [[3,0],[0,1],[0,0]] ⇒ WᵀW/3 = diag(3, 1/3).
  const w = Float32Array.from([3, 0, 0, 1, 0, 0]);
  const file = join(dir, 'w.safetensors');
  writeFileSync(file, encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [3, 2], data: w }, { name: 'b', dtype: 'F32', shape: [2], data: Float32Array.from([1, 0]) }], { note: 'x' }));
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
  assert.equal(await inspectCommand([file, '--json', '--spectrum'], io), 0);
  const j = JSON.parse(out.join(''));
  assert.deepEqual(j.metadata, { note: 'x' });
  const tw = j.tensors.find((t: { name: string }) => t.name === 'w');
  assert.equal(tw.numel, 6);
  assert.ok(Math.abs(tw.mean - 4 / 6) < 1e-12);
  assert.ok(Math.abs(tw.std - Math.sqrt(10 / 6 - (4 / 6) ** 2)) < 1e-9, 'population std');
  assert.ok(Math.abs(tw.l2 - Math.sqrt(10)) < 1e-9);
  assert.equal(tw.zeroFraction, 4 / 6);
  // The histogram: 60 equal bins over [min, max], given by its range and counts.
  assert.deepEqual([tw.histogram.lo, tw.histogram.hi, tw.histogram.counts.length], [0, 3, 60]);
  assert.deepEqual([tw.histogram.counts[0], tw.histogram.counts[19], tw.histogram.counts[20], tw.histogram.counts[59]], [4, 0, 1, 1]);
  const ev = tw.spectrum.eigenvalues;
  assert.ok(Math.abs(ev[0] - 1 / 3) < 1e-9 && Math.abs(ev[1] - 3) < 1e-9, JSON.stringify(ev));
  assert.deepEqual(Object.keys(tw.spectrum.mp).sort(), ['fractionAbove', 'ksDistance', 'lambdaMinus', 'lambdaPlus', 'sigma2']);
  assert.equal(j.tensors.find((t: { name: string }) => t.name === 'b').spectrum, undefined, 'no spectrum for 1-D tensors');
  // Cross-check the eigen path on a random 2-D tensor against an independent Jacobi-free computation: the trace.
  assert.ok(Math.abs(ev[0] + ev[1] - 10 / 3) < 1e-9);
  void symmetricEigenvalues;
  // --tensor filters; an unknown tensor and an invalid file exit 2 with one line.
  out.length = 0;
  assert.equal(await inspectCommand([file, '--json', '--tensor', 'b'], io), 0);
  assert.equal(JSON.parse(out.join('')).tensors.length, 1);
  assert.equal(await inspectCommand([file, '--tensor', 'nope'], io), 2);
  const badFile = join(dir, 'bad.safetensors');
  writeFileSync(badFile, handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(3)));
  err.length = 0;
  assert.equal(await inspectCommand([badFile, '--json'], io), 2);
  assert.equal(err.join('').trim().split('\n').length, 1);
  assert.match(err.join(''), /describes 8 data bytes but the file holds 3/);
  assert.equal(await inspectCommand([join(dir, 'missing.safetensors')], io), 2);
});

test('the header scan reads what JSON.parse reads, and leaves everything else to it', () => {
  const enc = (text: string) => new TextEncoder().encode(text);
  const t = (offsets: string, dtype = '"F32"', shape = '[1]') => `{"dtype":${dtype},"shape":${shape},"data_offsets":${offsets}}`;
  // Read by the scan: the entries equal JSON.parse's, in any key order and whitespace, with any metadata.
  for (const text of [
    '{}',
    ' \n{ } \t',
    `{"__metadata__":null,"a":${t('[0,4]')},"b.c":${t('[4,12]', '"BF16"', '[2, 2]')}}`,
    `{"b": {"shape": [], "data_offsets": [0, 4], "dtype": "F32"}, "__metadata__": {"k": "v\\"q\\u00e9", "n": "[1,{}]"}}`,
    `{"a":${t('[0,0]', '"F64"', '[0,3]')},"__proto__":${t('[0,8]', '"I64"', '[1]')}}`,
  ]) {
    const scanned = entriesByScan(enc(text));
    assert.ok(scanned, text);
    assert.deepEqual(scanned, entriesByJson(enc(text)), text);
  }
  // Left to JSON.parse (null): escapes or non-ASCII in names, repeated or all-digit names, unknown keys or
  // dtypes, numbers it does not read, malformed JSON, a repeated __metadata__, anything after the object.
  for (const text of [
    `{"a\\u0062":${t('[0,4]')}}`,
    `{"é":${t('[0,4]')}}`,
    `{"a":${t('[0,4]')},"a":${t('[4,8]')}}`,
    `{"12":${t('[0,4]')}}`,
    `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`,
    `{"a":{"dtype":"F32","shape":[1]}}`,
    `{"a":${t('[0,4]', '"Q4_K"')}}`,
    `{"a":${t('[0,4]', '"F32"', '[-1]')}}`,
    `{"a":${t('[0,4.0]')}}`,
    `{"a":${t('[0,4e0]')}}`,
    `{"a":${t('[0,04]')}}`,
    `{"a":${t('[0,4]')},}`,
    `{"a":${t('[0,4]')}`,
    '{"__metadata__":null,"__metadata__":null}',
    '{"__metadata__":{"a":1}}',
    '{"__metadata__":{"a":"b",}}',
    '{} x',
    '\ufeff{}',
  ]) assert.equal(entriesByScan(enc(text)), null, text);
});
