// loss-mismatch / unstable-loss: the logged loss against the recomputation from the same logits,
// and the known cause that explains the logged value when one does. Works on the record's summary
// (numbers only: the recomputation and the what-if values computed with it, see summary.ts).
import type { LogitRecord } from '../model';
import type { LossMismatchOptions } from './options';
import type { RecordSummary } from './summary';
import { num } from './format';

export interface LossComparison {
  kind: 'ok' | 'mismatch' | 'unstable';
  logged: number;
  recomputed: number;
  /** Stable key of the cause (for counting across batches). */
  causeKey?: string;
  /** What explains the logged value, as a phrase ("softmax applied twice: …"). */
  cause?: string;
}

/** Compares a record's logged loss with its summary; undefined = nothing to compare (no logged loss, no recomputation). */
export type LossCheck = (r: LogitRecord, s: RecordSummary, explain?: boolean) => LossComparison | undefined;

interface Candidate {
  key: string;
  value: number;
  text: string;
}

function candidates(r: LogitRecord, s: RecordSummary, logged: number, rec: number, close: (x: number, y: number) => boolean): Candidate[] {
  const out: Candidate[] = [];
  const v = s.causes;
  const a = s.analysis;
  if (!v || !a || !s.result) return out;
  const reduction = r.reduction === 'sum' ? 'sum' : 'mean';
  // Softmax applied twice: the loss was computed on softmax(z).
  if (v.doubleSoftmax !== undefined)
    out.push({
      key: 'double-softmax',
      value: v.doubleSoftmax,
      text: `the cross-entropy of softmax(logits) (${num(v.doubleSoftmax)}): softmax is applied twice — the model output goes through softmax before a loss that applies it again; remove that softmax and pass raw logits (the loss is stuck near log C and gradients vanish)`,
    });
  // sum vs mean
  if (v.flipped !== undefined) {
    const k = reduction === 'sum' ? 'mean' : 'sum';
    out.push({
      key: `reduction-${k}`,
      value: v.flipped,
      text:
        k === 'sum'
          ? `the sum over the batch (${num(v.flipped)}, reduction='sum') where a mean is declared: the loss and the effective learning rate scale with the batch size; use reduction='mean' or divide by the batch size`
          : `the mean over the batch (${num(v.flipped)}, reduction='mean') where reduction='sum' is declared: log the loss the optimiser sees, or declare reduction='mean'`,
    });
  }
  // Label smoothing: the loss is linear in ε, so the values at 0 and 1 give the ε that explains the logged value.
  const declared = r.labelSmoothing ?? 0;
  const l0 = v.smoothing0;
  const l1 = v.smoothing1;
  if (l0 !== undefined && l1 !== undefined && Math.abs(l1 - l0) > 1e-12) {
    const eps = (logged - l0) / (l1 - l0);
    if (eps >= -1e-9 && eps <= 1 && Math.abs(eps - declared) > 1e-3) {
      const e = Math.max(0, Math.round(eps * 100) / 100); // settings are round numbers (0.1, 0.05 …)
      const value = l0 + e * (l1 - l0);
      out.push({
        key: 'label-smoothing',
        value,
        text: `label smoothing ε ≈ ${num(e)} (declared ${num(declared)}): the logged loss was computed with label_smoothing=${num(e)}; log the setting the loss really uses`,
      });
    }
  }
  // Class weights
  if (v.unweighted !== undefined)
    out.push({
      key: 'weights-not-applied',
      value: v.unweighted,
      text: `the unweighted cross-entropy (${num(v.unweighted)}): the declared class weights are not applied in the logged loss`,
    });
  if (v.weightedSum !== undefined && reduction !== 'sum') {
    const count = a.n * a.s;
    const value = v.weightedSum / count;
    out.push({
      key: 'weights-plain-mean',
      value,
      text: `the weighted sum divided by the batch size N = ${count} (${num(value)}); PyTorch divides a weighted mean by Σ w[y] of the batch (${num(s.result.totalWeight)}), so the two differ whenever the classes in the batch are unbalanced`,
    });
  }
  // Log-probabilities vs logits: nll_loss on inputs that are not log-probabilities.
  if (v.gatheredNll !== undefined) {
    const g = v.gatheredNll;
    out.push(
      a.probabilities
        ? {
            key: 'nll-on-probabilities',
            value: g,
            text: `nll_loss on probabilities (−mean p[y] = ${num(g)}): NLLLoss expects log-probabilities; use log_softmax instead of softmax, or cross_entropy on raw logits`,
          }
        : {
            key: 'nll-on-logits',
            value: g,
            text: `nll_loss on raw logits (−mean z[y] = ${num(g)}): NLLLoss expects log-probabilities, so log_softmax is missing; apply F.log_softmax first or use F.cross_entropy on the logits`,
          },
    );
  }
  return out.filter((c) => Number.isFinite(c.value) && !close(c.value, rec));
}

export function makeLossCheck(o: LossMismatchOptions): LossCheck {
  const tol = (x: number): number => o.atol + o.rtol * Math.abs(x);
  const close = (x: number, y: number): boolean => Math.abs(x - y) <= tol(y);
  return (r, s, explain = true) => {
    const logged = r.loggedLoss;
    if (logged === undefined || !s.result || !Number.isFinite(s.result.loss)) return undefined;
    const rec = s.result.loss;
    if (Number.isFinite(logged) && close(logged, rec)) return { kind: 'ok', logged, recomputed: rec };
    if (!Number.isFinite(logged)) return { kind: 'unstable', logged, recomputed: rec };
    // The cause that explains the logged value best, if it explains it within a loose tolerance.
    let best: Candidate | undefined;
    let bestErr = Infinity;
    for (const c of explain && !s.result.sigmoid ? candidates(r, s, logged, rec, close) : []) {
      const err = Math.abs(logged - c.value);
      const loose = 2 * tol(c.value);
      if (err <= loose && err < bestErr && err < Math.abs(logged - rec)) {
        best = c;
        bestErr = err;
      }
    }
    if (best) return { kind: 'mismatch', logged, recomputed: rec, causeKey: best.key, cause: best.text };
    const ratio = Math.abs(logged) / Math.max(Math.abs(rec), o.atol, 1e-12);
    if (Math.abs(logged - rec) > 1 && (ratio >= 100 || ratio <= 0.01)) return { kind: 'unstable', logged, recomputed: rec };
    return { kind: 'mismatch', logged, recomputed: rec };
  };
}
