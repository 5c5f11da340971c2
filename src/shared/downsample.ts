// Min/max-per-pixel-column downsampling that keeps what matters:
// - per column, the minimum and the maximum finite point (so spikes and dips survive any zoom level);
// - every column that holds a NaN / +Inf / -Inf keeps a marker for it (with its count): non-finite
//   points are never dropped;
// - the nearest finite neighbour outside the window on each side, so the line runs to the plot edges.
// Columns form a grid {t0, width} in transformed-x space (t = x, or log10 x for a log x axis), so a live
// tail can be extended bucket by bucket (see `tailFrom`).

export type NonFiniteKind = 'nan' | '+inf' | '-inf';

export interface NonFiniteMark {
  readonly x: number;
  readonly kind: NonFiniteKind;
  /** Source index of the first such point in its column. */
  readonly index: number;
  /** How many such points the column holds. */
  readonly count: number;
}

export interface Grid {
  /** Left edge of column 0, in t-space. */
  readonly t0: number;
  /** Column width in t-space (> 0). */
  readonly width: number;
  /** True: t = log10(x) (x <= 0 is unplottable and skipped). */
  readonly log: boolean;
}

export interface DownsampleOptions {
  readonly grid: Grid;
  /** Only points with xMin <= x <= xMax are bucketed (data units). */
  readonly xMin: number;
  readonly xMax: number;
  /** Source index range to scan, default [0, length). */
  readonly from?: number;
  readonly to?: number;
  /** Caller knows xs is non-decreasing over [from, to) (no NaN): enables binary search and edges. */
  readonly sorted?: boolean;
  /** Add the nearest finite points just outside [xMin, xMax] (sorted data only). Default true. */
  readonly edges?: boolean;
  /** Refuse to allocate more columns than this (default 1e6). */
  readonly maxColumns?: number;
}

export interface DownsampleResult {
  /** Kept finite points, in x order for sorted input (bucket order otherwise). */
  readonly x: number[];
  readonly y: number[];
  /** Source index of every kept point. */
  readonly idx: number[];
  readonly nonFinite: NonFiniteMark[];
  /** Points in range whose x is unusable (NaN x, or x <= 0 on a log axis). */
  readonly skipped: number;
  /** Source index where the last non-empty column starts (for tail extension), or -1. */
  readonly tailFrom: number;
  /** Number of the last non-empty column, or -1. */
  readonly lastColumn: number;
}

export function tOf(x: number, log: boolean): number {
  return log ? (x > 0 ? Math.log10(x) : NaN) : x;
}

export function xOfT(t: number, log: boolean): number {
  return log ? Math.pow(10, t) : t;
}

/** A grid of `columns` columns spanning [xMin, xMax] (degenerate ranges get a unit-wide span). */
export function makeGrid(xMin: number, xMax: number, columns: number, log: boolean): Grid {
  if (!Number.isFinite(columns) || columns < 1) throw new RangeError(`columns must be >= 1, got ${columns}`);
  let a = tOf(xMin, log);
  let b = tOf(xMax, log);
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    throw new RangeError(`x range [${xMin}, ${xMax}] is not plottable on a ${log ? 'log' : 'linear'} axis`);
  }
  if (b < a) [a, b] = [b, a];
  let span = b - a;
  if (!(span > 0)) span = 1;
  let width = span / Math.floor(columns);
  // Guard against widths lost in floating point for huge coordinates, and against denormal widths
  // whose reciprocal overflows.
  if (!(width > 0 && a + width > a)) width = Math.abs(a) * 1e-12;
  if (!(width >= 1e-300)) width = 1e-300;
  return { t0: a, width, log };
}

