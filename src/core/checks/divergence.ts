// training-divergence: the training loss level (rolling median) rising persistently above its best,
// or exploding (the last points many times the best level). Robust to noise and single spikes.
import type { SeriesView } from '../model';
import type { DivergenceOptions } from './options';
import { MAD_SCALE, RollingWindow } from './robust';
import { atPoint, q, relatedAt, type Draft } from './draft';
import { at, num, plural } from './format';

export class DivergenceTracker {
  private readonly window: RollingWindow;
  private best = Infinity;
  private bestIdx = -1;
  private noiseAtBest = 0;
  private risenSince = -1;
  private risenCount = 0;
  private explodedSince = -1;
  private level = NaN;
  private lastIdx = -1;
  private scanned = 0;

  constructor(private readonly opts: DivergenceOptions) {
    this.window = new RollingWindow(opts.window);
  }

  private get minPoints(): number {
    return Math.min(this.opts.window, 5);
  }

  scan(s: SeriesView): boolean {
    const before = this.state();
    for (let i = this.scanned; i < s.length; i++) {
      const x = s.value(i);
      if (!Number.isFinite(x)) continue;
      this.window.push(x);
      this.lastIdx = i;
      if (this.window.size < this.minPoints) continue;
      const level = this.window.median();
      this.level = level;
      if (level < this.best) {
        this.best = level;
        this.bestIdx = i;
        this.noiseAtBest = MAD_SCALE * this.window.mad();
      }
      const threshold = this.best + Math.max(this.opts.rise * Math.abs(this.best), 3 * this.noiseAtBest, 1e-12);
      if (level > threshold) {
        if (this.risenSince < 0) this.risenSince = i;
        this.risenCount++;
      } else {
        this.risenSince = -1;
        this.risenCount = 0;
      }
      const recent = this.window.recentMedian(3);
      if (this.best > 0 && recent >= this.opts.explode * this.best) {
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
    const kind =
      this.explodedSince >= 0
        ? `is exploding: the last points are ${num(s.value(last))} (${num(this.window.recentMedian(3) / this.best)}× its best level)`
        : `has been rising for ${plural(this.risenCount, 'point')}: its level (rolling median of ${this.opts.window}) is ${num(this.level)}, ${num(this.level / this.best)}× its best`;
    const msg =
      `Training loss ${q(s)} ${kind}. Best level ${num(this.best)} around ${at(bestStep, s.provenance(this.bestIdx))}; ` +
      `rising since ${at(s.step(anchor), s.provenance(anchor))}, latest ${num(s.value(last))} at ${at(s.step(last), s.provenance(last))}. ` +
      'The optimisation is diverging: lower the learning rate (or shorten warm-up / fix the schedule), clip gradients, and resume from the checkpoint of the best step.';
    return [atPoint('training-divergence', s, anchor, msg, [relatedAt(s, this.bestIdx, `lowest training-loss level: ${num(this.best)}`)])];
  }
}
