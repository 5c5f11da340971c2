// Inspects one logged batch (logits + labels) for label-format and logits-format problems.
// Pure shape/value inspection: no loss math here (that is the core's job, see recompute.ts).
import type { LogitRecord, LossFn, NDArray } from '../model';
import { num } from './format';

export type LabelForm = 'index' | 'dense';

/** What a loss expects its target to be. */
export type Expect = 'index' | 'probs' | 'multi' | 'either';

export function expectedForm(lossFn: LossFn | undefined): Expect {
  switch (lossFn) {
    case 'sparse_categorical_crossentropy':
    case 'nll':
      return 'index';
    case 'categorical_crossentropy':
      return 'probs';
    case 'bce_with_logits':
      return 'multi';
    default:
      return 'either'; // PyTorch cross_entropy: class indices or probabilities
  }
}

export function isIntegerDtype(a: NDArray): boolean {
  return /^[iub]/.test(a.dtype);
}

/** One problem found in a record, with a short detail for the message. */
export interface Issue {
  readonly code: string;
  readonly detail: string;
}

/** Index-label statistics of a record (for the run-wide one-based decision). */
export interface IndexStats {
  count: number; // labels that are class ids (not ignore_index)
  zeros: number;
  min: number;
  max: number;
  equalC: number; // labels exactly == C
  outOfRange: number; // < 0 or ≥ C
  firstOut: number; // first out-of-range value
}

export interface RecordAnalysis {
  readonly n: number;
  readonly c: number;
  /** Product of the spatial dims d1…dk (1 for [N, C]). */
  readonly s: number;
  readonly form?: LabelForm;
  readonly issues: Issue[];
  readonly index?: IndexStats;
  /** Logits contain NaN/±inf. */
  readonly nonFiniteLogits: number;
  /** Every logits row lies in [0, 1] and sums to 1. */
  readonly probabilities: boolean;
  /** The record can be recomputed (shapes and labels valid for the loss). */
  readonly recomputable: boolean;
}

const shapeStr = (s: readonly number[]): string => `[${s.join(', ')}]`;

