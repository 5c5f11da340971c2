// Per-series state of the dashboard's host side (no `vscode`): views of the run store, not copies.
// The points live once, in the run store; the dashboard keeps O(1) figures per series (length, x extent
// and order per axis, the best value) and O(n / BLOCK) smoothing checkpoints, and streams the store's
// columns block by block (SeriesView.readInto, or the per-point accessors) through a min/max-per-pixel
// binner whenever it needs a window. Derived x axes (relative step, epoch, time) are computed per block.
import type { RunView, SeriesView } from '../core/model';
import { emaAppend, emaInit, type EmaState } from '../shared/smooth';
import type { DownsampleResult, Grid, NonFiniteKind, NonFiniteMark } from '../shared/downsample';
import type { Range, XAxis } from '../shared/messages';

/** Points per streamed block (and between two smoothing checkpoints). */
export const BLOCK = 8192;

// Scratch blocks shared by every series (the host is single-threaded; no function here re-enters).
const scratchX = new Float64Array(BLOCK);
const scratchY = new Float64Array(BLOCK);
const scratchS = new Float64Array(BLOCK);

/** Milliseconds origin of a run's relative time: the earliest first finite wall time of its series. */
export function runOrigin(run: RunView): number {
  let origin = Infinity;
  for (const s of run.series()) {
    for (let i = 0; i < s.length && i < 64; i++) {
      const w = s.wall(i);
      if (Number.isFinite(w)) {
        if (w < origin) origin = w;
        break;
      }
    }
  }
  return origin;
}

/** First step of a run (relative-step axis: every run starts at 0): the smallest first finite step of its series. */
export function runStepOrigin(run: RunView): number {
  let origin = Infinity;
  for (const s of run.series()) {
    for (let i = 0; i < s.length && i < 64; i++) {
      const v = s.step(i);
      if (Number.isFinite(v)) {
        if (v < origin) origin = v;
        break;
      }
    }
  }
  return Number.isFinite(origin) ? origin : 0;
}

/** Running figures of one x axis over points [0, n): order and extent, extended on append. */
interface AxisStats {
  n: number;
  /** Non-decreasing and NaN-free over [0, n). */
  sorted: boolean;
  last: number;
  min: number;
  max: number;
  /** Smallest x > 0 (log axes). */
  minPos: number;
  /** Points at x <= 0 (not drawn on a log axis). */
  nonPos: number;
}

interface Smoothing {
  weight: number;
  /** EMA state at point k * BLOCK (last, count, pow triples), for k < ck. */
  states: Float64Array;
  ck: number;
}

export interface WindowOptions {
  readonly grid: Grid;
  readonly xMin: number;
  readonly xMax: number;
  /** First source index to scan (live tails). */
  readonly from?: number;
  /** Nearest finite points outside [xMin, xMax] (sorted x only). */
  readonly edges: boolean;
  readonly maxColumns: number;
  /** EMA weight; 0 = no smoothed curve. */
  readonly smoothing: number;
  /**
   * false: the raw curve is not drawn (a "smoothed only" card): raw columns are binned only in blocks that
   * hold a non-finite value (their markers), the rest of the work goes to the smoothed curve.
   */
  readonly raw?: boolean;
}

/** Whether ys[0, m) holds a NaN or ±Infinity. */
function anyNonFinite(ys: Float64Array, m: number): boolean {
  for (let k = 0; k < m; k++) {
    const y = ys[k]!;
    if (y - y !== 0) return true;
  }
  return false;
}

/**
 * One shown series: a view of the store's series plus O(1) state. Every window is computed from the
 * store's columns (full resolution) by streaming them in blocks: no copy of the series is kept.
 */
export class SeriesCache {
  /** Points seen by the last sync(). */
  n = 0;
  private readonly axes = new Map<XAxis, AxisStats>();
  private ema: Smoothing | null = null;
  private origin = NaN;
  private stepOrigin = NaN;
  /**
   * Steps are multiplied by this on step axes: a run logged per epoch only that says how many steps an
   * epoch has (`steps_per_epoch`) is placed on the common step axis (epoch e ends at step e·N).
   */
  private stepScale = 1;
  /** Lowest finite value and its index (-1: none). */
  private bestI = -1;
  private bestV = Infinity;
  private bestN = 0;

