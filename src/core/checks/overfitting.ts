// overfitting: Keras/Lightning EarlyStopping semantics on a validation-loss series, plus two guards
// that keep it quiet on healthy noisy runs: training loss must have fallen over the same window, and
// the rise must stand out of the validation noise.
import type { SeriesView } from '../model';
import type { OverfittingOptions } from './options';
import { MAD_SCALE, mad, median } from './robust';
import { atPoint, q, relatedAt, indexAtStep, type Draft } from './draft';
import { at, num, plural } from './format';

/** The rise (median of the last `patience` evaluations above the level around the best) must exceed this many noise σ. */
export const NOISE_SIGMAS = 3;

export class OverfittingTracker {
  /** Indices (into the series) of the finite evaluations, in order. */
  private readonly evals: number[] = [];
  private readonly values: number[] = [];
  private best = Infinity;
  private bestPos = -1; // position in evals
  private wait = 0;
  private firstExceedPos = -1;
  private scanned = 0;
  private cacheKey = '';
  private cached: Draft[] = [];

  constructor(private readonly opts: OverfittingOptions) {}

  scan(s: SeriesView): boolean {
    const n0 = this.evals.length;
    for (let i = this.scanned; i < s.length; i++) {
      const v = s.value(i);
      if (!Number.isFinite(v)) continue;
      const pos = this.evals.length;
      this.evals.push(i);
      this.values.push(v);
      if (v < this.best - this.opts.minDelta) {
        this.best = v;
        this.bestPos = pos;
        this.wait = 0;
        this.firstExceedPos = -1;
      } else {
        this.wait++;
        if (this.firstExceedPos < 0 && v > this.best + this.opts.minDelta) this.firstExceedPos = pos;
      }
    }
    this.scanned = s.length;
    return this.evals.length !== n0;
  }

  /** The EarlyStopping part: patience exhausted and the latest evaluation above best + minDelta. */
  get waiting(): boolean {
    const n = this.values.length;
    return n > 0 && this.wait >= this.opts.patience && this.values[n - 1]! > this.best + this.opts.minDelta && this.firstExceedPos >= 0;
  }

  /** Training-loss level at evaluation `pos`: median of the training points since the previous evaluation. */
  private trainLevel(val: SeriesView, train: SeriesView, pos: number): number {
    const step = val.step(this.evals[pos]!);
    const prevStep = pos > 0 ? val.step(this.evals[pos - 1]!) : -Infinity;
    const hi = indexAtStep(train, step);
    if (hi < 0) return NaN;
    const pts: number[] = [];
    for (let i = hi; i >= 0 && pts.length < 200; i--) {
      if (train.step(i) <= prevStep && pts.length > 0) break;
      const v = train.value(i);
      if (Number.isFinite(v)) pts.push(v);
    }
    return median(pts);
  }

  drafts(val: SeriesView, train: SeriesView | undefined): Draft[] {
    if (!this.waiting || !train) return [];
    const key = `${this.evals.length}:${train.length}`;
    if (key === this.cacheKey) return this.cached;
    this.cacheKey = key;
    this.cached = this.compute(val, train);
    return this.cached;
  }

  private compute(val: SeriesView, train: SeriesView): Draft[] {
    const n = this.values.length;
    const p = this.opts.patience;
    const last = n - 1;
    // Train fell over the same window (best evaluation → latest evaluation).
    const trainAtBest = this.trainLevel(val, train, this.bestPos);
    const trainNow = this.trainLevel(val, train, last);
    if (!(trainNow < trainAtBest)) return [];
    // The rise must stand out of the evaluation noise: σ from second differences (robust to a smooth
    // trend and to the turn of a U-shaped curve; var(x[k+1] − 2x[k] + x[k−1]) = 6σ² for white noise).
    const d2: number[] = [];
    for (let k = Math.max(2, n - 200); k < n; k++) d2.push(this.values[k]! - 2 * this.values[k - 1]! + this.values[k - 2]!);
    const sigma = d2.length >= 2 ? (MAD_SCALE * mad(d2)) / Math.sqrt(6) : 0;
    const b = this.bestPos;
    const bestLevel = median(this.values.slice(Math.max(0, b - 2), b + 3));
    const recent = median(this.values.slice(Math.max(b + 1, n - p)));
    if (!(recent - bestLevel > this.opts.minDelta + NOISE_SIGMAS * sigma)) return [];

    const bi = this.evals[b]!;
    const li = this.evals[last]!;
    const fi = this.evals[this.firstExceedPos]!;
    const now = this.values[last]!;
    const rise = now - this.best;
    const pct = this.best !== 0 ? ` (+${num((100 * rise) / Math.abs(this.best))}%)` : '';
    const gap = now - trainNow;
    const msg =
      `Validation loss ${q(val)} has not improved for ${plural(this.wait, 'evaluation')} (patience ${p}, min_delta ${num(this.opts.minDelta)}): ` +
      `best ${num(this.best)} at ${at(val.step(bi), val.provenance(bi))}, now ${num(now)} at ${at(val.step(li), val.provenance(li))}, ${num(rise)} above the best${pct}, ` +
      `while training loss ${q(train)} kept falling (${num(trainAtBest)} → ${num(trainNow)}); the gap between validation and training loss is now ${num(gap)}. ` +
      `The model is overfitting: keep the checkpoint from step ${num(val.step(bi))}, stop training there (EarlyStopping), or add regularization (weight decay, dropout, augmentation, more data).`;
    return [atPoint('overfitting', val, fi, msg, [relatedAt(val, bi, `best validation loss ${num(this.best)}: the checkpoint to keep`)])];
  }
}