export function analyzeRecord(r: LogitRecord): RecordAnalysis {
  const issues: Issue[] = [];
  let ls = [...r.logits.shape];
  let ts = [...r.labels.shape];
  const expect = expectedForm(r.lossFn);
  const softmaxLoss = expect !== 'multi';
  const bad = (code: string, detail: string): RecordAnalysis => {
    issues.push({ code, detail });
    return { n: ls[0] ?? 0, c: ls[1] ?? 0, s: 1, issues, nonFiniteLogits: 0, probabilities: false, recomputable: false };
  };
  const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
  if (ls.length === 0 || size(ls) !== r.logits.data.length) return bad('label-shape-mismatch', `logits have an invalid shape ${shapeStr(ls)}`);
  if (size(ts) !== r.labels.data.length) return bad('label-shape-mismatch', `labels have an invalid shape ${shapeStr(ts)}`);
  if (ls.length === 1) {
    // a single sample [C] (PyTorch allows target [] or [C])
    ls = [1, ls[0]!];
    ts = ts.length === 0 ? [1] : [1, ...ts];
  }
  const n = ls[0]!;
  const c = ls[1]!;
  const spatial = ls.slice(2);
  const s = size(spatial);

  // Logits: non-finite values, probabilities instead of logits.
  const z = r.logits.data;
  let nonFinite = 0;
  for (let i = 0; i < z.length; i++) if (!Number.isFinite(z[i]!)) nonFinite++;
  let probabilities = false;
  if (nonFinite === 0 && c >= 2 && n * s > 0) {
    probabilities = true;
    outer: for (let a = 0; a < n; a++) {
      for (let p = 0; p < s; p++) {
        let sum = 0;
        for (let k = 0; k < c; k++) {
          const v = z[(a * c + k) * s + p]!;
          if (v < 0 || v > 1) {
            probabilities = false;
            break outer;
          }
          sum += v;
        }
        if (Math.abs(sum - 1) > 1e-3) {
          probabilities = false;
          break outer;
        }
      }
    }
  }
  if (c === 1 && softmaxLoss) {
    issues.push({ code: 'single-class-logits', detail: `logits have shape ${shapeStr(r.logits.shape)}: one class` });
  }

  // Which form are the labels in?
  const sameAsLogits = ts.length === ls.length && ts.every((d, i) => d === ls[i]);
  const indexShape = ts.length === ls.length - 1 && ts[0] === n && ts.slice(1).every((d, i) => d === spatial[i]);
  const column = spatial.length === 0 && ts.length === 2 && ts[0] === n && ts[1] === 1 && c !== 1;
  let form: LabelForm;
  if (sameAsLogits && !(c === 1 && expect === 'index')) form = 'dense';
  else if (indexShape || column || (c === 1 && sameAsLogits)) form = 'index';
  else {
    const nOf = ts[0];
    const detail =
      nOf !== n
        ? `labels ${shapeStr(r.labels.shape)} have ${nOf ?? 0} rows but the logits ${shapeStr(r.logits.shape)} have ${n}`
        : ts.length === ls.length
          ? `labels ${shapeStr(r.labels.shape)} have ${ts[1]} classes but the logits ${shapeStr(r.logits.shape)} have ${c}`
          : `labels ${shapeStr(r.labels.shape)} do not fit the logits ${shapeStr(r.logits.shape)} (expected ${shapeStr([n, ...spatial])} class ids or ${shapeStr(ls)} probabilities)`;
    issues.push({ code: 'label-shape-mismatch', detail });
    return { n, c, s, issues, nonFiniteLogits: nonFinite, probabilities, recomputable: false };
  }

  const t = r.labels.data;
  let recomputable = true;
  let index: IndexStats | undefined;
  if (form === 'index' && expect === 'multi' && c === 1) {
    // binary classification with one logit: [N] or [N, 1] targets in [0, 1]
    for (let i = 0; i < t.length; i++) {
      const v = t[i]!;
      if (!(v >= 0 && v <= 1)) {
        issues.push({ code: 'label-soft-not-normalized', detail: `binary targets must lie in [0, 1]; found ${num(v)}` });
        recomputable = false;
        break;
      }
    }
  } else if (form === 'index') {
    if (expect === 'probs' || (expect === 'multi' && c > 1)) {
      const want = expect === 'probs' ? `one-hot / probability rows ${shapeStr(ls)}` : `multi-hot rows ${shapeStr(ls)}`;
      issues.push({
        code: 'label-one-hot-vs-index',
        detail: `labels ${shapeStr(r.labels.shape)} hold class ids but ${r.lossFn} expects ${want}`,
      });
      recomputable = false;
    }
    const ignore = r.ignoreIndex ?? -100;
    let notInt = 0;
    let firstNotInt = NaN;
    const st: IndexStats = { count: 0, zeros: 0, min: Infinity, max: -Infinity, equalC: 0, outOfRange: 0, firstOut: NaN };
    for (let i = 0; i < t.length; i++) {
      const v = t[i]!;
      if (!Number.isInteger(v)) {
        if (notInt++ === 0) firstNotInt = v;
        continue;
      }
      if (v === ignore) continue;
      st.count++;
      if (v === 0) st.zeros++;
      if (v < st.min) st.min = v;
      if (v > st.max) st.max = v;
      if (v === c) st.equalC++;
      if (v < 0 || v >= c) {
        if (st.outOfRange++ === 0) st.firstOut = v;
      }
    }
    if (notInt > 0) {
      issues.push({ code: 'label-not-integer', detail: `${notInt} of ${t.length} class-index labels are not integers (e.g. ${num(firstNotInt)})` });
      recomputable = false;
    }
    if (st.outOfRange > 0) recomputable = false;
    index = st;
  } else {
    // Dense labels, same shape as the logits.
    let binary = true;
    let outside = 0;
    let multiRows = 0;
    let emptyRows = 0;
    let offRows = 0;
    let firstOffSum = NaN;
    let rows = 0;
    for (let a = 0; a < n; a++) {
      for (let p = 0; p < s; p++) {
        rows++;
        let sum = 0;
        let ones = 0;
        let rowBinary = true;
        for (let k = 0; k < c; k++) {
          const v = t[(a * c + k) * s + p]!;
          if (!(v >= 0 && v <= 1)) outside++;
          if (v === 1) ones++;
          else if (v !== 0) rowBinary = false;
          sum += v;
        }
        if (!rowBinary) binary = false;
        if (rowBinary && ones > 1) multiRows++;
        if (rowBinary && ones === 0) emptyRows++;
        if (!(Math.abs(sum - 1) <= 1e-3)) {
          if (offRows++ === 0) firstOffSum = sum;
        }
      }
    }
    if (expect === 'index') {
      const what = binary && multiRows === 0 ? 'one-hot rows' : 'probability rows';
      issues.push({
        code: 'label-one-hot-vs-index',
        detail: `labels ${shapeStr(r.labels.shape)} are ${what} but ${r.lossFn} expects class ids ${shapeStr([n, ...spatial])} (e.g. labels.argmax(1))`,
      });
      recomputable = false;
    } else if (expect !== 'multi') {
      // (PyTorch also rejects integer one-hot rows here, but JSON logs do not keep the dtype: 1.0 reads as 1.)
      if (binary && multiRows > 0 && c > 1) {
        issues.push({ code: 'label-multi-hot', detail: `${multiRows} of ${rows} label rows mark several classes` });
      } else if (offRows > 0 || outside > 0) {
        const why =
          outside > 0
            ? `${outside} target values lie outside [0, 1]`
            : binary && emptyRows > 0
              ? `${emptyRows} of ${rows} rows mark no class at all`
              : `${offRows} of ${rows} rows sum to ${num(firstOffSum)} or another value ≠ 1`;
        issues.push({ code: 'label-soft-not-normalized', detail: why });
      }
    }
  }
  if (nonFinite > 0) recomputable = false;
  return { n, c, s, form, issues, index, nonFiniteLogits: nonFinite, probabilities, recomputable };
}
