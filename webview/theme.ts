// Colours from VS Code theme variables (light, dark, high contrast), re-read on theme changes; run colours
// from the 20-colour palettes of src/shared/palette.ts (checked for contrast on light and dark backgrounds).
import { PALETTE_DARK, PALETTE_LIGHT } from '../src/shared/palette';

export interface Theme {
  readonly kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  readonly fg: string;
  readonly muted: string;
  readonly grid: string;
  readonly bg: string;
  readonly palette: readonly string[];
  readonly error: string;
  readonly warning: string;
  readonly info: string;
  readonly highlight: string;
  readonly lineWidth: number;
}

const FALLBACK_DARK = ['#3794ff', '#f14c4c', '#89d185', '#cca700', '#b180d7', '#d18616', '#4ec9b0', '#ce9178'];
const FALLBACK_LIGHT = ['#1a85ff', '#e51400', '#388a34', '#bf8803', '#652d90', '#c26100', '#008080', '#a31515'];

let probe: CanvasRenderingContext2D | null = null;

const alphaCache = new Map<string, string>();

/** Normalises any CSS colour to rgba(r,g,b,a) with the given alpha (memoised: called per curve and frame). */
export function withAlpha(color: string, alpha: number): string {
  const key = `${color}|${alpha}`;
  let out = alphaCache.get(key);
  if (out === undefined) {
    out = parseAlpha(color, alpha);
    if (alphaCache.size > 4096) alphaCache.clear();
    alphaCache.set(key, out);
  }
  return out;
}

function parseAlpha(color: string, alpha: number): string {
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return color;
  probe.fillStyle = '#000';
  probe.fillStyle = color;
  const c = String(probe.fillStyle);
  let m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  if (m) return `rgba(${parseInt(m[1], 16)}, ${parseInt(m[2], 16)}, ${parseInt(m[3], 16)}, ${alpha})`;
  m = /^rgba?\(([^,]+),([^,]+),([^,)]+)(?:,([^)]+))?\)$/.exec(c.replace(/\s+/g, ''));
  if (m) return `rgba(${m[1]}, ${m[2]}, ${m[3]}, ${alpha * (m[4] !== undefined ? Number(m[4]) : 1)})`;
  return c;
}

export function readTheme(): Theme {
  const cls = document.body.classList;
  const kind: Theme['kind'] = cls.contains('vscode-high-contrast-light')
    ? 'high-contrast-light'
    : cls.contains('vscode-high-contrast')
      ? 'high-contrast'
      : cls.contains('vscode-light')
        ? 'light'
        : 'dark';
  const css = getComputedStyle(document.documentElement);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  const light = kind === 'light' || kind === 'high-contrast-light';
  const fb = light ? FALLBACK_LIGHT : FALLBACK_DARK;
  const hc = kind.startsWith('high-contrast');
  const fg = v('--vscode-editor-foreground', v('--vscode-foreground', light ? '#333333' : '#cccccc'));
  // Run colours: the palette for the theme's background (VS Code's chart blue and red come first).
  const palette = light ? PALETTE_LIGHT : PALETTE_DARK;
  return {
    kind,
    fg,
    muted: hc ? fg : v('--vscode-descriptionForeground', withAlpha(fg, 0.7)),
    // High contrast: a neutral grid that stays visible but never competes with the curves (the
    // contrast border colour at 50% made a bright cyan mesh).
    grid: hc ? withAlpha(fg, 0.3) : withAlpha(fg, 0.12),
    bg: v('--vscode-editor-background', light ? '#ffffff' : '#1e1e1e'),
    palette,
    error: v('--vscode-editorError-foreground', fb[1]),
    warning: v('--vscode-editorWarning-foreground', fb[3]),
    info: v('--vscode-editorInfo-foreground', fb[0]),
    highlight: v('--vscode-focusBorder', fb[4]),
    lineWidth: hc ? 2.5 : 1.5,
  };
}

export function onThemeChange(fn: () => void): void {
  new MutationObserver(fn).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}
