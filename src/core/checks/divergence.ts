// training-divergence: the training loss level (rolling median) rising persistently above its best, or
// exploding (the last points many times the best level). Noise-aware and sign-safe:
// - the rise of the level is measured in units of the series' own noise σ around its best level (robust
//   spread of the de-trended series: MAD of first differences / √2, so a smooth trend is not noise);
// - the recent points must show an upward trend (Mann–Kendall test) and the level must reach a new high
//   since the best (above every level seen before the trend window), so a plateau whose rolling median
//   wanders up and down is not "rising" just because its best level was a noise dip;
// - ratios to the best level are used only as an extra floor for positive losses (a doubling), never
//   for losses that can be ≤ 0 (negative log-likelihood, ELBO, GAN losses).
import type { SeriesView } from '../model';
import type { DivergenceOptions } from './options';
import { MAD_SCALE, RollingWindow, madInPlace } from './robust';
import { atPoint, q, relatedAt, type Draft } from './draft';
import { at, num, plural } from './format';

/** First differences the noise σ is taken over. */
export const NOISE_WINDOW = 100;
/** While the best keeps improving (a falling loss), σ at the best is refreshed every this many points. */
const SIGMA_REFRESH = 16;

/** The last `capacity` numbers in arrival order (O(1) push). */
class Ring {
  private readonly buf: Float64Array;
  private start = 0;
  size = 0;
  constructor(readonly capacity: number) {
    this.buf = new Float64Array(capacity);
  }
  push(x: number): number {
    if (this.size < this.capacity) {
      this.buf[this.size++] = x; // (start stays 0 until the ring is full)
      return NaN;
    }
    const dropped = this.buf[this.start]!;
    this.buf[this.start] = x;
    this.start = this.start + 1 === this.capacity ? 0 : this.start + 1;
    return dropped;
  }
  /** The k-th oldest value (0 = oldest). */
  at(k: number): number {
    const j = this.start + k;
    return this.buf[j >= this.capacity ? j - this.capacity : j]!;
  }
  /** Copies the newest k values (k ≤ size), oldest first, into dst[0, k). */
  copyTail(dst: Float64Array, k: number): void {
    // (plain loops: subarray views would allocate on every call)
    const buf = this.buf;
    const cap = this.capacity;
    let a = (this.start + this.size - k) % cap;
    for (let j = 0; j < k; j++) {
      dst[j] = buf[a]!;
      if (++a === cap) a = 0;
    }
  }
  /** Oldest first. */
  toArray(): number[] {
    const out = new Array<number>(this.size);
    for (let k = 0; k < this.size; k++) out[k] = this.at(k);
    return out;
  }
}

/**
 * Mann–Kendall trend statistic of `x` (oldest first): z > 0 for an upward trend; |z| > 2.58 is
 * significant at 1% (two-sided) for independent noise. O(n²): called on a short window only.
 */
export function mannKendallZ(x: readonly number[]): number {
  const n = x.length;
  if (n < 4) return 0;
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const xi = x[i]!;
    for (let j = i + 1; j < n; j++) s += x[j]! > xi ? 1 : x[j]! < xi ? -1 : 0;
  }
  const v = (n * (n - 1) * (2 * n + 5)) / 18;
  return s > 0 ? (s - 1) / Math.sqrt(v) : s < 0 ? (s + 1) / Math.sqrt(v) : 0;
}

/**
 * Noise σ of a series from its last k values v[0, k) (oldest first; v is overwritten): robust spread of
 * the first differences / √2 (a linear trend cancels).
 */
function noiseOf(v: Float64Array, k: number): number {
  // first differences in place: v[j] = v[j+1] − v[j] reads v[j+1] before v[j + 1] is overwritten
  let n = 0;
  for (let j = 0; j + 1 < k; j++) {
    const dx = v[j + 1]! - v[j]!;
    if (Number.isFinite(dx)) v[n++] = dx; // (finite values can still differ by more than the float range)
  }
  return n >= 3 ? (MAD_SCALE * madInPlace(v, n)) / Math.SQRT2 : 0;
}

export class DivergenceTracker {
  private readonly window: RollingWindow;
  /** The last NOISE_WINDOW + 1 finite values (σ), whose tail is the trend window. */
  private readonly values: Ring;
  private sigmaIdx = -Infinity;
  private best = Infinity;
  private bestIdx = -1;
  /** Noise σ of the series around its best level (where it was still healthy). */
  private sigmaValue = 0;
  /**
   * σ is taken lazily: at a refresh the values it is taken over are copied here, and the MAD is computed
   * only when a test needs σ (a level above the best). A falling loss refreshes often and never needs it.
   */
  private readonly sigmaSource = new Float64Array(NOISE_WINDOW + 1);
  private sigmaSourceN = -1;
  private trendZ = 0;
  /** Highest level since the best, over points older than the trend window (the band a plateau wanders in). */
  private band = -Infinity;
  /** Levels (and their indices) of the trend window, oldest first: they enter the band as they leave. */
  private readonly laggedLevel: Ring;
  private readonly laggedIdx: Ring;
  private risenSince = -1;
  private risenCount = 0;
  private explodedSince = -1;
  private level = NaN;
  private lastIdx = -1;
  private scanned = 0;

  constructor(private readonly opts: DivergenceOptions) {
    this.window = new RollingWindow(opts.window);
    const tw = this.trendWindow;
    this.values = new Ring(Math.max(NOISE_WINDOW + 1, tw));
    this.laggedLevel = new Ring(tw);
    this.laggedIdx = new Ring(tw);
  }

