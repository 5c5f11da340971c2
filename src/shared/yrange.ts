// y-axis range of a chart from the finite values it shows, TensorBoard-style "ignore outliers in chart
// scaling": the range comes from robust quantiles of all visible series (so one run exploding to 1e36
// does not flatten every other curve), widened to the true extremes when they are not far outside, and
// padded. Points beyond the range are drawn clipped at the plot edge. Works on min/max-downsampled data
// (each pixel column keeps its extremes, so the quantiles are, if anything, conservative).

export interface YRangeOptions {
  /** true: robust quantile range; false: plain min/max. */
  readonly ignoreOutliers: boolean;
  /** Log y axis: only values > 0 count. */
  readonly log: boolean;
  /** Quantiles used when ignoring outliers (default 0.05 / 0.95). */
  readonly lowQ?: number;
  readonly highQ?: number;
  /**
   * The true min/max is kept when it lies within `reach` × the quantile span outside the quantile
   * range (so a healthy decaying loss keeps its first, highest points). Default 1.
   */
  readonly reach?: number;
  /** Padding on each side, as a fraction of the span (in log10 space for a log axis). Default 0.05. */
  readonly pad?: number;
}

export interface YRange {
  readonly min: number;
  readonly max: number;
  /** Finite (and, on a log axis, positive) values beyond [min, max] that are drawn clipped. */
  readonly clipped: number;
  /** log10(max / min) of the positive robust data (0 when some value is <= 0): for auto log scale. */
  readonly decades: number;
  /** Every counted value is > 0 (a log axis can show them all). */
  readonly positive: boolean;
}

/** Linear-interpolated quantile of sorted values (q in [0, 1]). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * The y range for the values of `sources` (each an array-like of y values; non-finite values, and on
 * a log axis values <= 0, are ignored). Returns null when nothing counts. Never throws on bad input.
 */
export function yRange(sources: ReadonlyArray<ArrayLike<number>>, o: YRangeOptions): YRange | null {
  let n = 0;
  for (const s of sources) n += s.length;
  const vals = new Float64Array(n);
  let k = 0;
  let allPositive = true;
  for (const s of sources) {
    for (let i = 0; i < s.length; i++) {
      const y = s[i];
      if (typeof y !== 'number' || y - y !== 0) continue;
      if (o.log && !(y > 0)) continue;
      if (!(y > 0)) allPositive = false;
      vals[k++] = y;
    }
  }
  if (k === 0) return null;
  const v = vals.subarray(0, k).sort();
  const dataMin = v[0];
  const dataMax = v[k - 1];
  const fwd = (x: number): number => (o.log ? Math.log10(x) : x);
  const back = (t: number): number => (o.log ? Math.pow(10, t) : t);
  let lo = dataMin;
  let hi = dataMax;
  if (o.ignoreOutliers && k >= 5) {
    const ql = quantileSorted(v, o.lowQ ?? 0.05);
    const qh = quantileSorted(v, o.highQ ?? 0.95);
    // Quantiles and the reach are taken in the axis' own space (log10 on a log axis).
    const tl = fwd(ql);
    const th = fwd(qh);
    const reach = (o.reach ?? 1) * Math.max(th - tl, 0);
    lo = fwd(dataMin) >= tl - reach ? dataMin : back(tl - reach);
    hi = fwd(dataMax) <= th + reach ? dataMax : back(th + reach);
    if (!(lo <= hi)) {
      lo = ql;
      hi = qh;
    }
  }
  let clipped = 0;
  for (let i = 0; i < k; i++) if (v[i] < lo || v[i] > hi) clipped++;
  let tMin = fwd(lo);
  let tMax = fwd(hi);
  const span = tMax - tMin;
  const pad = o.pad ?? 0.05;
  if (span > 0 && Number.isFinite(span)) {
    tMin -= span * pad;
    tMax += span * pad;
  } else {
    // A flat line: a unit-ish window around it.
    const d = o.log ? 0.5 : Math.abs(tMin) > 0 ? Math.abs(tMin) * 0.1 : 1;
    tMin -= d;
    tMax += d;
  }
  let min = back(tMin);
  let max = back(tMax);
  // Do not pad a non-negative linear range below zero (losses, rates, accuracies).
  if (!o.log && lo >= 0 && min < 0) min = 0;
  if (!Number.isFinite(min) || (o.log && !(min > 0))) min = o.log ? lo : -Number.MAX_VALUE;
  if (!Number.isFinite(max)) max = Number.MAX_VALUE;
  // Round trips through log10 may lose an ulp: the kept range always contains [lo, hi].
  min = Math.min(min, lo);
  max = Math.max(max, hi);
  if (!(min < max)) {
    min = lo;
    max = hi > lo ? hi : o.log ? lo * 2 || Number.MAX_VALUE : lo + Math.max(1, Math.abs(lo) * 1e-9);
  }
  const positive = allPositive && lo > 0;
  const decades = positive && hi > 0 ? Math.log10(hi) - Math.log10(lo) : 0;
  return { min, max, clipped, decades, positive };
}

/** Auto log scale: the robust data is all positive and spans more than this many decades. */
export const AUTO_LOG_DECADES = 4;

/** 1, 2, 2.5, 5 or 10 × 10^k, the nearest at or above x (x > 0). */
export function niceStep(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const e = Math.floor(Math.log10(x));
  const base = Math.pow(10, e);
  const f = x / base;
  const m = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return m * base;
}

/**
 * Rounds a range outward to tick-friendly bounds: on a linear axis multiples of a nice step (about
 * `ticks` intervals; the step is returned for the axis), on a log axis whole mantissas (k × 10^n).
 */
export function niceRange(min: number, max: number, log: boolean, ticks = 5): { min: number; max: number; step: number | null } {
  if (!(min < max) || !Number.isFinite(min) || !Number.isFinite(max)) return { min, max, step: null };
  if (log) {
    if (!(min > 0)) return { min, max, step: null };
    // Whole mantissas (a log axis has a tick at each): 0.41 → 0.4, 9.4 → 10.
    const down = (v: number): number => {
      const b = Math.pow(10, Math.floor(Math.log10(v)));
      return Math.max(1, Math.floor(v / b + 1e-9)) * b;
    };
    const up = (v: number): number => {
      const b = Math.pow(10, Math.floor(Math.log10(v)));
      return Math.ceil(v / b - 1e-9) * b;
    };
    const lo = down(min);
    const hi = up(max);
    return lo > 0 && hi > lo && Number.isFinite(hi) ? { min: lo, max: hi, step: null } : { min, max, step: null };
  }
  const step = niceStep((max - min) / Math.max(1, ticks));
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi) || (hi - lo) / step > 1000) return { min, max, step: null };
  // Avoid -0 and float noise at zero.
  return { min: lo === 0 ? 0 : lo, max: hi === 0 ? 0 : hi, step };
}
