// Inspects one logged batch (logits + labels) for label-format and logits-format problems.
// Pure shape/value inspection: no loss math here (that is the core's job, see recompute.ts).
// LabelAnalyzer decides from the shapes alone, then takes the values row block by row block (a
// streamed sidecar); counts add up across blocks, so any blocking gives the one-pass result.
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
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Incremental analysis of one record: shapes at construction, values block by block, finish(). */
export class LabelAnalyzer {
  private readonly issues: Issue[] = [];
  readonly n: number;
  readonly c: number;
  readonly s: number;
  /** The label form (undefined: the shapes do not fit, the labels are not read). */
  readonly form?: LabelForm;
  /** Label values per logits row when the labels are read with the logits (0 = not read). */
  readonly labelsPerRow: number;
  private readonly expect: Expect;
  private readonly ignore: number;
  private readonly binaryOne: boolean;
  private rowsSeen = 0;
  private nonFinite = 0;
  private probRows = true;
  // index labels
  private readonly st: IndexStats = { count: 0, zeros: 0, min: Infinity, max: -Infinity, equalC: 0, outOfRange: 0, firstOut: NaN };
  private notInt = 0;
  private firstNotInt = NaN;
  private binaryBad = NaN;
  private binaryBadSeen = false;
  // dense labels
  private binary = true;
  private outside = 0;
  private multiRows = 0;
  private emptyRows = 0;
  private offRows = 0;
  private firstOffSum = NaN;
  private rows = 0;

  constructor(
    private readonly logitsShape: readonly number[],
    private readonly labelsShape: readonly number[],
    private readonly lossFn: LossFn | undefined,
    ignoreIndex: number | undefined,
  ) {
    let ls = [...logitsShape];
    let ts = [...labelsShape];
    this.expect = expectedForm(lossFn);
    this.ignore = ignoreIndex ?? -100;
    if (ls.length === 1) {
      // a single sample [C] (PyTorch allows target [] or [C])
      ls = [1, ls[0]!];
      ts = ts.length === 0 ? [1] : [1, ...ts];
    }
    const n = (this.n = ls[0] ?? 0);
    const c = (this.c = ls[1] ?? 0);
    const spatial = ls.slice(2);
    this.s = size(spatial);
    if (c === 1 && this.expect !== 'multi') {
      this.issues.push({ code: 'single-class-logits', detail: `logits have shape ${shapeStr(logitsShape)}: one class` });
    }
    const sameAsLogits = ts.length === ls.length && ts.every((d, i) => d === ls[i]);
    const indexShape = ts.length === ls.length - 1 && ts[0] === n && ts.slice(1).every((d, i) => d === spatial[i]);
    const column = spatial.length === 0 && ts.length === 2 && ts[0] === n && ts[1] === 1 && c !== 1;
    if (sameAsLogits && !(c === 1 && this.expect === 'index')) this.form = 'dense';
    else if (indexShape || column || (c === 1 && sameAsLogits)) this.form = 'index';
    else {
      const nOf = ts[0];
      const detail =
        nOf !== n
          ? `labels ${shapeStr(labelsShape)} have ${nOf ?? 0} rows but the logits ${shapeStr(logitsShape)} have ${n}`
          : ts.length === ls.length
            ? `labels ${shapeStr(labelsShape)} have ${ts[1]} classes but the logits ${shapeStr(logitsShape)} have ${c}`
            : `labels ${shapeStr(labelsShape)} do not fit the logits ${shapeStr(logitsShape)} (expected ${shapeStr([n, ...spatial])} class ids or ${shapeStr(ls)} probabilities)`;
      this.issues.push({ code: 'label-shape-mismatch', detail });
    }
    this.binaryOne = this.form === 'index' && this.expect === 'multi' && c === 1;
    this.labelsPerRow = this.form === undefined || n === 0 ? 0 : size(ts) / n;
  }

