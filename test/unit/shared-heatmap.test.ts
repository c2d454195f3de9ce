import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WireAggregate, WireGrids } from '../../extension/shared/studyProtocol';
import { heatmapLayout, heatmapSvg, scaleStops, type HeatmapLayoutOptions } from '../../extension/shared/view/heatmap';
import { viridis } from '../../extension/shared/view/colorScale';

const agg = (values: number[], never = 0, pending = 0): WireAggregate => ({
  mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
  std: null,
  min: values.length ? Math.min(...values) : null,
  max: values.length ? Math.max(...values) : null,
  n: values.length,
  never,
  pending,
});
const run = (name: string, value: number | null) => ({ runDir: `/r/${name}`, runName: name, value, running: false });

/** 2 widths × 2 weight decays: a low cell, a high cell (two runs), a "never" cell and an empty one. */
const GRIDS: WireGrids = {
  metric: 'generalizationEpoch',
  xAxis: 'model.hidden',
  yAxis: 'optimizer.weightDecay',
  split: null,
  xLabels: ['8', '32'],
  yLabels: ['0', '1'],
  grids: [
    {
      label: 'generalizationEpoch',
      min: 100,
      max: 400,
      cells: [
        [
          { state: 'value', stats: agg([100]), runs: [run('a', 100)] },
          { state: 'never', stats: agg([], 1), runs: [run('b', null)] },
        ],
        [
          { state: 'value', stats: agg([300, 500]), runs: [run('c', 300), run('d', 500)] },
          { state: 'empty', stats: null, runs: [] },
        ],
      ],
    },
  ],
};

const OPTS: HeatmapLayoutOptions = {
  width: 400,
  height: 300,
  title: 'Heat <map> & "cells"',
  log: false,
  colors: { background: '#ffffff', foreground: '#111111', muted: '#555555', empty: '#eeeeee', never: '#ff0000', pending: '#ffff00' },
  format: (x) => (x === null ? '—' : String(x)),
};

test('heatmap layout: one box per cell, row 0 at the bottom, fills from the scale, labels and colour bar ends', () => {
  const l = heatmapLayout(GRIDS, OPTS);
  assert.equal(l.cells.length, 4);
  const at = (xi: number, yi: number) => l.cells.find((c) => c.xi === xi && c.yi === yi)!;
  // columns left to right, rows bottom to top, no overlap
  assert.ok(at(0, 0).x < at(1, 0).x && at(0, 0).x + at(0, 0).w <= at(1, 0).x + 1e-9);
  assert.ok(at(0, 1).y < at(0, 0).y, 'weight decay 1 is drawn above weight decay 0');
  assert.deepEqual(at(0, 1).runs.map((r) => r.runName), ['c', 'd']);
  const rects = l.shapes.filter((s) => s.kind === 'rect');
  const fills = rects.map((r) => (r.kind === 'rect' ? r.fill : ''));
  assert.equal(fills[0], '#ffffff', 'the background first');
  assert.ok(fills.includes(viridis(0)), 'the minimum cell (100) takes the bottom of the scale');
  assert.ok(fills.includes(viridis(1)), 'the maximum cell (mean 400) takes the top of the scale');
  assert.ok(fills.includes('#ff0000') && fills.includes('#eeeeee'));
  const texts = l.shapes.flatMap((s) => (s.kind === 'text' ? [s.text] : []));
  for (const t of ['100', '400 (n 2)', 'never', '8', '32', '0', '1', 'model.hidden', 'optimizer.weightDecay', 'generalizationEpoch', OPTS.title!]) assert.ok(texts.includes(t), `no text "${t}" among ${JSON.stringify(texts)}`);
  assert.equal(l.shapes.filter((s) => s.kind === 'scale').length, 1);
  // transparent: no background rect; no grids: nothing but that
  assert.notEqual((heatmapLayout(GRIDS, { ...OPTS, colors: { ...OPTS.colors, background: null } }).shapes[0] as { fill?: string }).fill, '#ffffff');
  assert.deepEqual(heatmapLayout(null, OPTS).cells, []);
});

test('heatmap layout: a log colour scale moves the middle cell, and a split gives one grid each', () => {
  const mid = (log: boolean) => {
    const g: WireGrids = { ...GRIDS, grids: [{ ...GRIDS.grids[0], min: 1, max: 100, cells: [[{ state: 'value', stats: agg([10]), runs: [] }, { state: 'value', stats: agg([1]), runs: [] }], [{ state: 'value', stats: agg([100]), runs: [] }, { state: 'empty', stats: null, runs: [] }]] }] };
    const l = heatmapLayout(g, { ...OPTS, log });
    const cell = l.cells.find((c) => c.xi === 0 && c.yi === 0)!;
    return l.shapes.find((s) => s.kind === 'rect' && Math.abs(s.x - (cell.x + 1)) < 1e-9 && Math.abs(s.y - (cell.y + 1)) < 1e-9) as { fill: string };
  };
  assert.equal(mid(true).fill, viridis(0.5));
  assert.equal(mid(false).fill, viridis(9 / 99));
  const split: WireGrids = { ...GRIDS, split: 'task.op', grids: [{ ...GRIDS.grids[0], label: 'task.op = add' }, { ...GRIDS.grids[0], label: 'task.op = mul' }] };
  const l = heatmapLayout(split, OPTS);
  assert.equal(l.cells.length, 8);
  assert.deepEqual([...new Set(l.cells.map((c) => c.grid))], [0, 1]);
  assert.ok(Math.min(...l.cells.filter((c) => c.grid === 1).map((c) => c.y)) > Math.max(...l.cells.filter((c) => c.grid === 0).map((c) => c.y + c.h)), 'the second grid lies below the first');
});

test('heatmap SVG: every shape, the viridis gradient, escaped text', () => {
  const l = heatmapLayout(GRIDS, OPTS);
  const svg = heatmapSvg(l, 'Segoe "UI"');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="400" height="300"/);
  assert.equal((svg.match(/<rect /g) ?? []).length, l.shapes.filter((s) => s.kind !== 'text').length);
  assert.equal((svg.match(/<text /g) ?? []).length, l.shapes.filter((s) => s.kind === 'text').length);
  assert.ok(svg.includes('Heat &lt;map&gt; &amp; &quot;cells&quot;'), 'the title is escaped');
  assert.ok(svg.includes('font-family="Segoe &quot;UI&quot;"'));
  assert.ok(svg.includes(`fill="${viridis(1)}"`));
  for (const s of scaleStops()) assert.ok(svg.includes(`stop-color="${s.color}"`));
  assert.ok(svg.includes('fill="url(#scale)"'));
  assert.ok(/rotate\(-90\)[^>]*>optimizer\.weightDecay</.test(svg), 'the y axis title is turned');
  assert.ok(svg.trimEnd().endsWith('</svg>'));
});
