/**
 * The Study panel's heatmap as drawing primitives: one grid of cells per split value (row 0 at the bottom),
 * cell labels (mean, "never", "running…"), axis labels and titles, and a viridis colour bar with its ends.
 * One layout serves the canvas on screen, the PNG export (both drawn by the webview) and the SVG export
 * (`heatmapSvg`, here), so the three cannot drift apart. Pure: no DOM.
 */
import type { WireGrids, WireRunPoint } from '../studyProtocol';
import { labelColor, scalePosition, viridis } from './colorScale';
import { escapeXml } from './svgChart';

export type HeatShape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: string }
  /** Text centred vertically on y; `rotate` in degrees about (x, y); `maxWidth` squeezes it (canvas) or is a hint. */
  | { kind: 'text'; x: number; y: number; text: string; align: 'left' | 'center' | 'right'; color: string; size: number; bold?: boolean; rotate?: number; maxWidth?: number }
  /** The colour bar: viridis from 1 at the top to 0 at the bottom. */
  | { kind: 'scale'; x: number; y: number; w: number; h: number };

export interface HeatCell {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Index of the grid (split value), column (x value) and row (y value). */
  grid: number;
  xi: number;
  yi: number;
  runs: WireRunPoint[];
}

export interface HeatmapLayout {
  width: number;
  height: number;
  shapes: HeatShape[];
  cells: HeatCell[];
}

export interface HeatmapColors {
  /** null: no background (transparent). */
  background: string | null;
  foreground: string;
  muted: string;
  empty: string;
  never: string;
  pending: string;
}

export interface HeatmapLayoutOptions {
  width: number;
  height: number;
  /** A title line on top (exports), or none (on screen: the card has one). */
  title: string | null;
  /** A logarithmic colour scale. */
  log: boolean;
  colors: HeatmapColors;
  /** Number format of cell labels and the colour bar's ends. */
  format: (x: number | null) => string;
}

const LEFT = 100;
const RIGHT = 70;
const GAP = 34;

export function heatmapLayout(g: WireGrids | null, o: HeatmapLayoutOptions): HeatmapLayout {
  const { width: w, height: h, colors } = o;
  const shapes: HeatShape[] = [];
  const cells: HeatCell[] = [];
  if (colors.background) shapes.push({ kind: 'rect', x: 0, y: 0, w, h, fill: colors.background });
  if (!g || g.grids.length === 0) return { width: w, height: h, shapes, cells };
  const top0 = o.title ? 26 : 6;
  if (o.title) shapes.push({ kind: 'text', x: w / 2, y: 12, text: o.title, align: 'center', color: colors.foreground, size: 14, bold: true });
  const n = g.grids.length;
  const each = (h - top0 - n * GAP) / n;
  const min = Math.min(...g.grids.map((x) => x.min ?? Infinity));
  const max = Math.max(...g.grids.map((x) => x.max ?? -Infinity));
  const head = n > 1 ? 14 : 0;
  const cw = (w - LEFT - RIGHT) / g.xLabels.length;
  g.grids.forEach((grid, gi) => {
    const top = top0 + gi * (each + GAP) + head;
    const gh = each - head;
    const ch = gh / g.yLabels.length;
    if (n > 1) shapes.push({ kind: 'text', x: LEFT, y: top - 8, text: grid.label, align: 'left', color: colors.foreground, size: 11 });
    grid.cells.forEach((row, yi) => {
      row.forEach((cell, xi) => {
        const x0 = LEFT + xi * cw;
        const y0 = top + (g.yLabels.length - 1 - yi) * ch;
        const mean = cell.stats?.mean;
        let fill = colors.empty;
        if (cell.state === 'value' && mean !== null && mean !== undefined && Number.isFinite(min)) fill = viridis(scalePosition(mean, min, max, o.log));
        else if (cell.state === 'never') fill = colors.never;
        else if (cell.state === 'pending') fill = colors.pending;
        shapes.push({ kind: 'rect', x: x0 + 1, y: y0 + 1, w: cw - 2, h: ch - 2, fill });
        const label = cell.state === 'value' && cell.stats ? o.format(cell.stats.mean) : cell.state === 'never' ? 'never' : cell.state === 'pending' ? 'running…' : '';
        if (label) {
          const s = cell.stats;
          const sub = s && s.n + s.never + s.pending > 1 && ch > 34 ? ` (n ${s.n})` : '';
          shapes.push({ kind: 'text', x: x0 + cw / 2, y: y0 + ch / 2, text: label + sub, align: 'center', color: cell.state === 'value' ? labelColor(fill) : colors.foreground, size: 11, maxWidth: cw - 4 });
        }
        cells.push({ x: x0, y: y0, w: cw, h: ch, grid: gi, xi, yi, runs: cell.runs });
      });
    });
    g.xLabels.forEach((lab, xi) => shapes.push({ kind: 'text', x: LEFT + (xi + 0.5) * cw, y: top + gh + 10, text: lab, align: 'center', color: colors.muted, size: 11, maxWidth: cw }));
    g.yLabels.forEach((lab, yi) => shapes.push({ kind: 'text', x: LEFT - 6, y: top + (g.yLabels.length - 1 - yi + 0.5) * ch, text: lab, align: 'right', color: colors.muted, size: 11, maxWidth: LEFT - 24 }));
    shapes.push({ kind: 'text', x: 12, y: top + gh / 2, text: g.yAxis, align: 'center', color: colors.foreground, size: 11, rotate: -90 });
  });
  shapes.push({ kind: 'text', x: LEFT + (w - LEFT - RIGHT) / 2, y: h - 8, text: g.xAxis, align: 'center', color: colors.foreground, size: 11 });
  if (Number.isFinite(min) && Number.isFinite(max)) {
    const bx = w - RIGHT + 14;
    const by = top0 + 4;
    const bh = h - top0 - 40;
    shapes.push({ kind: 'scale', x: bx, y: by, w: 12, h: bh });
    shapes.push({ kind: 'text', x: bx + 16, y: by + 4, text: o.format(max), align: 'left', color: colors.muted, size: 11 });
    shapes.push({ kind: 'text', x: bx + 16, y: by + bh - 4, text: o.format(min), align: 'left', color: colors.muted, size: 11 });
    shapes.push({ kind: 'text', x: bx + 44, y: by + bh / 2, text: `${g.metric}${o.log ? ' (log)' : ''}`, align: 'center', color: colors.muted, size: 11, rotate: 90 });
  }
  return { width: w, height: h, shapes, cells };
}

