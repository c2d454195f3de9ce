/**
 * A chart as SVG, built from the geometry the chart already computed (pixel positions of ticks, points and
 * markers, read from the drawn chart.js chart): vector output for papers without a canvas-to-SVG shim. Lines
 * are polylines clipped to the plot area, points circles, bars and heatmap cells rects; title, axis titles,
 * tick labels and a legend are text. All text is escaped.
 *
 * Pure: no DOM.
 */

export interface SvgTick {
  pos: number;
  label: string;
}

export interface SvgSeries {
  label: string;
  color: string;
  kind: 'line' | 'points' | 'bars';
  points: readonly (readonly [number, number])[];
  width?: number;
  dash?: readonly number[];
  /** Bars: width in pixels, baseline y in pixels. */
  barWidth?: number;
  baseline?: number;
  radius?: number;
  /** Shown in the legend (faint raw series behind smoothed ones are not). */
  legend?: boolean;
}

export interface SvgRect {
  x: number;
  y: number;
  w: number;
  h: number;
  fill: string;
  label?: string;
  labelColor?: string;
}

export interface SvgVLine {
  x: number;
  color: string;
  dash?: readonly number[];
  label?: string;
}

export interface SvgChartSpec {
  width: number;
  height: number;
  /** null: transparent. */
  background: string | null;
  foreground: string;
  muted: string;
  grid: string;
  fontFamily: string;
  title: string;
  area: { left: number; top: number; right: number; bottom: number };
  xTitle: string;
  yTitle: string;
  xTicks: readonly SvgTick[];
  yTicks: readonly SvgTick[];
  series: readonly SvgSeries[];
  vlines?: readonly SvgVLine[];
  rects?: readonly SvgRect[];
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

const n = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(2)) : 0);

export function svgChart(s: SvgChartSpec): string {
  const { left, top, right, bottom } = s.area;
  const font = escapeXml(s.fontFamily);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${n(s.width)}" height="${n(s.height)}" viewBox="0 0 ${n(s.width)} ${n(s.height)}" font-family="${font}" font-size="11">`);
  out.push(`<defs><clipPath id="plot"><rect x="${n(left)}" y="${n(top)}" width="${n(right - left)}" height="${n(bottom - top)}"/></clipPath></defs>`);
  if (s.background) out.push(`<rect width="100%" height="100%" fill="${escapeXml(s.background)}"/>`);
  out.push(`<text x="${n(s.width / 2)}" y="16" text-anchor="middle" font-size="14" font-weight="600" fill="${escapeXml(s.foreground)}">${escapeXml(s.title)}</text>`);
  for (const t of s.xTicks) {
    out.push(`<line x1="${n(t.pos)}" y1="${n(top)}" x2="${n(t.pos)}" y2="${n(bottom)}" stroke="${escapeXml(s.grid)}" stroke-width="1"/>`);
    out.push(`<text x="${n(t.pos)}" y="${n(bottom + 14)}" text-anchor="middle" fill="${escapeXml(s.muted)}">${escapeXml(t.label)}</text>`);
  }
  for (const t of s.yTicks) {
    out.push(`<line x1="${n(left)}" y1="${n(t.pos)}" x2="${n(right)}" y2="${n(t.pos)}" stroke="${escapeXml(s.grid)}" stroke-width="1"/>`);
    out.push(`<text x="${n(left - 6)}" y="${n(t.pos + 4)}" text-anchor="end" fill="${escapeXml(s.muted)}">${escapeXml(t.label)}</text>`);
  }
  out.push(`<rect x="${n(left)}" y="${n(top)}" width="${n(right - left)}" height="${n(bottom - top)}" fill="none" stroke="${escapeXml(s.muted)}" stroke-width="1"/>`);
  out.push(`<text x="${n((left + right) / 2)}" y="${n(s.height - 6)}" text-anchor="middle" fill="${escapeXml(s.foreground)}">${escapeXml(s.xTitle)}</text>`);
  out.push(`<text transform="translate(12 ${n((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="${escapeXml(s.foreground)}">${escapeXml(s.yTitle)}</text>`);
  out.push('<g clip-path="url(#plot)">');
  for (const r of s.rects ?? []) {
    out.push(`<rect x="${n(r.x)}" y="${n(r.y)}" width="${n(r.w)}" height="${n(r.h)}" fill="${escapeXml(r.fill)}"/>`);
    if (r.label) out.push(`<text x="${n(r.x + r.w / 2)}" y="${n(r.y + r.h / 2 + 4)}" text-anchor="middle" fill="${escapeXml(r.labelColor ?? s.foreground)}">${escapeXml(r.label)}</text>`);
  }
  for (const se of s.series) {
    const color = escapeXml(se.color);
    if (se.kind === 'line') {
      const dash = se.dash && se.dash.length ? ` stroke-dasharray="${se.dash.map(n).join(' ')}"` : '';
      // Gaps (null y) split the line into several polylines.
      let run: string[] = [];
      const flush = () => {
        if (run.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="${n(se.width ?? 1.5)}"${dash} stroke-linejoin="round" points="${run.join(' ')}"/>`);
        run = [];
      };
      for (const [x, y] of se.points) {
        if (!Number.isFinite(x) || !Number.isFinite(y)) flush();
        else run.push(`${n(x)},${n(y)}`);
      }
      flush();
    } else if (se.kind === 'points') {
      for (const [x, y] of se.points) if (Number.isFinite(x) && Number.isFinite(y)) out.push(`<circle cx="${n(x)}" cy="${n(y)}" r="${n(se.radius ?? 3)}" fill="${color}"/>`);
    } else {
      const w = se.barWidth ?? 10;
      const base = se.baseline ?? bottom;
      for (const [x, y] of se.points) if (Number.isFinite(x) && Number.isFinite(y)) out.push(`<rect x="${n(x - w / 2)}" y="${n(Math.min(y, base))}" width="${n(w)}" height="${n(Math.abs(base - y))}" fill="${color}"/>`);
    }
  }
  for (const v of s.vlines ?? []) {
    const dash = v.dash && v.dash.length ? ` stroke-dasharray="${v.dash.map(n).join(' ')}"` : '';
    out.push(`<line x1="${n(v.x)}" y1="${n(top)}" x2="${n(v.x)}" y2="${n(bottom)}" stroke="${escapeXml(v.color)}" stroke-width="1.2"${dash}/>`);
  }
  out.push('</g>');
  for (const v of s.vlines ?? []) {
    if (v.label) out.push(`<text x="${n(v.x + 3)}" y="${n(top + 12)}" fill="${escapeXml(s.foreground)}" font-size="10">${escapeXml(v.label)}</text>`);
  }
  const legend = s.series.filter((se) => se.legend !== false);
  let lx = left;
  const ly = 32;
  for (const se of legend) {
    const w = 22 + se.label.length * 6.2;
    if (lx + w > s.width - 8 && lx > left) break;
    out.push(`<line x1="${n(lx)}" y1="${ly - 4}" x2="${n(lx + 14)}" y2="${ly - 4}" stroke="${escapeXml(se.color)}" stroke-width="2"/>`);
    out.push(`<text x="${n(lx + 18)}" y="${ly}" fill="${escapeXml(s.foreground)}">${escapeXml(se.label)}</text>`);
    lx += w + 8;
  }
  out.push('</svg>');
  return out.join('\n');
}