  constructor(
    readonly run: RunView,
    public series: SeriesView,
    readonly generation: number,
  ) {}

  /** Sets the step scale (see stepScale); cached axis figures of the step axes are recomputed. */
  setStepScale(scale: number): void {
    if (!(scale > 0) || scale === this.stepScale) return;
    this.stepScale = scale;
    this.axes.delete('step');
    this.axes.delete('relstep');
  }

  /** Takes in points appended since the last sync. Returns the previous length. */
  sync(): number {
    const from = this.n;
    const to = this.series.length;
    if (to < from) throw new Error(`series ${this.series.key} shrank from ${from} to ${to} without a reset`);
    this.n = to;
    return from;
  }

  /** Index of the lowest finite value, or -1 (extended over new points on demand). */
  best(): number {
    const to = this.n;
    for (let b = this.bestN; b < to; b += BLOCK) {
      const m = Math.min(BLOCK, to - b);
      this.readValues(b, m, scratchY);
      let bi = this.bestI;
      let bv = this.bestV;
      for (let k = 0; k < m; k++) {
        const y = scratchY[k];
        if (y - y === 0 && (bi < 0 || y < bv)) {
          bi = b + k;
          bv = y;
        }
      }
      this.bestI = bi;
      this.bestV = bv;
    }
    this.bestN = to;
    return this.bestI;
  }

  value(i: number): number {
    return this.series.value(i);
  }

  private readValues(from: number, n: number, out: Float64Array): void {
    const s = this.series;
    if (s.readInto) s.readInto('value', from, n, out);
    else for (let k = 0; k < n; k++) out[k] = s.value(from + k);
  }

  private origins(axis: XAxis): void {
    if (axis === 'relative' && Number.isNaN(this.origin)) this.origin = runOrigin(this.run);
    if (axis === 'relstep' && Number.isNaN(this.stepOrigin)) this.stepOrigin = runStepOrigin(this.run);
  }

  /** x of point i on an axis (NaN where unknown). */
  xAt(axis: XAxis, i: number): number {
    this.origins(axis);
    const s = this.series;
    let x: number;
    switch (axis) {
      case 'step':
        x = s.step(i) * this.stepScale;
        break;
      case 'epoch':
        x = s.epoch(i);
        break;
      case 'wall':
        x = s.wall(i);
        break;
      case 'relative':
        x = (s.wall(i) - this.origin) / 1000;
        break;
      case 'relstep':
        x = (s.step(i) - this.stepOrigin) * this.stepScale;
        break;
    }
    return x - x === 0 ? x : NaN;
  }

  /**
   * x of points [from, from + n) into out[0, n) (NaN where unknown). `finite`: the caller knows every x
   * there is finite (a sorted axis) or treats non-finite as unknown itself: plain steps are not re-checked.
   */
  fillX(axis: XAxis, from: number, n: number, out: Float64Array, finite = false): void {
    this.origins(axis);
    const s = this.series;
    if (axis === 'step' || axis === 'relstep') {
      if (s.readInto) s.readInto('step', from, n, out);
      else for (let k = 0; k < n; k++) out[k] = s.step(from + k);
      const scale = this.stepScale;
      if (finite && axis === 'step' && scale === 1) return;
      const o = axis === 'relstep' ? this.stepOrigin : 0;
      for (let k = 0; k < n; k++) {
        const x = (out[k] - o) * scale;
        out[k] = x - x === 0 ? x : NaN;
      }
      return;
    }
    for (let k = 0; k < n; k++) out[k] = this.xAt(axis, from + k);
  }

