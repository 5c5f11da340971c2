// Where a drawn line must break: a curve must not bridge a gap in the data (no records between two
// steps far apart) nor a non-finite region (NaN / ±Inf values, shown as markers at the top edge).
// Works on min/max-downsampled points: consecutive kept points of a dense series are at most about two
// pixel columns apart, so a gap must be wider than a few columns as well as much wider than the
// series' typical spacing.

/** A gap is wider than this many times the median spacing of the series' drawn points... */
export const GAP_FACTOR = 10;
/** ...and wider than this many pixel columns. */
export const GAP_COLUMNS = 3;

/**
 * The smallest x-distance (in t-space: x, or log10 x on a log axis) that counts as a gap, for drawn
 * points `xs` (sorted) and a pixel column width `column` (t-space). Infinity when there are too few points.
 */
export function gapThreshold(xs: ArrayLike<number>, column: number, log: boolean): number {
  const d: number[] = [];
  let prev = NaN;
  for (let i = 0; i < xs.length; i++) {
    const t = log ? (xs[i] > 0 ? Math.log10(xs[i]) : NaN) : xs[i];
    if (t !== t || !Number.isFinite(t)) continue;
    if (prev === prev) {
      const dt = t - prev;
      if (dt > 0) d.push(dt);
    }
    prev = t;
  }
  if (d.length < 2) return Infinity;
  d.sort((a, b) => a - b);
  const median = d[d.length >> 1];
  const col = Number.isFinite(column) && column > 0 ? column : 0;
  return Math.max(median * GAP_FACTOR, col * GAP_COLUMNS);
}

/** True when the step from x0 to x1 is a gap for this threshold. */
export function isGap(x0: number, x1: number, threshold: number, log: boolean): boolean {
  if (!Number.isFinite(threshold)) return false;
  const a = log ? Math.log10(x0) : x0;
  const b = log ? Math.log10(x1) : x1;
  return b - a > threshold;
}

export interface BreakPoint {
  readonly x: number;
  /** Always NaN: a point the line skips (Chart.js with spanGaps: false). */
  readonly y: number;
}

/**
 * Merges drawn points (sorted by x) with line breaks: one break at the x of each non-finite mark, and
 * one in the middle of every gap. Returns the points to draw, breaks as `{x, y: NaN}`; the input points
 * keep their identity (same objects). `nonFiniteXs` must be sorted.
 */
export function withBreaks<P extends { x: number; y: number }>(
  pts: readonly P[],
  nonFiniteXs: readonly number[],
  threshold: number,
  log: boolean,
  make: (x: number) => P,
): P[] {
  const out: P[] = [];
  let j = 0;
  let prev: P | null = null;
  for (const p of pts) {
    let broke = false;
    while (j < nonFiniteXs.length && nonFiniteXs[j] <= p.x) {
      if (!broke && (prev === null || nonFiniteXs[j] >= prev.x)) {
        out.push(make(nonFiniteXs[j]));
        broke = true;
      }
      j++;
    }
    if (!broke && prev !== null && isGap(prev.x, p.x, threshold, log)) {
      out.push(make(log ? Math.sqrt(prev.x * p.x) : (prev.x + p.x) / 2));
    }
    out.push(p);
    prev = p;
  }
  return out;
}
