import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareValues, initialRunListState, matchesQuery, nextSort, restoreRunListState, visibleRows, type RunListColumn } from '../../webview/shared/runListModel';

interface R {
  name: string;
  gen: number | null;
  status: string;
}
const cols: RunListColumn<R>[] = [
  { key: 'name', title: 'run', value: (r) => r.name },
  { key: 'gen', title: 'generalization', value: (r) => r.gen },
];
const rows: R[] = [
  { name: 'lr=0.01 wd=1', gen: 400, status: 'completed' },
  { name: 'lr=0.001 wd=1', gen: null, status: 'running' },
  { name: 'lr=0.01 wd=0', gen: 120, status: 'completed' },
  { name: 'lr=0.1 wd=0', gen: null, status: 'completed' },
  { name: 'lr=0.1 wd=1', gen: 120, status: 'failed' },
];
const text = (r: R) => `${r.name} ${r.status}`;

test('search: every space-separated term must occur, case-insensitively', () => {
  assert.equal(matchesQuery('lr=0.01 wd=1 completed', ''), true);
  assert.equal(matchesQuery('lr=0.01 wd=1 completed', 'WD=1 compl'), true);
  assert.equal(matchesQuery('lr=0.01 wd=1 completed', 'wd=1 failed'), false);
  const s = { ...initialRunListState(), query: 'wd=1' };
  assert.deepEqual(visibleRows(rows, cols, s, text), [0, 1, 4]);
});

test('sort: by a column, stable for ties, missing values last in both directions', () => {
  const asc = { ...initialRunListState(), sortKey: 'gen' };
  assert.deepEqual(visibleRows(rows, cols, asc, text), [2, 4, 0, 1, 3]);
  assert.deepEqual(visibleRows(rows, cols, { ...asc, sortDesc: true }, text), [0, 2, 4, 1, 3]);
  // Text compares numerically inside strings: 0.001 < 0.01 < 0.1.
  assert.deepEqual(visibleRows(rows, cols, { ...asc, sortKey: 'name' }, text), [1, 2, 0, 3, 4]);
  // An unknown column keeps the given order; the filter applies before the sort.
  assert.deepEqual(visibleRows(rows, cols, { ...asc, sortKey: 'nope' }, text), [0, 1, 2, 3, 4]);
  assert.deepEqual(visibleRows(rows, cols, { ...asc, query: 'completed' }, text), [2, 0, 3]);
});

test('sort: 120 rows stay ordered and filterable', () => {
  const many: R[] = Array.from({ length: 120 }, (_, i) => ({ name: `run ${i}`, gen: (i * 37) % 120, status: i % 3 ? 'completed' : 'running' }));
  const order = visibleRows(many, cols, { ...initialRunListState(), sortKey: 'gen', sortDesc: true }, text);
  assert.equal(order.length, 120);
  for (let k = 1; k < order.length; k++) assert.ok(many[order[k - 1]].gen! >= many[order[k]].gen!);
  assert.equal(visibleRows(many, cols, { ...initialRunListState(), query: 'running' }, text).length, 40);
});

test('heading clicks cycle ascending → descending → given order', () => {
  let s = initialRunListState();
  s = nextSort(s, 'gen');
  assert.deepEqual([s.sortKey, s.sortDesc], ['gen', false]);
  s = nextSort(s, 'gen');
  assert.deepEqual([s.sortKey, s.sortDesc], ['gen', true]);
  s = nextSort(s, 'gen');
  assert.deepEqual([s.sortKey, s.sortDesc], [null, false]);
  s = nextSort(nextSort(s, 'gen'), 'name');
  assert.deepEqual([s.sortKey, s.sortDesc], ['name', false]);
});

test('restore: a saved state comes back, anything malformed falls back to the initial state', () => {
  assert.deepEqual(restoreRunListState({ query: 'a', sortKey: 'gen', sortDesc: true, collapsed: true }), { query: 'a', sortKey: 'gen', sortDesc: true, collapsed: true });
  assert.deepEqual(restoreRunListState(undefined), initialRunListState());
  assert.deepEqual(restoreRunListState({ query: 3, sortKey: null, collapsed: 'yes' }), initialRunListState());
});

test('natural order: numbers inside text compare as numbers, decimals and exponents included', () => {
  const v = ['lr=1e+0', 'lr=0.1', 'lr=0.001', 'lr=0.01', 'run 10', 'run 9'];
  assert.deepEqual([...v].sort(compareValues), ['lr=0.001', 'lr=0.01', 'lr=0.1', 'lr=1e+0', 'run 9', 'run 10']);
  assert.ok(compareValues(2, 10) < 0);
});