  /** Order and extent of an axis over the synced points (extended incrementally). */
  stats(axis: XAxis): AxisStats {
    let st = this.axes.get(axis);
    if (!st) {
      st = { n: 0, sorted: true, last: -Infinity, min: Infinity, max: -Infinity, minPos: Infinity, nonPos: 0 };
      this.axes.set(axis, st);
    }
    const to = this.n;
    for (let b = st.n; b < to; b += BLOCK) {
      const m = Math.min(BLOCK, to - b);
      this.fillX(axis, b, m, scratchX, true);
      let { sorted, last, min, max, minPos, nonPos } = st;
      for (let k = 0; k < m; k++) {
        const x = scratchX[k];
        if (x - x !== 0) {
          // NaN or ±Infinity: no usable x
          sorted = false;
          continue;
        }
        if (x < last) sorted = false;
        last = x;
        if (x < min) min = x;
        if (x > max) max = x;
        if (x > 0) {
          if (x < minPos) minPos = x;
        } else nonPos++;
      }
      Object.assign(st, { sorted, last, min, max, minPos, nonPos });
    }
    st.n = to;
    return st;
  }

  /** Whether x is non-decreasing and NaN-free on this axis. */
  sorted(axis: XAxis): boolean {
    return this.stats(axis).sorted;
  }

  /** Finite x extent; on a log axis only x > 0 counts. */
  extent(axis: XAxis, log: boolean): Range | null {
    const st = this.stats(axis);
    const min = log ? st.minPos : st.min;
    return min <= st.max ? { min, max: st.max } : null;
  }

