// loss-spike / grad-norm-spike: upward outliers by robust z-score (median/MAD of a trailing window,
// on log values: losses and gradient norms are positive with multiplicative noise).
import type { SeriesView } from '../model';
import type { SpikeOptions } from './options';
import { MAD_SCALE, RollingWindow } from './robust';
import { atPoint, q, type Draft } from './draft';
import { at, num, plural } from './format';

/** At most this many spike findings per series; the last one counts the rest. */
export const MAX_SPIKES = 20;
/** A spike must also be at least this many times the median (a 10% wiggle on a very smooth curve is no spike). */
export const MIN_RATIO = 1.5;

export interface SpikeEpisode {
  start: number;
  peak: number;
  count: number;
  peakValue: number;
  peakZ: number;
  median: number;
  step: number; // step of the peak
}

export class SpikeDetector {
  private readonly window: RollingWindow;
  readonly episodes: SpikeEpisode[] = [];
  private lastSpikeIndex = -2;
  private scanned = 0;

  constructor(
    private readonly opts: SpikeOptions,
    readonly code: 'loss-spike' | 'grad-norm-spike',
  ) {
    this.window = new RollingWindow(opts.window);
  }

  /** Minimum history before a point can be judged. */
  private get minHistory(): number {
    return Math.min(this.opts.window, 20);
  }

  /** Scans the new points; returns true when findings changed. */
  scan(s: SeriesView): boolean {
    let changed = false;
    for (let i = this.scanned; i < s.length; i++) {
      const x = s.value(i);
      // Losses and gradient norms are positive with multiplicative noise: work on log values.
      // Non-finite points belong to non-finite-*; non-positive ones cannot be judged on a log scale.
      if (!Number.isFinite(x) || x <= 0) continue;
      const lx = Math.log(x);
      if (this.window.size >= this.minHistory) {
        const lmed = this.window.median();
        const med = Math.exp(lmed);
        const scale = Math.max(MAD_SCALE * this.window.mad(), 1e-3);
        const z = (lx - lmed) / scale;
        if (z > this.opts.z && x >= MIN_RATIO * med) {
          const last = this.episodes[this.episodes.length - 1];
          if (last && this.lastSpikeIndex === i - 1) {
            last.count++;
            if (z > last.peakZ) Object.assign(last, { peak: i, peakValue: x, peakZ: z, median: med, step: s.step(i) });
          } else {
            this.episodes.push({ start: i, peak: i, count: 1, peakValue: x, peakZ: z, median: med, step: s.step(i) });
          }
          this.lastSpikeIndex = i;
          changed = true;
        }
      }
      this.window.push(lx);
    }
    this.scanned = s.length;
    return changed;
  }

  /** The latest episode whose peak lies within `maxBack` points before index `before` of the series. */
  lastBefore(before: number, maxBack: number): SpikeEpisode | undefined {
    for (let k = this.episodes.length - 1; k >= 0; k--) {
      const e = this.episodes[k]!;
      if (e.peak > before) continue;
      return before - e.peak <= maxBack ? e : undefined;
    }
    return undefined;
  }

  drafts(s: SeriesView): Draft[] {
    const out: Draft[] = [];
    const what = this.code === 'loss-spike' ? 'Loss' : 'Gradient norm';
    const advice =
      this.code === 'loss-spike'
        ? 'A single bad batch (corrupt or mislabeled samples) or a too-large step can cause this; if spikes repeat or grow, lower the learning rate or clip gradients (clip_grad_norm_).'
        : 'Large gradient norms precede loss spikes and NaNs; if they repeat, clip gradients (clip_grad_norm_), lower the learning rate or add warm-up.';
    const n = Math.min(this.episodes.length, MAX_SPIKES);
    for (let k = 0; k < n; k++) {
      const e = this.episodes[k]!;
      const span = e.count > 1 ? ` (${plural(e.count, 'consecutive point')} from ${at(s.step(e.start), s.provenance(e.start))})` : '';
      let msg =
        `${what} ${q(s)} spiked to ${num(e.peakValue)} at ${at(e.step, s.provenance(e.peak))}${span}: ` +
        `${num(e.peakValue / e.median)}× the median ${num(e.median)} of the preceding points, robust z-score ${num(e.peakZ)} (log scale, window ${this.opts.window}). ${advice}`;
      if (k === n - 1 && this.episodes.length > n) msg += ` ${plural(this.episodes.length - n, 'more spike')} later in this series are not listed.`;
      out.push(atPoint(this.code, s, e.peak, msg));
    }
    return out;
  }
}
