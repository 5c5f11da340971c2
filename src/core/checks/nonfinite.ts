// non-finite-loss / non-finite-grad-norm: the first NaN/±inf of a series, later ones summarised.
import type { SeriesView } from '../model';
import { atPoint, q, relatedAt, indexAtStep, type Draft, type Related } from './draft';
import { at, num, plural } from './format';
import type { SpikeDetector } from './spikes';

function word(x: number): string {
  return Number.isNaN(x) ? 'NaN' : x > 0 ? '+inf' : '-inf';
}

export class NonFiniteTracker {
  first = -1;
  lastFinite = -1; // last finite point before `first`
  count = 0;
  last = -1;
  private scanned = 0;

  constructor(readonly code: 'non-finite-loss' | 'non-finite-grad-norm') {}

  scan(s: SeriesView): boolean {
    let changed = false;
    for (let i = this.scanned; i < s.length; i++) {
      const x = s.value(i);
      if (Number.isFinite(x)) {
        if (this.first < 0) this.lastFinite = i;
        continue;
      }
      if (this.first < 0) this.first = i;
      this.count++;
      this.last = i;
      changed = true;
    }
    this.scanned = s.length;
    return changed;
  }

  /** `grad`: the gradient-norm series and its spike detector, for the related information of a loss. */
  drafts(s: SeriesView, grad?: { series: SeriesView; spikes: SpikeDetector; window: number }): Draft[] {
    if (this.first < 0) return [];
    const i = this.first;
    const x = s.value(i);
    const what = this.code === 'non-finite-loss' ? 'Loss' : 'Gradient norm';
    const related: Related[] = [];
    let msg = `${what} ${q(s)} became ${word(x)} at ${at(s.step(i), s.provenance(i))}`;
    if (this.lastFinite >= 0) {
      const v = s.value(this.lastFinite);
      msg += `; the last finite value was ${num(v)} at ${at(s.step(this.lastFinite), s.provenance(this.lastFinite))}`;
      related.push(relatedAt(s, this.lastFinite, `last finite value: ${num(v)}`));
    } else {
      msg += '; it was never finite';
    }
    msg += '.';
    if (grad) {
      const gi = indexAtStep(grad.series, s.step(i));
      const e = gi >= 0 ? grad.spikes.lastBefore(gi, grad.window) : undefined;
      if (e) {
        msg += ` The gradient norm spiked to ${num(e.peakValue)} (robust z ${num(e.peakZ)}) at ${at(e.step, grad.series.provenance(e.peak))} before it.`;
        related.push(relatedAt(grad.series, e.peak, `gradient-norm spike before the ${word(x)}: ${num(e.peakValue)}`));
      } else if (gi >= 0) {
        // Too little history for a robust spike (early blow-up): report a ≥10× growth of the norm instead.
        const g = grad.series;
        let lo = -1;
        let hi = -1;
        for (let k = Math.max(0, gi - grad.window); k <= gi; k++) {
          const v = g.value(k);
          if (!Number.isFinite(v)) continue;
          if (lo < 0 || v < g.value(lo)) lo = k;
          if (hi < 0 || v > g.value(hi)) hi = k;
        }
        if (lo >= 0 && hi > lo && g.value(hi) >= 10 * Math.max(g.value(lo), 1e-12)) {
          msg += ` The gradient norm grew from ${num(g.value(lo))} at ${at(g.step(lo), g.provenance(lo))} to ${num(g.value(hi))} at ${at(g.step(hi), g.provenance(hi))} before it.`;
          related.push(
            relatedAt(
              g,
              hi,
              `gradient norm before the ${word(x)}: ${num(g.value(hi))} (${num(g.value(hi) / Math.max(g.value(lo), 1e-12))}× its earlier ${num(g.value(lo))})`,
            ),
          );
        }
      }
    }
    if (this.count > 1) {
      msg += ` ${plural(this.count - 1, 'later point is', 'later points are')} also non-finite, the last at ${at(s.step(this.last), s.provenance(this.last))}.`;
    }
    if (this.code === 'non-finite-loss') {
      msg +=
        ' Once the loss is NaN/inf the weights are corrupted and everything after is meaningless. Lower the learning rate (or add warm-up), clip gradients (clip_grad_norm_), check the inputs and labels for NaN, and compute the loss from raw logits with a fused cross-entropy (F.cross_entropy / log_softmax), never log(softmax(z)).';
    } else {
      msg +=
        ' Non-finite gradients corrupt the weights on the next step. Lower the learning rate, clip gradients and look for NaN in the inputs. (With mixed precision, an occasional inf on a step the GradScaler skips is expected; a series of them is not.)';
    }
    return [atPoint(this.code, s, i, msg, related)];
  }
}