  /** First index in [lo, hi) with x >= v (sorted axes). */
  lowerBound(axis: XAxis, v: number, lo: number, hi: number): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.xAt(axis, mid) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index in [lo, hi) with x > v (sorted axes). */
  upperBound(axis: XAxis, v: number, lo: number, hi: number): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.xAt(axis, mid) <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the point logged at `step` (the first one at or after it), or -1. */
  indexOfStep(step: number): number {
    const n = this.n;
    if (this.sorted('step')) {
      const i = this.lowerBound('step', step, 0, n);
      return i < n ? i : n > 0 ? n - 1 : -1;
    }
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(this.xAt('step', i) - step);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  // ------------------------------------------------------------------ smoothing

  private smoothing(weight: number): Smoothing {
    if (!this.ema || this.ema.weight !== weight) this.ema = { weight, states: new Float64Array(3 * 4), ck: 1 };
    return this.ema;
  }

  /** EMA state at point k * BLOCK (k * BLOCK <= n), from the checkpoints (computed on first use). */
  private emaStateAt(sm: Smoothing, k: number): EmaState {
    while (sm.ck <= k) {
      const j = sm.ck - 1;
      const st = this.stateOf(sm, j);
      this.readValues(j * BLOCK, BLOCK, scratchY);
      emaAppend(sm.weight, scratchY, 0, BLOCK, scratchS, st);
      this.keepState(sm, j + 1, st);
    }
    return this.stateOf(sm, k);
  }

  private stateOf(sm: Smoothing, k: number): EmaState {
    if (k === 0) return emaInit();
    return { last: sm.states[3 * k], count: sm.states[3 * k + 1], pow: sm.states[3 * k + 2] };
  }

  private keepState(sm: Smoothing, k: number, st: EmaState): void {
    if (k !== sm.ck) return;
    if (sm.states.length < 3 * (k + 1)) {
      const g = new Float64Array(Math.max(3 * (k + 1), sm.states.length * 2));
      g.set(sm.states);
      sm.states = g;
    }
    sm.states[3 * k] = st.last;
    sm.states[3 * k + 1] = st.count;
    sm.states[3 * k + 2] = st.pow;
    sm.ck = k + 1;
  }

  /**
   * Streams points [from, to) in blocks: x on `axis`, raw values and (weight > 0) smoothed values
   * computed on the full-resolution data. `fn(xs, ys, sm, base, m)` sees points [base, base + m).
   */
  scan(
    axis: XAxis,
    from: number,
    to: number,
    weight: number,
    fn: (xs: Float64Array, ys: Float64Array, sm: Float64Array | null, base: number, m: number) => void,
    /** Every x in [from, to) is finite (a sorted axis). */
    finite = false,
  ): void {
    const sm = weight > 0 ? this.smoothing(weight) : null;
    let b = from;
    while (b < to) {
      // Blocks start on BLOCK boundaries (the smoothing checkpoints); the first one may start inside.
      const blockStart = Math.floor(b / BLOCK) * BLOCK;
      const end = Math.min(to, blockStart + BLOCK);
      let st: EmaState | null = null;
      if (sm) {
        st = this.emaStateAt(sm, Math.floor(b / BLOCK));
        if (b > blockStart) {
          this.readValues(blockStart, b - blockStart, scratchY);
          emaAppend(sm.weight, scratchY, 0, b - blockStart, scratchS, st);
        }
      }
      const m = end - b;
      this.readValues(b, m, scratchY);
      this.fillX(axis, b, m, scratchX, finite);
      if (sm && st) {
        emaAppend(sm.weight, scratchY, 0, m, scratchS, st);
        if (end === blockStart + BLOCK) this.keepState(sm, end / BLOCK, st);
      }
      fn(scratchX, scratchY, sm ? scratchS : null, b, m);
      b = end;
    }
  }

  /** Min/max-per-column windows of the raw and the smoothed curve over [xMin, xMax] (see shared/downsample.ts). */
  window(axis: XAxis, o: WindowOptions): { raw: DownsampleResult; smooth: DownsampleResult | null } {
    const n = this.n;
    const sorted = this.sorted(axis);
    const scanFrom = Math.max(0, Math.min(n, Math.floor(o.from ?? 0)));
    let from = scanFrom;
    let to = n;
    const smooth = o.smoothing > 0;
    const rawOn = o.raw !== false || !smooth;
    const empty = (): { raw: DownsampleResult; smooth: DownsampleResult | null } => {
      const e = { x: [], y: [], idx: [], nonFinite: [], skipped: 0, tailFrom: -1, lastColumn: -1 };
      return { raw: e, smooth: smooth ? { ...e, x: [], y: [], idx: [], nonFinite: [] } : null };
    };
    if (o.xMax < o.xMin || from >= to) return empty();
    if (sorted) {
      from = this.lowerBound(axis, o.xMin, from, to);
      to = o.xMax === Infinity ? to : this.upperBound(axis, o.xMax, from, to);
    }
    // An open-ended window ends at the last column of the data (sorted: its last point; else the largest x).
    const dataMax = o.xMax !== Infinity ? NaN : sorted ? (to > from ? this.xAt(axis, to - 1) : NaN) : this.stats(axis).max;
    const raw = new Binner(o.grid, o.xMin, o.xMax, o.maxColumns, dataMax);
    const sm = smooth ? new Binner(o.grid, o.xMin, o.xMax, o.maxColumns, dataMax) : null;
    if (sorted) {
      if (o.grid.log) {
        // x <= 0 is a prefix of sorted data: unplottable, counted.
        const j = this.upperBound(axis, 0, from, to);
        raw.skipped += j - from;
        if (sm) sm.skipped += j - from;
        from = j;
      }
    }
    this.scan(
      axis,
      from,
      to,
      o.smoothing,
      (xs, ys, ss, base, m) => {
        if (rawOn || anyNonFinite(ys, m)) raw.add(xs, ys, base, m, sorted);
        if (sm && ss) sm.add(xs, ss, base, m, sorted);
      },
      sorted,
    );
    if (sorted && o.edges) {
      const plottable = (x: number): boolean => (o.grid.log ? x > 0 : x === x);
      // Nearest finite point on each side of the window (bounded search so a long NaN run cannot stall us).
      const edge = (start: number, dir: 1 | -1, stop: number): void => {
        if (dir < 0 ? start < stop : start >= stop) return;
        const a = dir < 0 ? Math.max(stop, start - 4095) : start;
        const b = dir < 0 ? start + 1 : Math.min(stop, start + 4096);
        let foundRaw = false;
        let foundSm = !sm;
        // Scan outward in blocks (one or two blocks at most).
        const pts: Array<{ x: number; y: number; s: number; i: number }> = [];
        this.scan(axis, a, b, o.smoothing, (xs, ys, ss, base, m) => {
          for (let k = 0; k < m; k++) pts.push({ x: xs[k], y: ys[k], s: ss ? ss[k] : NaN, i: base + k });
        });
        if (dir < 0) pts.reverse();
        for (const p of pts) {
          if (!foundRaw && p.y - p.y === 0 && plottable(p.x)) {
            raw.edge(dir, p.x, p.y, p.i);
            foundRaw = true;
          }
          if (!foundSm && sm && p.s - p.s === 0 && plottable(p.x)) {
            sm.edge(dir, p.x, p.s, p.i);
            foundSm = true;
          }
          if (foundRaw && foundSm) break;
        }
      };
      edge(from - 1, -1, scanFrom);
      edge(to, 1, n);
    }
    return { raw: raw.result(), smooth: sm ? sm.result() : null };
  }
}

function kindOf(y: number): NonFiniteKind {
  return y !== y ? 'nan' : y > 0 ? '+inf' : '-inf';
}

function grow<T extends Int32Array | Float64Array>(a: T, need: number, fill: number): T {
  if (a.length >= need) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2, 64));
  b.fill(fill as never);
  b.set(a as never);
  return b;
}

