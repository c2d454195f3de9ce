/**
 * The pure part of the run list (webview/shared/runList.ts): its state, the search (every space-separated term
 * must occur, case-insensitively, in a row's text) and the sort (stable, by one column, missing values last in
 * either direction). No DOM here, so it is unit-tested directly.
 */

export type CellValue = string | number | null;

export interface RunListColumn<T> {
  key: string;
  title: string;
  /** The value sorted by and, unless `text` is given, shown. */
  value(row: T): CellValue;
  text?(row: T): string;
  /** Hover text of the column heading: what the value is and its unit. */
  help?: string;
}

export interface RunListState {
  query: string;
  /** Column key sorted by; null keeps the given order. */
  sortKey: string | null;
  sortDesc: boolean;
  collapsed: boolean;
}

export const initialRunListState = (): RunListState => ({ query: '', sortKey: null, sortDesc: false, collapsed: false });

/** A saved state (webview setState) back into a valid one. */
export function restoreRunListState(v: unknown): RunListState {
  const s = initialRunListState();
  if (!v || typeof v !== 'object') return s;
  const o = v as Record<string, unknown>;
  if (typeof o.query === 'string') s.query = o.query;
  if (typeof o.sortKey === 'string') s.sortKey = o.sortKey;
  if (typeof o.sortDesc === 'boolean') s.sortDesc = o.sortDesc;
  if (typeof o.collapsed === 'boolean') s.collapsed = o.collapsed;
  return s;
}

export function matchesQuery(text: string, query: string): boolean {
  const hay = text.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((t) => hay.includes(t));
}

const NUMBER = /(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)/i;

/** Natural order that reads decimals in text as numbers: `lr=0.001` < `lr=0.01` < `lr=0.1` < `lr=1e+0`. */
export function compareValues(a: CellValue, b: CellValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a).split(NUMBER);
  const y = String(b).split(NUMBER);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    // split() with a capture group puts the numbers at the odd indices.
    const c = i % 2 ? Number(x[i]) - Number(y[i]) : x[i].localeCompare(y[i]);
    if (c) return c;
  }
  return x.length - y.length;
}

/** Indices of the rows shown, in display order. */
export function visibleRows<T>(rows: T[], columns: RunListColumn<T>[], state: RunListState, searchText: (row: T) => string): number[] {
  const idx = rows.map((_, i) => i).filter((i) => matchesQuery(searchText(rows[i]), state.query));
  const col = columns.find((c) => c.key === state.sortKey);
  if (!col) return idx;
  const values = new Map(idx.map((i) => [i, col.value(rows[i])]));
  const missing = (v: CellValue) => v === null || (typeof v === 'number' && !Number.isFinite(v));
  return idx.sort((i, j) => {
    const a = values.get(i)!;
    const b = values.get(j)!;
    if (missing(a) || missing(b)) return missing(a) === missing(b) ? i - j : missing(a) ? 1 : -1;
    const c = compareValues(a, b);
    return (state.sortDesc ? -c : c) || i - j;
  });
}

/** Clicking a heading: sort by it ascending, then descending, then back to the given order. */
export function nextSort(state: RunListState, key: string): RunListState {
  if (state.sortKey !== key) return { ...state, sortKey: key, sortDesc: false };
  if (!state.sortDesc) return { ...state, sortDesc: true };
  return { ...state, sortKey: null, sortDesc: false };
}
