/**
 * Colours from VS Code's theme variables (`--vscode-*`), read at runtime with getComputedStyle, and re-read
 * when the body's theme class changes (vscode-light / vscode-dark / vscode-high-contrast[-light]). Series
 * colours are the colour-blind-safe palette of extension/shared/view/palette.ts at ≥ 3:1 against the editor
 * background, as are the red / green / yellow accents.
 */
import { ensureContrast, seriesPalette } from '../../extension/shared/view/palette';

export interface Theme {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  foreground: string;
  muted: string;
  background: string;
  grid: string;
  border: string;
  /** Series colours, in order. */
  palette: string[];
  red: string;
  green: string;
  yellow: string;
  fontFamily: string;
}

export function themeKind(body: HTMLElement): Theme['kind'] {
  const c = body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  if (c.contains('vscode-light')) return 'light';
  return 'dark';
}

export function readTheme(): Theme {
  const body = document.body;
  const style = getComputedStyle(body);
  const kind = themeKind(body);
  const dark = kind === 'dark' || kind === 'high-contrast';
  const v = (name: string, light: string, darkFallback: string) => style.getPropertyValue(name).trim() || (dark ? darkFallback : light);
  const foreground = v('--vscode-foreground', '#3b3b3b', '#cccccc');
  const background = v('--vscode-editor-background', '#ffffff', '#1e1e1e');
  return {
    kind,
    foreground,
    muted: v('--vscode-descriptionForeground', '#717171', '#9d9d9d'),
    background,
    grid: withAlpha(v('--vscode-editorLineNumber-foreground', '#237893', '#858585'), kind.startsWith('high') ? 0.6 : 0.25),
    border: v('--vscode-panel-border', '#e5e5e5', '#2b2b2b'),
    palette: seriesPalette(background),
    red: ensureContrast(v('--vscode-charts-red', '#e51400', '#f14c4c'), background),
    green: ensureContrast(v('--vscode-charts-green', '#388a34', '#89d185'), background),
    yellow: ensureContrast(v('--vscode-charts-yellow', '#bf8803', '#cca700'), background),
    fontFamily: v('--vscode-font-family', 'sans-serif', 'sans-serif'),
  };
}

/** `#rgb`, `#rrggbb`, `#rrggbbaa` or `rgb(…)` with the given alpha (other forms are returned unchanged). */
export function withAlpha(color: string, alpha: number): string {
  const c = color.trim();
  let m = /^#([0-9a-f]{3})$/i.exec(c);
  if (m) {
    const [r, g, b] = m[1].split('').map((h) => parseInt(h + h, 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c);
  if (m) {
    const n = parseInt(m[1], 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(c);
  if (m) return `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${alpha})`;
  return c;
}

/** Call `onChange` whenever the body's class (the theme) changes. */
export function watchTheme(onChange: () => void): MutationObserver {
  const obs = new MutationObserver(() => onChange());
  obs.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return obs;
}