/**
 * The min/max-per-column downsampler of shared/downsample.ts, fed block by block: per grid column the
 * lowest and highest finite point (with x and source index, since blocks are not kept), the first source
 * index (live tails) and, per kind, the first non-finite point and the count. Same output as `downsample`
 * over the whole arrays (test/unit/dashboard/stream.test.ts checks it).
 */
export class Binner {
  private readonly kMin: number;
  private readonly kMaxRaw: number;
  private cols = 0;
  private minI = new Int32Array(0);
  private maxI = new Int32Array(0);
  private firstI = new Int32Array(0);
  private minX = new Float64Array(0);
  private minY = new Float64Array(0);
  private maxX = new Float64Array(0);
  private maxY = new Float64Array(0);
  private nfFirst: Int32Array | null = null;
  private nfCount: Int32Array | null = null;
  private nfX: Float64Array | null = null;
  private nfY: Float64Array | null = null;
  private before: { x: number; y: number; i: number } | null = null;
  private after: { x: number; y: number; i: number } | null = null;
  skipped = 0;
  private readonly inv: number;

  constructor(
    private readonly grid: Grid,
    private readonly xMin: number,
    private readonly xMax: number,
    private readonly maxColumns: number,
    /** With xMax = Infinity: the largest x of the data (the last column, as `downsample` computes it). */
    dataMax = NaN,
  ) {
    if (!(grid.width > 0) || !Number.isFinite(1 / grid.width) || !Number.isFinite(grid.t0))
      throw new RangeError('downsample: invalid grid');
    if (Number.isNaN(xMin) || Number.isNaN(xMax)) throw new RangeError('downsample: NaN x range');
    const t = (x: number): number => (grid.log ? (x > 0 ? Math.log10(x) : NaN) : x);
    const tMinIn = t(Math.max(xMin, grid.log ? Number.MIN_VALUE : xMin));
    this.kMin = Math.max(0, Math.floor((tMinIn - grid.t0) / grid.width));
    const tMaxIn = t(xMax);
    let kMax = Number.isFinite(tMaxIn) ? Math.floor((tMaxIn - grid.t0) / grid.width) : Infinity;
    if (kMax === Infinity) {
      const tm = t(dataMax);
      kMax = Number.isFinite(tm) ? Math.floor((tm - grid.t0) / grid.width) : this.kMin;
    }
    this.kMaxRaw = kMax;
    if (Number.isFinite(this.kMaxRaw)) {
      const n = Math.max(0, this.kMaxRaw - this.kMin + 1);
      if (n > maxColumns) throw new RangeError(`downsample: ${n} columns exceed the limit ${maxColumns}`);
    }
    this.inv = 1 / grid.width;
    // Known column count: allocate once (open-ended windows without data grow on demand).
    if (Number.isFinite(kMax) && kMax >= this.kMin && kMax - this.kMin < maxColumns) this.ensure(kMax - this.kMin);
  }

