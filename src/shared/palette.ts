// Run colours: 20 distinguishable colours per theme kind (greedy max-min CIELAB distance, Glasbey-style,
// among colours with >= 3:1 contrast on the editor background: #1e1e1e dark, #ffffff light). The first
// two are VS Code's chart blue and red. test/unit/dashboard/palette.test.ts re-checks contrast and distance.
// A run keeps its colour index when runs are added: the index comes from a hash of the run's name.

export const PALETTE_DARK: readonly string[] = [
  '#3794ff',
  '#f14c4c',
  '#0fff0f',
  '#167e54',
  '#ff0fff',
  '#ffd324',
  '#ff8ad8',
  '#e5bea4',
  '#0fdfff',
  '#38ffa2',
  '#4d4dff',
  '#70a800',
  '#946300',
  '#2a7092',
  '#c7ed9b',
  '#ff7f0f',
  '#fa0085',
  '#cfff0f',
  '#af45c9',
  '#d77582',
];
export const PALETTE_LIGHT: readonly string[] = [
  '#1a85ff',
  '#e51400',
  '#00a800',
  '#ff0faf',
  '#1d635e',
  '#0000fa',
  '#b28b1f',
  '#6c132b',
  '#5e0080',
  '#d738ff',
  '#13376c',
  '#ff4d70',
  '#477321',
  '#0099d1',
  '#943b00',
  '#c375d7',
  '#214aed',
  '#00a87b',
  '#634b1d',
  '#d7759c',
];
export const PALETTE_SIZE = 20;

/** FNV-1a 32-bit hash of a string (UTF-16 code units). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Colour indices for runs, stable as runs come and go: a new run takes the slot its name hashes to, or the
 * next free one while fewer than PALETTE_SIZE colours are used (then colours repeat by hash).
 */
export class ColorAssigner {
  private readonly byId = new Map<string, number>();
  /** runs per colour, and how many colours are in use (O(1) per new run: a sweep adds 1,000 at once) */
  private readonly uses = new Int32Array(PALETTE_SIZE);
  private distinct = 0;

  colorOf(id: string, name: string): number {
    let c = this.byId.get(id);
    if (c !== undefined) return c;
    c = hash32(name) % PALETTE_SIZE;
    if (this.distinct < PALETTE_SIZE) while (this.uses[c]! > 0) c = (c + 1) % PALETTE_SIZE;
    this.byId.set(id, c);
    if (this.uses[c]!++ === 0) this.distinct++;
    return c;
  }

  /** Frees the colour of runs that are gone. */
  retain(ids: ReadonlySet<string>): void {
    for (const [id, c] of [...this.byId]) {
      if (ids.has(id)) continue;
      this.byId.delete(id);
      if (--this.uses[c]! === 0) this.distinct--;
    }
  }
}

function lin(c: number): number {
  const v = c / 255;
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}

function rgb(hex: string): [number, number, number] {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

/** WCAG contrast ratio of two #rrggbb colours. */
export function contrastRatio(a: string, b: string): number {
  const l = (h: string): number => {
    const [r, g, bl] = rgb(h).map(lin);
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const x = l(a);
  const y = l(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}

/** CIE76 distance of two #rrggbb colours in CIELAB (D65). */
export function deltaE(a: string, b: string): number {
  const lab = (h: string): [number, number, number] => {
    const [r, g, bl] = rgb(h).map(lin);
    const x = (0.4124 * r + 0.3576 * g + 0.1805 * bl) / 0.95047;
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * bl;
    const z = (0.0193 * r + 0.1192 * g + 0.9505 * bl) / 1.08883;
    const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
    return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
  };
  const p = lab(a);
  const q = lab(b);
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}
