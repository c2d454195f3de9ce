/**
 * Pure helpers of the checkpoint view (no DOM): layer-prefix grouping, natural sort, filtering and number
 * formatting of the tensor table. Unit-tested in test/unit/checkpoint-table.test.ts.
 */
import type { TensorRow } from '../../extension/shared/checkpointProtocol';

export type SortKey = 'name' | 'dtype' | 'shape' | 'params' | 'size';
export interface SortSpec {
  key: SortKey;
  dir: 1 | -1;
}

export interface Group {
  prefix: string;
  rows: TensorRow[];
  params: number;
  bytes: number;
}

/**
 * The layer a tensor belongs to: the name up to and including its first numeric component
 * (`model.layers.3.mlp.up_proj.weight` → `model.layers.3`, `layers.0.kernel` → `layers.0`), else its parent
 * (`model.embed_tokens.weight` → `model.embed_tokens`); a name without dots is top-level ('').
 */
export function layerPrefix(name: string): string {
  const parts = name.split('.');
  if (parts.length === 1) return '';
  const k = parts.findIndex((p, i) => i > 0 && i < parts.length - 1 && /^\d+$/.test(p));
  if (k >= 0) return parts.slice(0, k + 1).join('.');
  return parts.slice(0, -1).join('.');
}

/** Compares strings with digit runs as numbers (`layers.2` < `layers.10`). */
export function naturalCompare(a: string, b: string): number {
  const ra = a.split(/(\d+)/);
  const rb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    if (ra[i] === rb[i]) continue;
    const na = i % 2 === 1 ? Number(ra[i]) : NaN;
    const nb = i % 2 === 1 ? Number(rb[i]) : NaN;
    if (!Number.isNaN(na) && !Number.isNaN(nb) && na !== nb) return na - nb;
    return ra[i] < rb[i] ? -1 : 1;
  }
  return ra.length - rb.length;
}

function compareRows(a: TensorRow, b: TensorRow, key: SortKey): number {
  switch (key) {
    case 'name':
      return naturalCompare(a.name, b.name);
    case 'dtype':
      return a.dtype.localeCompare(b.dtype) || naturalCompare(a.name, b.name);
    case 'shape':
      return a.shape.length - b.shape.length || a.numel - b.numel || naturalCompare(a.name, b.name);
    case 'params':
      return a.numel - b.numel || naturalCompare(a.name, b.name);
    case 'size':
      return a.bytes - b.bytes || naturalCompare(a.name, b.name);
  }
}

/** Case-insensitive substring match on the name (all words must match, in any order). */
export function matchesFilter(name: string, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  const n = name.toLowerCase();
  return words.every((w) => n.includes(w));
}

/** Filtered rows grouped by layer prefix; groups in natural order of their prefix, rows sorted within a group. */
export function groupRows(rows: TensorRow[], filter: string, sort: SortSpec): Group[] {
  const groups = new Map<string, Group>();
  for (const r of rows) {
    if (!matchesFilter(r.name, filter)) continue;
    const prefix = layerPrefix(r.name);
    let g = groups.get(prefix);
    if (!g) groups.set(prefix, (g = { prefix, rows: [], params: 0, bytes: 0 }));
    g.rows.push(r);
    g.params += r.numel;
    g.bytes += r.bytes;
  }
  const out = [...groups.values()].sort((a, b) => naturalCompare(a.prefix, b.prefix));
  for (const g of out) g.rows.sort((a, b) => sort.dir * compareRows(a, b, sort.key));
  return out;
}

export function totals(rows: TensorRow[]): { tensors: number; params: number; bytes: number } {
  return { tensors: rows.length, params: rows.reduce((s, r) => s + r.numel, 0), bytes: rows.reduce((s, r) => s + r.bytes, 0) };
}

export function humanBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** 1234567 → "1.23M"; small counts as they are. */
export function humanCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

/** A statistic for display: 4 significant digits, exponent form for very large/small magnitudes; null → "—". */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(3);
  return Number(x.toPrecision(4)).toString();
}

export function fmtPercent(x: number | null | undefined): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  return `${(100 * x).toFixed(x !== 0 && Math.abs(x) < 0.001 ? 3 : 1)}%`;
}

export const shapeText = (shape: number[]): string => `[${shape.join(', ')}]`;

/** Names (with units) of the epoch-record fields a checkpoint's metadata carries. */
const METRIC_NAMES: Record<string, string> = {
  t: 'time since start',
  lr: 'learning rate',
  trainLoss: 'train loss',
  testLoss: 'test loss',
  trainAcc: 'train accuracy',
  testAcc: 'test accuracy',
  trainR2: 'train R²',
  testR2: 'test R²',
};

/** A duration in milliseconds as it reads: `850 ms`, `3.8 s`, `2 min 05 s`, `1 h 02 min`. */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/**
 * The "Metrics at this epoch" rows of a checkpoint: each number named and with its unit (`t 3756` reads
 * `time since start 3.8 s`); the record type and the epoch (shown above) are left out, unknown keys kept as is.
 */
export function metricRows(metrics: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(metrics)) {
    if (k === 'type' || k === 'epoch') continue;
    if (typeof v !== 'number' && typeof v !== 'string') continue;
    const name = METRIC_NAMES[k] ?? k;
    out.push([name, k === 't' && typeof v === 'number' ? fmtDuration(v) : typeof v === 'number' ? fmt(v) : v]);
  }
  return out;
}