  /** Column slot k (relative to kMin), growing the arrays when the x range is open-ended. */
  private ensure(k: number): void {
    if (k < this.cols) return;
    const need = k + 1;
    if (need > this.maxColumns) throw new RangeError(`downsample: ${need} columns exceed the limit ${this.maxColumns}`);
    this.minI = grow(this.minI, need, -1);
    this.maxI = grow(this.maxI, need, -1);
    this.firstI = grow(this.firstI, need, -1);
    this.minX = grow(this.minX, need, 0);
    this.minY = grow(this.minY, need, 0);
    this.maxX = grow(this.maxX, need, 0);
    this.maxY = grow(this.maxY, need, 0);
    if (this.nfFirst) {
      this.nfFirst = grow(this.nfFirst, need * 3, -1);
      this.nfCount = grow(this.nfCount!, need * 3, 0);
      this.nfX = grow(this.nfX!, need * 3, 0);
      this.nfY = grow(this.nfY!, need * 3, 0);
    }
    this.cols = need;
  }

  private col(x: number): number {
    const g = this.grid;
    let k = Math.floor(((g.log ? Math.log10(x) : x) - g.t0) * this.inv) - this.kMin;
    if (!(k >= 0)) k = 0;
    const last = this.kMaxRaw - this.kMin;
    if (k > last) k = last;
    return k;
  }

  private nonFinite(k: number, x: number, y: number, i: number): void {
    if (!this.nfFirst) {
      const c = Math.max(this.cols, 1) * 3;
      this.nfFirst = new Int32Array(c).fill(-1);
      this.nfCount = new Int32Array(c);
      this.nfX = new Float64Array(c);
      this.nfY = new Float64Array(c);
    }
    const j = k * 3 + (y !== y ? 0 : y > 0 ? 1 : 2);
    if (this.nfFirst[j] < 0) {
      this.nfFirst[j] = i;
      this.nfX![j] = x;
      this.nfY![j] = y;
    }
    this.nfCount![j]++;
  }

  private point(k: number, x: number, y: number, i: number): void {
    if (this.firstI[k] < 0) this.firstI[k] = i;
    if (y - y === 0) {
      if (this.minI[k] < 0) {
        this.minI[k] = this.maxI[k] = i;
        this.minX[k] = this.maxX[k] = x;
        this.minY[k] = this.maxY[k] = y;
      } else if (y < this.minY[k]) {
        this.minI[k] = i;
        this.minX[k] = x;
        this.minY[k] = y;
      } else if (y > this.maxY[k]) {
        this.maxI[k] = i;
        this.maxX[k] = x;
        this.maxY[k] = y;
      }
    } else this.nonFinite(k, x, y, i);
  }

