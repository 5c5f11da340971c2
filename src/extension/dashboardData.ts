// Full-resolution columnar caches of the series shown in the dashboard (host side, no `vscode`).
// Values and x coordinates are copied once from the SeriesView accessors and extended on append;
// the EMA is continued incrementally. Everything the webview receives is derived from these.
import type { RunView, SeriesView } from '../core/model';
import { emaAppend, emaInit, type EmaState } from '../shared/smooth';
import { isSorted, lowerBound, upperBound } from '../shared/downsample';
import type { Range, XAxis } from '../shared/messages';

export interface XColumn {
  xs: Float64Array;
  n: number;
  /** Non-decreasing and NaN-free over [0, n). */
  sorted: boolean;
}

interface Ema {
  weight: number;
  out: Float64Array;
  state: EmaState;
  n: number;
}

function grow(a: Float64Array, need: number): Float64Array {
  if (a.length >= need) return a;
  const b = new Float64Array(Math.max(need, a.length * 2, 16));
  b.set(a);
  return b;
}

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

export class SeriesCache {
  n = 0;
  ys: Float64Array = new Float64Array(0);
  private readonly xcols = new Map<XAxis, XColumn>();
  private ema: Ema | null = null;
  private origin = NaN;
  private stepOrigin = NaN;

  constructor(
    readonly run: RunView,
    public series: SeriesView,
    readonly generation: number,
  ) {}

  /** Reads points appended since the last sync. Returns the previous length. */
  sync(): number {
    const s = this.series;
    const from = this.n;
    const to = s.length;
    if (to < from) throw new Error(`series ${s.key} shrank from ${from} to ${to} without a reset`);
    if (to === from) return from;
    this.ys = grow(this.ys, to);
    for (let i = from; i < to; i++) this.ys[i] = s.value(i);
    this.n = to;
    for (const [axis, col] of this.xcols) this.extendX(axis, col);
    if (this.ema) this.extendEma(this.ema);
    return from;
  }

  private xAt(axis: XAxis, i: number): number {
    const s = this.series;
    switch (axis) {
      case 'step':
        return s.step(i);
      case 'epoch':
        return s.epoch(i);
      case 'wall':
        return s.wall(i);
      case 'relative':
        return (s.wall(i) - this.origin) / 1000;
      case 'relstep':
        return s.step(i) - this.stepOrigin;
    }
  }

  private extendX(axis: XAxis, col: XColumn): void {
    const from = col.n;
    const to = this.n;
    if (from >= to) return;
    col.xs = grow(col.xs, to);
    for (let i = from; i < to; i++) {
      const x = this.xAt(axis, i);
      col.xs[i] = Number.isFinite(x) ? x : NaN;
    }
    if (col.sorted) {
      col.sorted = isSorted(col.xs, from, to) && (from === 0 || col.xs[from] >= col.xs[from - 1]);
    }
    col.n = to;
  }

  /** x coordinates for an axis (NaN where unknown), built on first use. */
  x(axis: XAxis): XColumn {
    let col = this.xcols.get(axis);
    if (!col) {
      if (axis === 'relative' && Number.isNaN(this.origin)) this.origin = runOrigin(this.run);
      if (axis === 'relstep' && Number.isNaN(this.stepOrigin)) this.stepOrigin = runStepOrigin(this.run);
      col = { xs: new Float64Array(0), n: 0, sorted: true };
      this.xcols.set(axis, col);
      this.extendX(axis, col);
    }
    return col;
  }

  private extendEma(e: Ema): void {
    if (e.n >= this.n) return;
    e.out = grow(e.out, this.n);
    emaAppend(e.weight, this.ys, e.n, this.n, e.out, e.state);
    e.n = this.n;
  }

  /** Smoothed values over the full-resolution data. */
  smoothed(weight: number): Float64Array {
    if (!this.ema || this.ema.weight !== weight) {
      this.ema = { weight, out: new Float64Array(this.n), state: emaInit(), n: 0 };
    }
    this.extendEma(this.ema);
    return this.ema.out;
  }

  /** Finite x extent; on a log axis only x > 0 counts. */
  extent(axis: XAxis, log: boolean): Range | null {
    const col = this.x(axis);
    const xs = col.xs;
    const n = col.n;
    if (n === 0) return null;
    if (col.sorted) {
      const lo = log ? upperBound(xs, 0, 0, n) : 0;
      if (lo >= n) return null;
      return { min: xs[lo], max: xs[n - 1] };
    }
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = xs[i];
      if (x === x && (!log || x > 0)) {
        if (x < min) min = x;
        if (x > max) max = x;
      }
    }
    return min <= max ? { min, max } : null;
  }

  /** Index of the point logged at `step` (the first one at or after it), or -1. */
  indexOfStep(step: number): number {
    const col = this.x('step');
    if (col.sorted) {
      const i = lowerBound(col.xs, step, 0, col.n);
      return i < col.n ? i : col.n > 0 ? col.n - 1 : -1;
    }
    let best = -1;
    let bestD = Infinity;
    for (let i = 0; i < col.n; i++) {
      const d = Math.abs(col.xs[i] - step);
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }
}
