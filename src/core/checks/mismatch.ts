// loss-mismatch / unstable-loss: the logged loss against the recomputation from the same logits,
// and the known cause that explains the logged value when one does.
import type { LogitRecord } from '../model';
import type { RecordAnalysis } from './labels';
import type { LossMismatchOptions } from './options';
import { evaluate, prepare, softmaxOf, type Prepared } from './recompute';
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

export type LossCheck = (r: LogitRecord, a: RecordAnalysis, explain?: boolean) => LossComparison | undefined;

interface Candidate {
  key: string;
  value: number;
  text: string;
}

/** −(weighted) mean of the gathered inputs x[n, y_n]: what nll_loss returns on these inputs. */
function gatheredNll(p: Prepared): number | undefined {
  const { logits, labels } = p;
  const n = logits.shape[0]!;
  const c = logits.shape[1]!;
  const s = logits.shape.slice(2).reduce((x, y) => x * y, 1);
  if (labels.data.length !== n * s) return undefined;
  const ignore = p.options.ignoreIndex ?? -100;
  const w = p.options.weight as { data: ArrayLike<number> } | null | undefined;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < s; q++) {
      const y = labels.data[i * s + q]!;
      if (y === ignore) continue;
      if (!(Number.isInteger(y) && y >= 0 && y < c)) return undefined;
      const wy = w ? w.data[y]! : 1;
      num -= wy * logits.data[(i * c + y) * s + q]!;
      den += wy;
    }
  }
  if (den === 0) return undefined;
  return p.options.reduction === 'sum' ? num : num / den;
}

function candidates(r: LogitRecord, a: RecordAnalysis, p: Prepared, logged: number, rec: number, close: (x: number, y: number) => boolean): Candidate[] {
  const out: Candidate[] = [];
  const reduction = p.options.reduction ?? 'mean';
  // Softmax applied twice: the loss was computed on softmax(z).
  if (!a.probabilities && !p.fromProbabilities) {
    const sm = softmaxOf(p);
    const v = sm ? evaluate(p, {}, sm)?.loss : undefined;
    if (v !== undefined)
      out.push({
        key: 'double-softmax',
        value: v,
        text: `the cross-entropy of softmax(logits) (${num(v)}): softmax is applied twice — the model output goes through softmax before a loss that applies it again; remove that softmax and pass raw logits (the loss is stuck near log C and gradients vanish)`,
      });
  }
  // sum vs mean
  const flipped = evaluate(p, { reduction: reduction === 'sum' ? 'mean' : 'sum' });
  if (flipped) {
    const k = reduction === 'sum' ? 'mean' : 'sum';
    out.push({
      key: `reduction-${k}`,
      value: flipped.loss,
      text:
        k === 'sum'
          ? `the sum over the batch (${num(flipped.loss)}, reduction='sum') where a mean is declared: the loss and the effective learning rate scale with the batch size; use reduction='mean' or divide by the batch size`
          : `the mean over the batch (${num(flipped.loss)}, reduction='mean') where reduction='sum' is declared: log the loss the optimiser sees, or declare reduction='mean'`,
    });
  }
  // Label smoothing: the loss is linear in ε, so two evaluations give the ε that explains the logged value.
  const declared = p.options.labelSmoothing ?? 0;
  const l0 = evaluate(p, { labelSmoothing: 0 })?.loss;
  const l1 = evaluate(p, { labelSmoothing: 1 })?.loss;
  if (l0 !== undefined && l1 !== undefined && Math.abs(l1 - l0) > 1e-12) {
    const eps = (logged - l0) / (l1 - l0);
    if (eps >= -1e-9 && eps <= 1 && Math.abs(eps - declared) > 1e-3) {
      const e = Math.max(0, Math.round(eps * 100) / 100); // settings are round numbers (0.1, 0.05 …)
      const v = evaluate(p, { labelSmoothing: e })?.loss;
      if (v !== undefined)
        out.push({
          key: 'label-smoothing',
          value: v,
          text: `label smoothing ε ≈ ${num(e)} (declared ${num(declared)}): the logged loss was computed with label_smoothing=${num(e)}; log the setting the loss really uses`,
        });
    }
  }
  // Class weights
  if (r.weight) {
    const unweighted = evaluate(p, { weight: null });
    if (unweighted)
      out.push({
        key: 'weights-not-applied',
        value: unweighted.loss,
        text: `the unweighted cross-entropy (${num(unweighted.loss)}): the declared class weights are not applied in the logged loss`,
      });
    const sum = evaluate(p, { reduction: 'sum' });
    if (sum && reduction !== 'sum') {
      const count = a.n * a.s;
      const v = sum.loss / count;
      out.push({
        key: 'weights-plain-mean',
        value: v,
        text: `the weighted sum divided by the batch size N = ${count} (${num(v)}); PyTorch divides a weighted mean by Σ w[y] of the batch (${num(sum.totalWeight)}), so the two differ whenever the classes in the batch are unbalanced`,
      });
    }
  }
  // Log-probabilities vs logits: nll_loss on inputs that are not log-probabilities.
  if (a.form === 'index' && !p.fromProbabilities) {
    const v = gatheredNll(p);
    if (v !== undefined) {
      out.push(
        a.probabilities
          ? {
              key: 'nll-on-probabilities',
              value: v,
              text: `nll_loss on probabilities (−mean p[y] = ${num(v)}): NLLLoss expects log-probabilities; use log_softmax instead of softmax, or cross_entropy on raw logits`,
            }
          : {
              key: 'nll-on-logits',
              value: v,
              text: `nll_loss on raw logits (−mean z[y] = ${num(v)}): NLLLoss expects log-probabilities, so log_softmax is missing; apply F.log_softmax first or use F.cross_entropy on the logits`,
            },
      );
    }
  }
  return out.filter((c) => Number.isFinite(c.value) && !close(c.value, rec));
}

export function makeLossCheck(o: LossMismatchOptions): LossCheck {
  const tol = (x: number): number => o.atol + o.rtol * Math.abs(x);
  const close = (x: number, y: number): boolean => Math.abs(x - y) <= tol(y);
  return (r, a, explain = true) => {
    const logged = r.loggedLoss;
    if (logged === undefined || !a.recomputable) return undefined;
    const p = prepare(r);
    if (!p) return undefined;
    const res = evaluate(p);
    if (!res || !Number.isFinite(res.loss)) return undefined;
    const rec = res.loss;
    if (Number.isFinite(logged) && close(logged, rec)) return { kind: 'ok', logged, recomputed: rec };
    if (!Number.isFinite(logged)) return { kind: 'unstable', logged, recomputed: rec };
    // The cause that explains the logged value best, if it explains it within a loose tolerance.
    let best: Candidate | undefined;
    let bestErr = Infinity;
    for (const c of explain && !p.sigmoid ? candidates(r, a, p, logged, rec, close) : []) {
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