  /** Logits rows [N-block, C, d…] and, when labelsPerRow > 0, the labels of the same rows. */
  feed(z: ArrayLike<number>, rows: number, t?: ArrayLike<number>): void {
    const { c, s } = this;
    for (let i = 0; i < z.length; i++) if (!Number.isFinite(z[i]!)) this.nonFinite++;
    if (this.probRows && c >= 2) {
      outer: for (let a = 0; a < rows; a++) {
        for (let p = 0; p < s; p++) {
          let sum = 0;
          for (let k = 0; k < c; k++) {
            const v = z[(a * c + k) * s + p]!;
            if (v < 0 || v > 1) {
              this.probRows = false;
              break outer;
            }
            sum += v;
          }
          if (Math.abs(sum - 1) > 1e-3) {
            this.probRows = false;
            break outer;
          }
        }
      }
    }
    this.rowsSeen += rows;
    if (!t || this.form === undefined) return;
    if (this.binaryOne) {
      // binary classification with one logit: [N] or [N, 1] targets in [0, 1]
      if (this.binaryBadSeen) return;
      for (let i = 0; i < t.length; i++) {
        const v = t[i]!;
        if (!(v >= 0 && v <= 1)) {
          this.binaryBad = v;
          this.binaryBadSeen = true;
          break;
        }
      }
    } else if (this.form === 'index') {
      const st = this.st;
      const ignore = this.ignore;
      for (let i = 0; i < t.length; i++) {
        const v = t[i]!;
        if (!Number.isInteger(v)) {
          if (this.notInt++ === 0) this.firstNotInt = v;
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
    } else {
      for (let a = 0; a < rows; a++) {
        for (let p = 0; p < s; p++) {
          this.rows++;
          let sum = 0;
          let ones = 0;
          let rowBinary = true;
          for (let k = 0; k < c; k++) {
            const v = t[(a * c + k) * s + p]!;
            if (!(v >= 0 && v <= 1)) this.outside++;
            if (v === 1) ones++;
            else if (v !== 0) rowBinary = false;
            sum += v;
          }
          if (!rowBinary) this.binary = false;
          if (rowBinary && ones > 1) this.multiRows++;
          if (rowBinary && ones === 0) this.emptyRows++;
          if (!(Math.abs(sum - 1) <= 1e-3)) {
            if (this.offRows++ === 0) this.firstOffSum = sum;
          }
        }
      }
    }
  }

  finish(): RecordAnalysis {
    const { n, c, s, form, expect, lossFn } = this;
    const issues = [...this.issues];
    const nonFinite = this.nonFinite;
    const probabilities = nonFinite === 0 && c >= 2 && n * s > 0 && this.probRows;
    if (form === undefined) return { n, c, s, issues, nonFiniteLogits: nonFinite, probabilities, recomputable: false };
    const ls = this.logitsShape.length === 1 ? [1, this.logitsShape[0]!] : this.logitsShape;
    const spatial = ls.slice(2);
    let recomputable = true;
    let index: IndexStats | undefined;
    if (this.binaryOne) {
      if (this.binaryBadSeen) {
        issues.push({ code: 'label-soft-not-normalized', detail: `binary targets must lie in [0, 1]; found ${num(this.binaryBad)}` });
        recomputable = false;
      }
    } else if (form === 'index') {
      if (expect === 'probs' || (expect === 'multi' && c > 1)) {
        const want = expect === 'probs' ? `one-hot / probability rows ${shapeStr(ls)}` : `multi-hot rows ${shapeStr(ls)}`;
        issues.push({
          code: 'label-one-hot-vs-index',
          detail: `labels ${shapeStr(this.labelsShape)} hold class ids but ${lossFn} expects ${want}`,
        });
        recomputable = false;
      }
      if (this.notInt > 0) {
        issues.push({
          code: 'label-not-integer',
          detail: `${this.notInt} of ${size(this.labelsShape)} class-index labels are not integers (e.g. ${num(this.firstNotInt)})`,
        });
        recomputable = false;
      }
      if (this.st.outOfRange > 0) recomputable = false;
      index = { ...this.st };
    } else {
      const rows = this.rows;
      if (expect === 'index') {
        const what = this.binary && this.multiRows === 0 ? 'one-hot rows' : 'probability rows';
        issues.push({
          code: 'label-one-hot-vs-index',
          detail: `labels ${shapeStr(this.labelsShape)} are ${what} but ${lossFn} expects class ids ${shapeStr([n, ...spatial])} (e.g. labels.argmax(1))`,
        });
        recomputable = false;
      } else if (expect !== 'multi') {
        // (PyTorch also rejects integer one-hot rows here, but JSON logs do not keep the dtype: 1.0 reads as 1.)
        if (this.binary && this.multiRows > 0 && c > 1) {
          issues.push({ code: 'label-multi-hot', detail: `${this.multiRows} of ${rows} label rows mark several classes` });
        } else if (this.offRows > 0 || this.outside > 0) {
          const why =
            this.outside > 0
              ? `${this.outside} target values lie outside [0, 1]`
              : this.binary && this.emptyRows > 0
                ? `${this.emptyRows} of ${rows} rows mark no class at all`
                : `${this.offRows} of ${rows} rows sum to ${num(this.firstOffSum)} or another value ≠ 1`;
          issues.push({ code: 'label-soft-not-normalized', detail: why });
        }
      }
    }
    if (nonFinite > 0) recomputable = false;
    return { n, c, s, form, issues, index, nonFiniteLogits: nonFinite, probabilities, recomputable };
  }
}

/** One-pass analysis of a record whose arrays are in memory. */
export function analyzeRecord(r: LogitRecord): RecordAnalysis {
  const ls = r.logits.shape;
  const bad = (detail: string): RecordAnalysis => ({
    n: ls[0] ?? 0,
    c: ls[1] ?? 0,
    s: 1,
    issues: [{ code: 'label-shape-mismatch', detail }],
    nonFiniteLogits: 0,
    probabilities: false,
    recomputable: false,
  });
  if (ls.length === 0 || size(ls) !== r.logits.data.length) return bad(`logits have an invalid shape ${shapeStr(ls)}`);
  if (size(r.labels.shape) !== r.labels.data.length) return bad(`labels have an invalid shape ${shapeStr(r.labels.shape)}`);
  const a = new LabelAnalyzer(ls, r.labels.shape, r.lossFn, r.ignoreIndex);
  a.feed(r.logits.data, a.n, a.labelsPerRow > 0 ? r.labels.data : undefined);
  return a.finish();
}
