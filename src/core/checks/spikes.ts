// loss-spike / grad-norm-spike: upward outliers by robust z-score (median/MAD of a trailing window,
// on log values: losses and gradient norms are positive with multiplicative noise).
import type { SeriesView } from '../model';
import type { SpikeOptions } from './options';
import { MAD_SCALE, RollingWindow } from './robust';
import { atPoint, q, relatedAt, type Draft } from './draft';
import { at, num, plural } from './format';

/** At most this many spikes are listed as related information of the one finding per series. */
export const MAX_RELATED = 20;
/** Episodes kept for the related list and for `lastBefore` (older ones are summarised by counters). */
const MAX_KEPT = 2000;
/** A spike must also be at least this many times the median (a 10% wiggle on a very smooth curve is no spike). */
export const MIN_RATIO = 1.5;
/** log(MIN_RATIO): the pre-test on log values (no exp per point). */
const LOG_MIN_RATIO = Math.log(MIN_RATIO) - 1e-12;

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
  /** The most recent episodes (at most MAX_KEPT; `total` counts all of them). */
  readonly episodes: SpikeEpisode[] = [];
  private first: SpikeEpisode | undefined;
  private largest: SpikeEpisode | undefined;
  private total = 0;
  private points = 0;
  private lastSpikeIndex = -2;
  private scanned = 0;

  constructor(
    private readonly opts: SpikeOptions,
    readonly code: 'loss-spike' | 'grad-norm-spike',
    /** The series holds squared norms (`grad_norm_square`): judge and report their square root. */
    private readonly squared = false,
  ) {
    this.window = new RollingWindow(opts.window);
  }

  /** Minimum history before a point can be judged. */
  private get minHistory(): number {
    return Math.min(this.opts.window, 20);
  }

  /** Number of spike episodes seen so far. */
  get count(): number {
    return this.total;
  }

  /** Scans the new points; returns true when findings changed. */
  scan(s: SeriesView): boolean {
    let changed = false;
    for (let i = this.scanned; i < s.length; i++) {
      const raw = s.value(i);
      const x = this.squared ? Math.sqrt(raw) : raw;
      // Losses and gradient norms are positive with multiplicative noise: work on log values.
      // Non-finite points belong to non-finite-*; non-positive ones cannot be judged on a log scale.
      if (!Number.isFinite(x) || x <= 0) continue;
      const lx = Math.log(x);
      // (below 1.5× the median a point is no spike whatever the MAD: the O(window) MAD is skipped)
      if (this.window.size >= this.minHistory && (lx >= LOG_MIN_RATIO + this.window.median() || !(this.opts.z >= 0))) {
        const lmed = this.window.median();
        const med = Math.exp(lmed);
        const scale = Math.max(MAD_SCALE * this.window.mad(), 1e-3);
        const z = (lx - lmed) / scale;
        if (z > this.opts.z && x >= MIN_RATIO * med) {
          const last = this.episodes[this.episodes.length - 1];
          if (last && this.lastSpikeIndex === i - 1) {
            last.count++;
            // the peak of an episode is its point farthest above the median (the window adapts within it)
            if (x / med > last.peakValue / last.median)
              Object.assign(last, { peak: i, peakValue: x, peakZ: z, median: med, step: s.step(i) });
          } else {
            const e: SpikeEpisode = { start: i, peak: i, count: 1, peakValue: x, peakZ: z, median: med, step: s.step(i) };
            this.episodes.push(e);
            this.total++;
            if (!this.first) this.first = e;
            if (this.episodes.length > MAX_KEPT) this.episodes.splice(0, this.episodes.length - MAX_KEPT / 2);
          }
          const cur = this.episodes[this.episodes.length - 1]!;
          if (!this.largest || cur.peakValue / cur.median > this.largest.peakValue / this.largest.median) this.largest = cur;
          this.points++;
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

  /** One finding per series: the spikes summarised, anchored at the largest, the others as related information. */
  drafts(s: SeriesView): Draft[] {
    const big = this.largest;
    const first = this.first;
    if (!big || !first) return [];
    const what = this.code === 'loss-spike' ? 'Loss' : 'Gradient norm';
    const sq = this.squared ? ' (a squared norm: judged as its square root)' : '';
    const advice =
      this.code === 'loss-spike'
        ? 'A single bad batch (corrupt or mislabeled samples) or a too-large step can cause this; if spikes repeat or grow, lower the learning rate or clip gradients (clip_grad_norm_).'
        : 'Large gradient norms precede loss spikes and NaNs; if they repeat, clip gradients (clip_grad_norm_), lower the learning rate or add warm-up.';
    const describe = (e: SpikeEpisode): string => {
      const span =
        e.count > 1 ? `, in a run of ${plural(e.count, 'consecutive point')} from ${at(s.step(e.start), s.provenance(e.start))}` : '';
      return `${num(e.peakValue)} at ${at(e.step, s.provenance(e.peak))}${span}: ${num(e.peakValue / e.median)}× the median ${num(e.median)} of the preceding points, robust z-score ${num(e.peakZ)}`;
    };
    let msg: string;
    if (this.total === 1) {
      msg = `${what} ${q(s)}${sq} spiked to ${describe(big)} (log scale, window ${this.opts.window}). ${advice}`;
    } else {
      msg =
        `${what} ${q(s)}${sq} spiked ${this.total} times (${plural(this.points, 'point')}; robust z-score above ${num(this.opts.z)} on a log scale, window ${this.opts.window}). ` +
        `Largest: ${describe(big)}. ` +
        (first !== big ? `First: ${num(first.peakValue)} at ${at(first.step, s.provenance(first.peak))}. ` : 'It was also the first. ') +
        advice;
    }
    // Related: the other spikes with the largest ratios, up to MAX_RELATED, in series order.
    const others = this.episodes.filter((e) => e !== big);
    if (first !== big && !others.includes(first)) others.push(first);
    others.sort((a, b) => b.peakValue / b.median - a.peakValue / a.median);
    const shown = others.slice(0, MAX_RELATED).sort((a, b) => a.peak - b.peak);
    const related = shown.map((e) => relatedAt(s, e.peak, `spike: ${num(e.peakValue)} (${num(e.peakValue / e.median)}× the median)`));
    if (this.total - 1 > shown.length) msg += ` ${plural(this.total - 1 - shown.length, 'smaller spike')} not listed.`;
    return [atPoint(this.code, s, big.peak, msg, related)];
  }
}