  private get minPoints(): number {
    return Math.min(this.opts.window, 5);
  }

  /** Points the trend test looks at. */
  private get trendWindow(): number {
    return Math.max(2 * this.opts.window, 10);
  }

  /** Noise σ of the series at its last refresh (see sigmaSource), computed on first use. */
  private get sigma(): number {
    if (this.sigmaSourceN >= 0) {
      this.sigmaValue = noiseOf(this.sigmaSource, this.sigmaSourceN);
      this.sigmaSourceN = -1;
    }
    return this.sigmaValue;
  }

  /** The trend window: the last `trendWindow` finite values, oldest first. */
  private recent(): number[] {
    const v = this.values.toArray();
    return v.slice(Math.max(0, v.length - this.trendWindow));
  }

  /** The level is far enough above the best: in noise units, and (positive losses) by the ratio floor. */
  private aboveBest(level: number): boolean {
    const d = level - this.best;
    // (the tests that need no σ first)
    if (!(d > 1e-12 * Math.max(1, Math.abs(this.best)))) return false;
    if (this.best > 0 && !(level >= (1 + this.opts.rise) * this.best)) return false;
    return d > this.opts.sigmas * this.sigma;
  }

  scan(s: SeriesView): boolean {
    const before = this.state();
    const tw = this.trendWindow;
    for (let i = this.scanned; i < s.length; i++) {
      const x = s.value(i);
      if (!Number.isFinite(x)) continue;
      this.values.push(x);
      this.window.push(x);
      this.lastIdx = i;
      if (this.window.size < this.minPoints) continue;
      const level = this.window.median();
      this.level = level;
      const oldLevel = this.laggedLevel.push(level);
      const oldIdx = this.laggedIdx.push(i);
      if (oldIdx >= this.bestIdx && oldLevel > this.band) this.band = oldLevel;
      if (level < this.best) {
        this.best = level;
        this.bestIdx = i;
        this.band = -Infinity;
        // Noise is measured where the loss was healthy: a diverging loss is noisier on its own scale
        // (multiplicative noise), which must not hide the divergence.
        if (i - this.sigmaIdx >= SIGMA_REFRESH) {
          this.sigmaSourceN = Math.min(this.values.size, NOISE_WINDOW + 1);
          this.values.copyTail(this.sigmaSource, this.sigmaSourceN);
          this.sigmaIdx = i;
        }
      }
      let risen = this.aboveBest(level);
      if (risen && this.risenCount < this.opts.patience) {
        // Not yet confirmed: a new high since the best, and the recent points trend upwards (a wandering
        // plateau does neither for long).
        const z = level > this.band && this.values.size >= tw ? mannKendallZ(this.recent()) : 0;
        risen = z >= this.opts.trendZ;
        if (risen) this.trendZ = z;
      }
      if (risen) {
        if (this.risenSince < 0) this.risenSince = i;
        this.risenCount++;
      } else {
        this.risenSince = -1;
        this.risenCount = 0;
      }
      const recent = this.window.recentMedian(3);
      if (this.best > 0 && recent >= this.opts.explode * this.best && recent - this.best > this.opts.sigmas * this.sigma) {
        if (this.explodedSince < 0) this.explodedSince = i;
      } else {
        this.explodedSince = -1;
      }
    }
    this.scanned = s.length;
    return this.state() !== before;
  }

  private get rising(): boolean {
    return this.risenCount >= this.opts.patience;
  }

  /** A key that changes whenever the finding (or its message) would change. */
  private state(): string {
    if (!this.rising && this.explodedSince < 0) return '';
    return `${this.risenSince}:${this.explodedSince}:${this.lastIdx}`;
  }

  drafts(s: SeriesView): Draft[] {
    if (!this.rising && this.explodedSince < 0) return [];
    const anchor = this.explodedSince >= 0 && (this.risenSince < 0 || !this.rising) ? this.explodedSince : this.risenSince;
    const bestStep = s.step(this.bestIdx);
    const last = this.lastIdx;
    const sig = this.sigma > 0 ? `, ${num((this.level - this.best) / this.sigma)}× its noise σ ${num(this.sigma)}` : '';
    const ratio = this.best > 0 ? `, ${num(this.level / this.best)}× its best` : '';
    const kind =
      this.explodedSince >= 0
        ? `is exploding: the last points are ${num(s.value(last))} (${num(this.window.recentMedian(3) / this.best)}× its best level)`
        : `has been rising for ${plural(this.risenCount, 'point')}: its level (rolling median of ${this.opts.window}) is ${num(this.level)}, ` +
          `${num(this.level - this.best)} above its best level${sig}${ratio}, with an upward trend (Mann–Kendall z ${num(this.trendZ)} over ${this.trendWindow} points)`;
    const msg =
      `Training loss ${q(s)} ${kind}. Best level ${num(this.best)} around ${at(bestStep, s.provenance(this.bestIdx))}; ` +
      `rising since ${at(s.step(anchor), s.provenance(anchor))}, latest ${num(s.value(last))} at ${at(s.step(last), s.provenance(last))}. ` +
      'The optimisation is diverging: lower the learning rate (or shorten warm-up / fix the schedule), clip gradients, and resume from the checkpoint of the best step.';
    return [atPoint('training-divergence', s, anchor, msg, [relatedAt(s, this.bestIdx, `lowest training-loss level: ${num(this.best)}`)])];
  }
}
