import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampSmoothing, emaDebiased, smoothPoints } from '../../extension/shared/view/smoothing';
import { contrastRatio, ensureContrast, parseColor, relativeLuminance, seriesColor, seriesPalette, SERIES_HUES } from '../../extension/shared/view/palette';
import { logTickLabel, logTicks, tickBudget } from '../../extension/shared/view/ticks';
import { chartCsv } from '../../extension/shared/view/chartCsv';
import { csvRow } from '../../extension/shared/csv';
import { escapeXml, svgChart } from '../../extension/shared/view/svgChart';

const close = (a: number | null, b: number, eps = 1e-12) => assert.ok(a !== null && Math.abs(a - b) < eps, `${a} ≠ ${b}`);

test('debiased EMA: hand-computed values, first value unchanged, weight 0 is the identity', () => {
  // w = 0.5: s1 = 0.5·1 / 0.5 = 1; s2 = (0.25 + 1.5) / 0.75 = 7/3; s3 = (0.875 + 0.5·2) / 0.875 = 15/7
  const s = emaDebiased([1, 3, 2], 0.5);
  close(s[0], 1);
  close(s[1], 7 / 3);
  close(s[2], (0.875 + 1) / 0.875);
  assert.deepEqual(emaDebiased([4, 5, 6], 0), [4, 5, 6]);
});

test('debiased EMA: a constant series stays constant (no pull towards zero), gaps pass through', () => {
  for (const v of emaDebiased([5, 5, 5, 5, 5, 5], 0.99)) close(v, 5, 1e-9);
  const g = emaDebiased([2, null, NaN, 4], 0.5);
  close(g[0], 2);
  assert.equal(g[1], null);
  assert.ok(Number.isNaN(g[2] as number));
  close(g[3], (0.5 * 1 + 2) / 0.75); // the gap does not enter the average
  // without debiasing the first value would be (1 − w)·y: make sure that is not what we return
  assert.notEqual(emaDebiased([10], 0.9)[0], 1);
});

test('smoothing weight clamps to [0, 0.999]; smoothPoints keeps x', () => {
  assert.equal(clampSmoothing(-1), 0);
  assert.equal(clampSmoothing(NaN), 0);
  assert.equal(clampSmoothing(1), 0.999);
  assert.deepEqual(smoothPoints([{ x: 3, y: 1 }, { x: 7, y: 3 }], 0.5).map((p) => p.x), [3, 7]);
});

test('contrast: WCAG reference values', () => {
  close(contrastRatio('#000000', '#ffffff'), 21, 1e-9);
  close(contrastRatio('#fff', '#fff'), 1, 1e-12);
  // #777777 on white is the classic 4.48:1
  assert.ok(Math.abs(contrastRatio('#777777', '#ffffff') - 4.48) < 0.01);
  assert.deepEqual(parseColor('rgba(10, 20, 30, 0.5)'), { r: 10, g: 20, b: 30, a: 0.5 });
  assert.equal(parseColor('var(--x)'), null);
  close(relativeLuminance({ r: 255, g: 255, b: 255, a: 1 }), 1);
});

test('palette: every series colour reaches 3:1 on light, dark and high-contrast backgrounds, hues stay apart', () => {
  for (const bg of ['#ffffff', '#f3f3f3', '#1e1e1e', '#000000', '#252526']) {
    const p = seriesPalette(bg);
    assert.equal(p.length, SERIES_HUES.length);
    for (const c of p) assert.ok(contrastRatio(c, bg) >= 3, `${c} on ${bg}: ${contrastRatio(c, bg).toFixed(2)}`);
    for (let i = 0; i < p.length; i++)
      for (let j = i + 1; j < p.length; j++) {
        const a = parseColor(p[i])!;
        const b = parseColor(p[j])!;
        const d = Math.hypot(a.r - b.r, a.g - b.g, a.b - b.b);
        assert.ok(d > 40, `${p[i]} and ${p[j]} too close on ${bg} (${d.toFixed(0)})`);
      }
    for (let i = 8; i < 30; i++) assert.ok(contrastRatio(seriesColor(p, bg, i), bg) >= 3);
  }
  // the old test-curve peach (#d18616, 2.6:1 on white) is darkened; a colour that passes is left alone
  assert.ok(contrastRatio('#d18616', '#ffffff') < 3);
  assert.ok(contrastRatio(ensureContrast('#d18616', '#ffffff'), '#ffffff') >= 3);
  assert.equal(ensureContrast('#000000', '#ffffff'), '#000000');
});

