#!/usr/bin/env python3
"""Writes test/fixtures/all-dtypes.safetensors (one small tensor of every dtype the reader accepts, with zeros,
NaN and ±Inf where the dtype has them) and test/fixtures/all-dtypes.expected.json: numpy's statistics of each
tensor, the reference the unit test compares `inspect --json` with.

The FP8 formats are decoded here from their bit fields with numpy (numpy has no FP8 dtypes): e4m3 "fn" (bias 7,
no infinities, S.1111.111 = NaN), e5m2 (bias 15, IEEE-like), e8m0 (2^(e-127), 0xFF = NaN). C64's statistics are
those of the magnitudes |z| in float64. Run: /usr/bin/python3 scripts/gen-dtype-fixtures.py"""
import json, os, struct
import numpy as np

rng = np.random.default_rng(20240611)
N = 999  # not a multiple of anything in particular


def floats(scale=1.0):
    x = rng.normal(0, scale, N)
    x[:7] = 0.0
    return x


def e4m3_decode(b):
    b = b.astype(np.int64)
    s = np.where(b & 0x80, -1.0, 1.0)
    e = (b >> 3) & 0xF
    m = b & 7
    v = np.where(e == 0, s * (m / 8.0) * 2.0 ** -6, s * (1 + m / 8.0) * 2.0 ** (e - 7.0))
    return np.where((e == 15) & (m == 7), np.nan, v)


def e5m2_decode(b):
    b = b.astype(np.int64)
    s = np.where(b & 0x80, -1.0, 1.0)
    e = (b >> 2) & 0x1F
    m = b & 3
    v = np.where(e == 0, s * (m / 4.0) * 2.0 ** -14, s * (1 + m / 4.0) * 2.0 ** (e - 15.0))
    return np.where(e == 31, np.where(m == 0, s * np.inf, np.nan), v)


def e8m0_decode(b):
    b = b.astype(np.int64)
    return np.where(b == 0xFF, np.nan, 2.0 ** (b - 127.0))


tensors = []  # (name, dtype, shape, bytes, float64 values for the statistics)


def add(name, dtype, raw, values, shape=None):
    tensors.append((name, dtype, list(shape or [raw.size]), raw.tobytes(), np.asarray(values, dtype=np.float64).ravel()))


x = floats(3.0)
x[7], x[8], x[9] = np.nan, np.inf, -np.inf
add("f64", "F64", x.astype("<f8"), x)
add("f32", "F32", x.astype("<f4"), x.astype(np.float32))
add("f16", "F16", x.astype("<f2"), x.astype(np.float16))
bf = (x.astype(np.float32).view(np.uint32) >> 16).astype("<u2")  # truncation to bfloat16
add("bf16", "BF16", bf, (bf.astype(np.uint32) << 16).view(np.float32))
codes = rng.integers(0, 256, N).astype(np.uint8)
codes[:5] = 0
codes[5] = 0x7F  # e4m3 NaN, e5m2 NaN
codes[6] = 0x7C  # e5m2 +Inf
codes[7] = 0xFF  # e8m0 NaN
add("f8_e4m3", "F8_E4M3", codes, e4m3_decode(codes), shape=[27, 37])
add("f8_e5m2", "F8_E5M2", codes, e5m2_decode(codes))
add("f8_e8m0", "F8_E8M0", codes, e8m0_decode(codes))
for name, dt, lo, hi in [("i64", "<i8", -2**62, 2**62), ("i32", "<i4", -2**31, 2**31 - 1), ("i16", "<i2", -2**15, 2**15 - 1), ("i8", "<i1", -128, 127),
                         ("u64", "<u8", 0, 2**64 - 1), ("u32", "<u4", 0, 2**32 - 1), ("u16", "<u2", 0, 2**16 - 1), ("u8", "<u1", 0, 255)]:
    v = rng.integers(lo, hi, N, dtype=np.dtype(dt).newbyteorder("=")).astype(dt)
    v[:3] = 0
    add(name, name.upper(), v, v.astype(np.float64))
bools = (rng.random(N) < 0.3).astype(np.uint8)
add("bool", "BOOL", bools, bools)
c = (rng.normal(0, 2, N) + 1j * rng.normal(0, 2, N)).astype("<c8")
c[:4] = 0
c[4] = complex(np.nan, 1)
c[5] = complex(np.inf, 0)
add("c64", "C64", c, np.abs(c.astype(np.complex128)), shape=[9, 111])


def stats(v):
    fin = v[np.isfinite(v)]
    return {
        "numel": int(v.size),
        "mean": float(np.mean(fin)) if fin.size else None,
        "std": float(np.std(fin)) if fin.size else None,
        "min": float(np.min(fin)) if fin.size else None,
        "max": float(np.max(fin)) if fin.size else None,
        "l2": float(np.sqrt(np.sum(fin * fin))),
        "zeroFraction": float(np.count_nonzero(v == 0) / v.size),
        "nanCount": int(np.count_nonzero(np.isnan(v))),
        "infCount": int(np.count_nonzero(np.isinf(v))),
    }


header, offset, data = {"__metadata__": None}, 0, b""
for name, dtype, shape, raw, _ in tensors:
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
    offset += len(raw)
    data += raw
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
out = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures")
with open(os.path.join(out, "all-dtypes.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)
with open(os.path.join(out, "all-dtypes.expected.json"), "w") as f:
    json.dump({"numpy": np.__version__, "tensors": {name: {"dtype": dtype, "shape": shape, **stats(v)} for name, dtype, shape, _, v in tensors}}, f, indent=1)
    f.write("\n")
print("wrote", os.path.normpath(out), len(tensors), "tensors")
