/**
 * Series colours that stay apart for colour-blind readers and readable on the theme's background: the
 * Okabe–Ito set (Okabe & Ito 2008, "Color Universal Design"; Wong 2011, Nature Methods 8:441), each hue
 * darkened on light backgrounds or lightened on dark ones until it reaches WCAG 2.1's 3:1 contrast for
 * graphical objects (success criterion 1.4.11). Contrast is WCAG's relative-luminance ratio.
 *
 * Pure: no DOM.
 */

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** Okabe–Ito hues, ordered so that neighbours (train/test, kernel/bias) differ most; black is the foreground. */
export const SERIES_HUES: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#999999'];

/** Minimum contrast of a series against the background (WCAG 1.4.11, non-text contrast). */
export const MIN_SERIES_CONTRAST = 3;

/** `#rgb`, `#rgba`, `#rrggbb`, `#rrggbbaa`, `rgb(…)` / `rgba(…)`; null for anything else. */
export function parseColor(color: string): Rgba | null {
  const c = color.trim();
  let m = /^#([0-9a-f]{3,4})$/i.exec(c);
  if (m) {
    const [r, g, b, a] = m[1].split('').map((h) => parseInt(h + h, 16));
    return { r, g, b, a: a === undefined ? 1 : a / 255 };
  }
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c);
  if (m) {
    const n = parseInt(m[1], 16);
    return { r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255, a: m[2] ? parseInt(m[2], 16) / 255 : 1 };
  }
  m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:[,\s/]+([\d.]+%?))?\s*\)$/i.exec(c);
  if (m) {
    const a = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return { r: +m[1], g: +m[2], b: +m[3], a };
  }
  return null;
}

export function toHex(c: Rgba): string {
  const h = (v: number) => Math.round(Math.max(0, Math.min(255, v))).toString(16).padStart(2, '0');
  return `#${h(c.r)}${h(c.g)}${h(c.b)}`;
}

/** WCAG 2.1 relative luminance of an sRGB colour (alpha ignored). */
export function relativeLuminance(c: Rgba): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

/** WCAG contrast ratio (1 … 21) of two colours; unparsable colours count as 1 (no contrast known). */
export function contrastRatio(a: string, b: string): number {
  const ca = parseColor(a);
  const cb = parseColor(b);
  if (!ca || !cb) return 1;
  const la = relativeLuminance(ca);
  const lb = relativeLuminance(cb);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** True when the background is light (black text would be the more readable). */
export function isLight(background: string): boolean {
  const c = parseColor(background);
  return c ? relativeLuminance(c) > 0.179 : false;
}

/**
 * `color`, mixed towards black (light background) or white (dark background) in small steps until its
 * contrast with `background` reaches `min`; unchanged when it already does or either colour is unparsable.
 */
export function ensureContrast(color: string, background: string, min = MIN_SERIES_CONTRAST): string {
  const c = parseColor(color);
  const bg = parseColor(background);
  if (!c || !bg) return color;
  if (contrastRatio(color, background) >= min) return color;
  const target = isLight(background) ? 0 : 255;
  for (let t = 0.05; t <= 1.0001; t += 0.05) {
    const mixed = toHex({ r: c.r + (target - c.r) * t, g: c.g + (target - c.g) * t, b: c.b + (target - c.b) * t, a: 1 });
    if (contrastRatio(mixed, background) >= min) return mixed;
  }
  return toHex({ r: target, g: target, b: target, a: 1 });
}

/** The series palette for a background: every hue at ≥ 3:1 contrast with it. */
export function seriesPalette(background: string): string[] {
  return SERIES_HUES.map((h) => ensureContrast(h, background));
}

/** Colour of the i-th series: the palette, then golden-angle hues (lightness chosen for the background). */
export function seriesColor(palette: readonly string[], background: string, i: number): string {
  if (i < palette.length) return palette[i];
  const hue = (i * 137.508) % 360;
  return ensureContrast(hslHex(hue, 0.65, isLight(background) ? 0.4 : 0.65), background);
}

function hslHex(h: number, s: number, l: number): string {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return toHex({ r: 255 * f(0), g: 255 * f(8), b: 255 * f(4), a: 1 });
}