test('log ticks: within range, never more than the budget, 1-2-5 then decades then every n-th decade', () => {
  assert.deepEqual(logTicks(1, 100, 20), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  assert.deepEqual(logTicks(1, 100, 8), [1, 2, 5, 10, 20, 50, 100]);
  assert.deepEqual(logTicks(1e-6, 10, 8), [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10]);
  const sparse = logTicks(1e-12, 1e3, 5);
  assert.ok(sparse.length <= 5 && sparse.length >= 2, String(sparse));
  for (const t of sparse) assert.ok(t >= 1e-12 && t <= 1e3);
  for (const [lo, hi, k] of [[0.3, 0.8, 3], [2e-7, 3.5, 4], [0.012, 0.9, 6]] as const) {
    const t = logTicks(lo, hi, k);
    assert.ok(t.length <= k, `${lo}..${hi}: ${t}`);
    assert.ok(t.every((v) => v >= lo && v <= hi));
    assert.deepEqual([...t].sort((a, b) => a - b), t);
  }
  assert.deepEqual(logTicks(0, 10, 5), []);
  assert.equal(logTickLabel(0.02), '0.02');
  assert.equal(logTickLabel(1e-6), '1e−6');
  assert.equal(logTickLabel(1e6), '1e6');
  assert.equal(tickBudget(200, 40), 5);
  assert.equal(tickBudget(10, 40), 2);
});

test('chart CSV: visible points only inside the range, raw column when smoothed, quoting', () => {
  const csv = chartCsv('epoch', 'loss', [
    { label: 'train, "a"', points: [{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 9, y: 1 }], raw: [{ x: 1, y: 2 }, { x: 2, y: 4 }, { x: 9, y: 0 }] },
    { label: 'test', points: [{ x: 2, y: null }] },
  ], { min: 1, max: 5 });
  assert.equal(csv, 'series,epoch,loss,loss (raw)\n"train, ""a""",1,2,2\n"train, ""a""",2,3,4\ntest,2,,\n');
  assert.equal(chartCsv('x', 'y', [{ label: 's', points: [{ x: 0, y: 1 }] }]), 'series,x,y\ns,0,1\n');
  assert.equal(csvRow(['a', 1, null, undefined]), 'a,1,,');
});

test('SVG: well-formed, text escaped, gaps split polylines, transparent without a background rect', () => {
  const svg = svgChart({
    width: 400, height: 200, background: null, foreground: '#000', muted: '#555', grid: '#ddd', fontFamily: 'sans-serif',
    title: 'Loss <log> & "more"', area: { left: 50, top: 40, right: 390, bottom: 170 }, xTitle: 'epoch', yTitle: 'loss',
    xTicks: [{ pos: 50, label: '0' }], yTicks: [{ pos: 100, label: '1e−3' }],
    series: [{ label: 'a', color: '#0072B2', kind: 'line', points: [[50, 60], [60, 70], [70, NaN], [80, 90], [90, 95]] }, { label: 'p', color: '#D55E00', kind: 'points', points: [[100, 100]] }],
    vlines: [{ x: 120, color: '#009E73', label: 'gen' }],
  });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.endsWith('</svg>'));
  assert.ok(svg.includes('Loss &lt;log&gt; &amp; &quot;more&quot;'));
  assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
  assert.equal((svg.match(/<circle/g) ?? []).length, 1);
  assert.ok(!svg.includes('height="100%"'));
  // every element opened is closed (self-closing or paired)
  const opens = (svg.match(/<(?!\/)[a-zA-Z]+[^>]*[^/]>/g) ?? []).length;
  const closes = (svg.match(/<\/[a-zA-Z]+>/g) ?? []).length;
  assert.equal(opens, closes);
  assert.equal(escapeXml(`'`), '&apos;');
});