  /** Points base + [0, m): xs[k], ys[k]. `sorted`: x is non-decreasing and inside [xMin, xMax] (callers cut it). */
  add(xs: Float64Array, ys: Float64Array, base: number, m: number, sorted: boolean): void {
    const log = this.grid.log;
    if (sorted) {
      // Column number non-decreasing in k: one column is one index range (galloping, then binary search),
      // and the per-point work is a tight min/max scan.
      let k = 0;
      while (k < m) {
        const x0 = xs[k];
        if (log && !(x0 > 0)) {
          this.skipped++;
          k++;
          continue;
        }
        const c = this.col(x0);
        this.ensure(c);
        let lo = k + 1;
        let step = 1;
        let hi = lo;
        while (hi < m && this.col(xs[hi]) <= c) {
          lo = hi + 1;
          hi = k + (step *= 2);
        }
        if (hi > m) hi = m;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (this.col(xs[mid]) <= c) lo = mid + 1;
          else hi = mid;
        }
        const end = lo;
        if (this.firstI[c] < 0) this.firstI[c] = base + k;
        let mi = this.minI[c];
        let xi = this.maxI[c];
        let mn = this.minY[c];
        let mx = this.maxY[c];
        let miK = -1;
        let xiK = -1;
        for (let p = k; p < end; p++) {
          const y = ys[p];
          if (y - y === 0) {
            if (mi < 0) {
              mi = xi = base + p;
              miK = xiK = p;
              mn = mx = y;
            } else if (y < mn) {
              mi = base + p;
              miK = p;
              mn = y;
            } else if (y > mx) {
              xi = base + p;
              xiK = p;
              mx = y;
            }
          } else this.nonFinite(c, xs[p], y, base + p);
        }
        if (miK >= 0) {
          this.minI[c] = mi;
          this.minX[c] = xs[miK];
          this.minY[c] = mn;
        }
        if (xiK >= 0) {
          this.maxI[c] = xi;
          this.maxX[c] = xs[xiK];
          this.maxY[c] = mx;
        }
        k = end;
      }
      return;
    }
    const xMin = this.xMin;
    const xMax = this.xMax;
    for (let k = 0; k < m; k++) {
      const x = xs[k];
      if (!(x >= xMin && x <= xMax)) {
        if (x !== x) this.skipped++;
        continue;
      }
      if (log && !(x > 0)) {
        this.skipped++;
        continue;
      }
      const c = this.col(x);
      this.ensure(c);
      this.point(c, x, ys[k], base + k);
    }
  }

  /** The nearest finite point before (dir -1) or after (dir 1) the window. */
  edge(dir: 1 | -1, x: number, y: number, i: number): void {
    if (dir < 0) this.before = { x, y, i };
    else this.after = { x, y, i };
  }

  result(): DownsampleResult {
    // arrays of their final length (no regrowth: with 1,000 runs a frame's windows made ~40 MB of
    // garbage growing them one push at a time)
    let n = (this.before ? 1 : 0) + (this.after ? 1 : 0);
    for (let k = 0; k < this.cols; k++) {
      const a = this.minI[k];
      if (a >= 0) n += a === this.maxI[k] ? 1 : 2;
    }
    const x = new Array<number>(n);
    const y = new Array<number>(n);
    const idx = new Array<number>(n);
    let m = 0;
    const nonFinite: NonFiniteMark[] = [];
    const push = (px: number, py: number, pi: number): void => {
      x[m] = px;
      y[m] = py;
      idx[m++] = pi;
    };
    if (this.before) push(this.before.x, this.before.y, this.before.i);
    let lastColumn = -1;
    let tailFrom = -1;
    for (let k = 0; k < this.cols; k++) {
      const a = this.minI[k];
      const b = this.maxI[k];
      if (a >= 0) {
        if (a === b) push(this.minX[k], this.minY[k], a);
        else {
          const ax = this.minX[k];
          const bx = this.maxX[k];
          if (ax < bx || (ax === bx && a < b)) {
            push(ax, this.minY[k], a);
            push(bx, this.maxY[k], b);
          } else {
            push(bx, this.maxY[k], b);
            push(ax, this.minY[k], a);
          }
        }
      }
      if (this.nfFirst) {
        for (let c = 0; c < 3; c++) {
          const j = k * 3 + c;
          if (this.nfFirst[j] >= 0)
            nonFinite.push({ x: this.nfX![j], kind: kindOf(this.nfY![j]), index: this.nfFirst[j], count: this.nfCount![j] });
        }
      }
      if (this.firstI[k] >= 0) {
        lastColumn = k + this.kMin;
        tailFrom = this.firstI[k];
      }
    }
    if (this.after) push(this.after.x, this.after.y, this.after.i);
    return { x, y, idx, nonFinite, skipped: this.skipped, tailFrom, lastColumn };
  }
}