/** First index in [lo, hi) with xs[i] >= v (xs non-decreasing). */
export function lowerBound(xs: ArrayLike<number>, v: number, lo = 0, hi = xs.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index in [lo, hi) with xs[i] > v (xs non-decreasing). */
export function upperBound(xs: ArrayLike<number>, v: number, lo = 0, hi = xs.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when xs[from..to) is non-decreasing and contains no NaN. */
export function isSorted(xs: ArrayLike<number>, from = 0, to = xs.length): boolean {
  for (let i = from; i < to; i++) {
    const x = xs[i];
    if (x !== x) return false;
    if (i > from && x < xs[i - 1]) return false;
  }
  return true;
}

function kindOf(y: number): NonFiniteKind {
  return y !== y ? 'nan' : y > 0 ? '+inf' : '-inf';
}

export function downsample(xs: ArrayLike<number>, ys: ArrayLike<number>, o: DownsampleOptions): DownsampleResult {
  if (xs.length !== ys.length) throw new RangeError(`x and y lengths differ (${xs.length} vs ${ys.length})`);
  const { grid } = o;
  if (!(grid.width > 0) || !Number.isFinite(1 / grid.width) || !Number.isFinite(grid.t0)) throw new RangeError('downsample: invalid grid');
  if (Number.isNaN(o.xMin) || Number.isNaN(o.xMax)) throw new RangeError('downsample: NaN x range');
  let from = Math.max(0, Math.floor(o.from ?? 0));
  let to = Math.min(xs.length, Math.floor(o.to ?? xs.length));
  const out: DownsampleResult = { x: [], y: [], idx: [], nonFinite: [], skipped: 0, tailFrom: -1, lastColumn: -1 };
  if (from >= to || o.xMax < o.xMin) return out;
  const sorted = o.sorted === true;
  const scanFrom = from;
  const scanTo = to;
  if (sorted) {
    from = lowerBound(xs, o.xMin, from, to);
    to = upperBound(xs, o.xMax, from, to);
  }
  const tMaxIn = tOf(o.xMax, grid.log);
  const tMinIn = tOf(Math.max(o.xMin, grid.log ? Number.MIN_VALUE : o.xMin), grid.log);
  const kMin = Math.max(0, Math.floor((tMinIn - grid.t0) / grid.width));
  const kMaxRaw = Number.isFinite(tMaxIn) ? Math.floor((tMaxIn - grid.t0) / grid.width) : Infinity;
  // Columns actually touched are bounded by the data when xMax is infinite.
  let kHi = kMaxRaw;
  if (!Number.isFinite(kHi)) {
    let tMax = -Infinity;
    for (let i = from; i < to; i++) {
      const t = tOf(xs[i], grid.log);
      if (t > tMax) tMax = t;
    }
    kHi = Number.isFinite(tMax) ? Math.floor((tMax - grid.t0) / grid.width) : kMin;
  }
  const nCols = Math.max(0, kHi - kMin + 1);
  const maxColumns = o.maxColumns ?? 1e6;
  if (nCols > maxColumns) throw new RangeError(`downsample: ${nCols} columns exceed the limit ${maxColumns}`);
  const minI = new Int32Array(nCols).fill(-1);
  const maxI = new Int32Array(nCols).fill(-1);
  const firstI = new Int32Array(nCols).fill(-1);
  // Non-finite bookkeeping, allocated lazily (rare).
  let nfFirst: Int32Array | undefined;
  let nfCount: Int32Array | undefined;
  let skipped = 0;
  const inv = 1 / grid.width;
  const t0 = grid.t0;
  const log = grid.log;
  const last = nCols - 1;
  if (sorted) {
    // Sorted x: the column number is non-decreasing in i, so each column is one index range found by
    // binary search on that same column function (identical assignment to the per-point loop below),
    // and the per-point work is a tight min/max scan over ys: ~3x faster on the first frame of many runs.
    const col = (i: number): number => {
      const k = Math.floor(((log ? Math.log10(xs[i]) : xs[i]) - t0) * inv) - kMin;
      return k >= 0 ? (k > last ? last : k) : 0;
    };
    let i = from;
    if (log) {
      // x <= 0 is a prefix of sorted data: unplottable, counted.
      const j = upperBound(xs, 0, from, to);
      skipped += j - i;
      i = j;
    }
    while (i < to) {
      const k = col(i);
      // End of column k: first index in (i, to) whose column exceeds k (galloping, then binary search).
      let lo = i + 1;
      let step = 1;
      let hi = lo;
      while (hi < to && col(hi) <= k) {
        lo = hi + 1;
        hi = i + (step *= 2);
      }
      if (hi > to) hi = to;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (col(mid) <= k) lo = mid + 1;
        else hi = mid;
      }
      const end = lo;
      firstI[k] = i;
      let mi = -1;
      let xi = -1;
      let mn = 0;
      let mx = 0;
      for (let p = i; p < end; p++) {
        const y = ys[p];
        if (y - y === 0) {
          if (mi < 0) {
            mi = xi = p;
            mn = mx = y;
          } else if (y < mn) {
            mi = p;
            mn = y;
          } else if (y > mx) {
            xi = p;
            mx = y;
          }
        } else {
          if (!nfFirst || !nfCount) {
            nfFirst = new Int32Array(nCols * 3).fill(-1);
            nfCount = new Int32Array(nCols * 3);
          }
          const j = k * 3 + (y !== y ? 0 : y > 0 ? 1 : 2);
          if (nfFirst[j] < 0) nfFirst[j] = p;
          nfCount[j]++;
        }
      }
      minI[k] = mi;
      maxI[k] = xi;
      i = end;
    }
  }
  for (let i = sorted ? to : from; i < to; i++) {
    const x = xs[i];
    if (!sorted && !(x >= o.xMin && x <= o.xMax)) {
      if (x !== x) skipped++;
      continue;
    }
    const t = log ? (x > 0 ? Math.log10(x) : NaN) : x;
    if (t !== t) {
      skipped++;
      continue;
    }
    let k = Math.floor((t - t0) * inv) - kMin;
    if (!(k >= 0)) k = 0;
    else if (k > last) k = last;
    if (firstI[k] < 0) firstI[k] = i;
    const y = ys[i];
    if (y - y === 0) {
      const m = minI[k];
      if (m < 0) {
        minI[k] = i;
        maxI[k] = i;
      } else if (y < ys[m]) minI[k] = i;
      else if (y > ys[maxI[k]]) maxI[k] = i;
    } else {
      if (!nfFirst || !nfCount) {
        nfFirst = new Int32Array(nCols * 3).fill(-1);
        nfCount = new Int32Array(nCols * 3);
      }
      const j = k * 3 + (y !== y ? 0 : y > 0 ? 1 : 2);
      if (nfFirst[j] < 0) nfFirst[j] = i;
      nfCount[j]++;
    }
  }
  const push = (i: number): void => {
    out.x.push(xs[i]);
    out.y.push(ys[i]);
    out.idx.push(i);
  };
  const wantEdges = sorted && o.edges !== false;
  if (wantEdges) {
    // Nearest finite point before the window (bounded search so a long NaN run cannot stall us).
    for (let i = from - 1, n = 0; i >= scanFrom && n < 4096; i--, n++) {
      if (ys[i] - ys[i] === 0 && tOf(xs[i], grid.log) === tOf(xs[i], grid.log)) {
        push(i);
        break;
      }
    }
  }
  let lastColumn = -1;
  let tailFrom = -1;
  for (let k = 0; k < nCols; k++) {
    const a = minI[k];
    const b = maxI[k];
    if (a >= 0) {
      if (a === b) push(a);
      else {
        const first = xs[a] < xs[b] || (xs[a] === xs[b] && a < b) ? a : b;
        push(first);
        push(first === a ? b : a);
      }
    }
    if (nfFirst && nfCount) {
      for (let c = 0; c < 3; c++) {
        const j = k * 3 + c;
        if (nfFirst[j] >= 0) {
          const i = nfFirst[j];
          out.nonFinite.push({ x: xs[i], kind: kindOf(ys[i]), index: i, count: nfCount[j] });
        }
      }
    }
    if (firstI[k] >= 0) {
      lastColumn = k + kMin;
      tailFrom = firstI[k];
    }
  }
  if (wantEdges) {
    for (let i = to, n = 0; i < scanTo && n < 4096; i++, n++) {
      if (ys[i] - ys[i] === 0 && tOf(xs[i], grid.log) === tOf(xs[i], grid.log)) {
        push(i);
        break;
      }
    }
  }
  return { ...out, skipped, tailFrom, lastColumn };
}