/** Stops of the colour bar's gradient, top (1) to bottom (0); five: viridis is linear between its five stops. */
export function scaleStops(count = 5): { offset: number; color: string }[] {
  return Array.from({ length: count }, (_, i) => ({ offset: i / (count - 1), color: viridis(1 - i / (count - 1)) }));
}

const num = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(2)) : 0);

/** The layout as an SVG document (every text escaped). */
export function heatmapSvg(layout: HeatmapLayout, fontFamily: string): string {
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${num(layout.width)}" height="${num(layout.height)}" viewBox="0 0 ${num(layout.width)} ${num(layout.height)}" font-family="${escapeXml(fontFamily)}" font-size="11">`);
  if (layout.shapes.some((s) => s.kind === 'scale')) {
    out.push(`<defs><linearGradient id="scale" x1="0" y1="0" x2="0" y2="1">${scaleStops().map((s) => `<stop offset="${num(s.offset)}" stop-color="${s.color}"/>`).join('')}</linearGradient></defs>`);
  }
  const anchor = { left: 'start', center: 'middle', right: 'end' } as const;
  for (const s of layout.shapes) {
    if (s.kind === 'rect') out.push(`<rect x="${num(s.x)}" y="${num(s.y)}" width="${num(s.w)}" height="${num(s.h)}" fill="${escapeXml(s.fill)}"/>`);
    else if (s.kind === 'scale') out.push(`<rect x="${num(s.x)}" y="${num(s.y)}" width="${num(s.w)}" height="${num(s.h)}" fill="url(#scale)"/>`);
    else {
      const at = s.rotate ? `transform="translate(${num(s.x)} ${num(s.y)}) rotate(${s.rotate})" x="0" y="0"` : `x="${num(s.x)}" y="${num(s.y)}"`;
      out.push(`<text ${at} text-anchor="${anchor[s.align]}" dominant-baseline="central" font-size="${s.size}"${s.bold ? ' font-weight="bold"' : ''} fill="${escapeXml(s.color)}">${escapeXml(s.text)}</text>`);
    }
  }
  out.push('</svg>');
  return out.join('\n');
}
