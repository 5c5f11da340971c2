// Checks over the logged logits/labels batches of a run: label format, logits format, loss mismatch.
// Each record is analysed once (incremental) through its summary (summary.ts: no arrays are kept);
// problems are aggregated per code into one finding each, anchored at the first batch that shows it.
import type { LogitRecord } from '../model';
import type { IndexStats } from './labels';
import { CAUSE_SAMPLES, summaryOf, type RecordSummary } from './summary';
import type { Draft } from './draft';
import { at, num, plural } from './format';
import type { LossCheck } from './mismatch';

/** Keras losses take probabilities by default (from_logits=False): probability inputs are expected there. */
/** Mismatching batches whose cause is looked for (the most frequent cause among them is reported). */
export { CAUSE_SAMPLES };

const KERAS_PROBABILITY_LOSSES = new Set(['categorical_crossentropy', 'sparse_categorical_crossentropy']);

interface Agg {
  records: number; // records showing the problem
  first: number; // index of the first one
  detail: string;
}

interface CauseAgg {
  records: number;
  first: number;
  logged: number;
  recomputed: number;
  causes: Map<string, { count: number; text: string }>;
}

const WHY: Record<string, string> = {
  'label-out-of-range':
    'PyTorch raises "Target … is out of bounds" (on GPU a device-side assert), and losses that do not check read a wrong class. Map the labels to 0…C-1, give the model one output per class, or mark samples to skip with ignore_index.',
  'label-one-based':
    'Class 0 is never a target, so one output is wasted (or label C is out of range and crashes). Subtract 1 from the labels (y - 1) so they run 0…C-1, and use C outputs.',
  'label-not-integer':
    'Class-index targets must be integer class ids (torch.long); fractional ids are truncated or rejected. Convert the labels with .long() after checking where the fractions come from, or pass probability rows [N, C] instead.',
  'label-one-hot-vs-index':
    'The loss reads the labels in the wrong form, so it trains on the wrong targets (or raises). Convert one-hot rows to class ids with labels.argmax(1), or class ids to one-hot rows with F.one_hot(labels, C).float() / to_categorical, to match the loss.',
  'label-multi-hot':
    'Softmax cross-entropy makes the classes compete for one unit of probability, so several true classes per row cannot all be learned. This is a multi-label problem: use one sigmoid per class with BCEWithLogitsLoss (binary_crossentropy) and threshold each output.',
  'label-soft-not-normalized':
    'Probability targets must be non-negative and sum to 1 per row; otherwise the loss is scaled wrongly and its minimum is not at the target. Normalise the rows (t / t.sum(1, keepdim=True)) or fix the label smoothing / mixup code.',
  'label-shape-mismatch':
    'The loss would raise, broadcast or silently compare the wrong samples/classes. Make the labels [N] class ids (or [N, C] probabilities) for logits [N, C], from the same batch and with the same number of classes.',
  'single-class-logits':
    'With C = 1, log_softmax is always 0, so the loss is always 0 and nothing is learned. For a binary problem use one logit with BCEWithLogitsLoss, or two logits with cross_entropy.',
  'probabilities-as-logits':
    'The loss applies softmax itself; applying it first (softmax twice) squashes the outputs, so gradients vanish and the loss cannot go below ~log C − 1. Remove the softmax from the model (keep it only for inference) and pass raw logits.',
  'non-finite-logits':
    'NaN/inf logits make the loss and all gradients NaN. Usually the weights already diverged: lower the learning rate, clip gradients, and check the inputs for NaN/inf.',
  'logits-unreadable':
    "These batches are not checked. Make sure the sidecar files exist in the log's folder, are regular .npy files written completely, and fit losswatch.limits.sidecarMiB.",
};

export class RecordChecker {
  private scanned = 0;
  private readonly aggs = new Map<string, Agg>();
  private readonly idx: IndexStats & { firstIndexRecord: number; firstEqualC: number; c: number } = {
    count: 0,
    zeros: 0,
    min: Infinity,
    max: -Infinity,
    equalC: 0,
    outOfRange: 0,
    firstOut: NaN,
    firstIndexRecord: -1,
    firstEqualC: -1,
    c: 0,
  };
  private nllProbabilities = false;
  private mismatch: CauseAgg | undefined;
  private unstable: CauseAgg | undefined;
  private compared = 0;

  constructor(private readonly lossCheck: LossCheck | undefined) {}

  get total(): number {
    return this.scanned;
  }

  private note(code: string, j: number, detail: string): void {
    const a = this.aggs.get(code);
    if (a) a.records++;
    else this.aggs.set(code, { records: 1, first: j, detail });
  }

  /**
   * Checks the records not scanned yet. Each record is read through its summary (summary.ts); a record
   * whose sidecars are still being read stops the scan there (it resumes on the next call, once
   * summarizeRecords has finished). Returns true when records were scanned.
   */
  scan(records: readonly LogitRecord[]): boolean {
    if (records.length === this.scanned) return false;
    const from = this.scanned;
    let j = this.scanned;
    for (; j < records.length; j++) {
      const r = records[j]!;
      const sum = summaryOf(r);
      if (!sum) break; // sidecars being read
      this.scanOne(r, sum, j);
    }
    this.scanned = j;
    return j > from;
  }

  private scanOne(r: LogitRecord, sum: RecordSummary, j: number): void {
    const a = sum.analysis;
    if (!a) {
      this.note('logits-unreadable', j, sum.error ?? 'unreadable');
      return;
    }
    for (const is of a.issues) this.note(is.code, j, is.detail);
    if (a.nonFiniteLogits > 0) this.note('non-finite-logits', j, `${a.nonFiniteLogits} of ${a.n * a.c * a.s} logits are NaN/inf`);
    if (a.probabilities && r.lossFn !== 'bce_with_logits' && !KERAS_PROBABILITY_LOSSES.has(r.lossFn ?? '')) {
      if (r.lossFn === 'nll') this.nllProbabilities = true;
      this.note('probabilities-as-logits', j, `every one of the ${a.n * a.s} rows lies in [0, 1] and sums to 1`);
    }
    if (a.index && a.index.count > 0) {
      const s = this.idx;
      const t = a.index;
      if (s.firstIndexRecord < 0) {
        s.firstIndexRecord = j;
        s.c = a.c;
      }
      if (t.equalC > 0 && s.firstEqualC < 0) s.firstEqualC = j;
      s.count += t.count;
      s.zeros += t.zeros;
      s.min = Math.min(s.min, t.min);
      s.max = Math.max(s.max, t.max);
      s.equalC += t.equalC;
      if (t.outOfRange > 0) {
        if (s.outOfRange === 0) s.firstOut = t.firstOut;
        s.outOfRange += t.outOfRange;
        this.note('label-out-of-range', j, `label ${num(t.firstOut)} is outside 0…${a.c - 1} (C = ${a.c} classes in the logits)`);
      }
    }
    if (sum.error) {
      // Readable, recomputable by the label checks, but the core rejected it: say why, do not count it as checked.
      this.note('logits-unreadable', j, sum.error);
      return;
    }
    if (!this.lossCheck || !a.recomputable || r.loggedLoss === undefined || !sum.result) return;
    if (!Number.isFinite(sum.result.loss)) {
      this.note(
        'logits-unreadable',
        j,
        `the recomputed loss is ${num(sum.result.loss)} (no target counts: every label is ignore_index or has weight 0), so the logged loss cannot be compared`,
      );
      return;
    }
    // Naming the cause: for the first CAUSE_SAMPLES mismatches only.
    const explain = (this.mismatch?.records ?? 0) + (this.unstable?.records ?? 0) < CAUSE_SAMPLES;
    const res = this.lossCheck(r, sum, explain);
    if (!res) return;
    this.compared++;
    if (res.kind !== 'ok') {
      const key = res.kind === 'unstable' ? 'unstable' : 'mismatch';
      let agg = this[key];
      if (!agg) agg = this[key] = { records: 0, first: j, logged: res.logged, recomputed: res.recomputed, causes: new Map() };
      agg.records++;
      if (res.causeKey && res.cause) {
        const c = agg.causes.get(res.causeKey);
        if (c) c.count++;
        else agg.causes.set(res.causeKey, { count: 1, text: res.cause });
      }
    }
  }

  /** Labels numbered 1…C: no 0 anywhere, and either label C occurs or enough labels reach C-1. */
  private get oneBased(): boolean {
    const s = this.idx;
    if (s.count === 0 || s.zeros > 0 || s.min < 1) return false;
    if (s.equalC > 0 && s.outOfRange === s.equalC) return true;
    return s.outOfRange === 0 && s.c > 2 && s.max === s.c - 1 && s.count >= Math.max(30, 3 * s.c);
  }

  drafts(records: readonly LogitRecord[]): Draft[] {
    const out: Draft[] = [];
    const total = this.scanned;
    const of = (k: number): string => (total > 1 ? `; in ${k} of ${plural(total, 'logged batch', 'logged batches')}` : '');
    const draft = (code: string, j: number, msg: string): void => {
      const r = records[j];
      if (!r) return;
      const p = r.provenance;
      const d: { -readonly [K in keyof Draft]: Draft[K] } = { code, message: msg, file: p.file, step: r.step };
      if (p.line !== undefined) {
        d.line = p.line;
        d.column = 1;
      }
      out.push(d);
    };
    const oneBased = this.oneBased;
    for (const [code, a] of this.aggs) {
      if (code === 'label-out-of-range' && oneBased) continue;
      const r = records[a.first];
      if (!r) continue;
      let why = WHY[code] ?? '';
      if (code === 'probabilities-as-logits' && this.nllProbabilities)
        why =
          'NLLLoss expects log-probabilities; given probabilities it returns −mean(p_y), which is negative and has the wrong gradient. Use log_softmax instead of softmax (or cross_entropy on raw logits).';
      const head: Record<string, string> = {
        'label-out-of-range': 'Label out of range',
        'label-not-integer': 'Class-index labels are not integers',
        'label-one-hot-vs-index': 'Labels in the wrong form for the loss',
        'label-multi-hot': 'Multi-hot labels under softmax cross-entropy',
        'label-soft-not-normalized': 'Probability targets are not normalised',
        'label-shape-mismatch': 'Labels do not match the logits',
        'single-class-logits': 'Softmax cross-entropy over a single class',
        'probabilities-as-logits': 'The logits look like probabilities (softmax already applied)',
        'non-finite-logits': 'Non-finite logits',
        'logits-unreadable': 'A logged batch could not be read',
      };
      const count = code === 'label-out-of-range' ? `; ${plural(this.idx.outOfRange, 'out-of-range label')} in total` : '';
      draft(code, a.first, `${head[code] ?? code}: ${a.detail}, first at ${at(r.step, r.provenance)}${of(a.records)}${count}. ${why}`);
    }
    if (oneBased) {
      const s = this.idx;
      const j = s.firstEqualC >= 0 ? s.firstEqualC : s.firstIndexRecord;
      const r = records[j];
      if (r) {
        const detail =
          s.equalC > 0
            ? `labels run ${num(s.min)}…${num(s.max)} with no 0 in ${plural(s.count, 'label')}, and label ${s.c} is out of range for C = ${s.c} classes`
            : `labels run ${num(s.min)}…${num(s.max)} with no 0 in ${plural(s.count, 'label')}, for C = ${s.c} outputs (output 0 is never a target)`;
        draft('label-one-based', j, `Labels look 1-based: ${detail}; first at ${at(r.step, r.provenance)}. ${WHY['label-one-based']}`);
      }
    }
    for (const key of ['unstable', 'mismatch'] as const) {
      const a = this[key];
      if (!a) continue;
      const r = records[a.first];
      if (!r) continue;
      let cause: string | undefined;
      let best = 0;
      for (const c of a.causes.values()) if (c.count > best) [best, cause] = [c.count, c.text];
      const counts = this.compared > 1 ? ` in ${a.records} of ${plural(this.compared, 'checked batch', 'checked batches')}` : '';
      if (key === 'unstable') {
        draft(
          'unstable-loss',
          a.first,
          `The logged loss ${num(a.logged)} at ${at(r.step, r.provenance)} is ${Number.isFinite(a.logged) ? 'off by orders of magnitude from' : 'non-finite while'} the stable recomputation from the same logits (${num(a.recomputed)})${counts}. ` +
            'The loss is computed in a numerically unstable way (e.g. log(softmax(z)), exp before log, or float16 overflow): compute it from raw logits with log_softmax or a fused cross-entropy (F.cross_entropy / nn.CrossEntropyLoss, from_logits=True in Keras).',
        );
      } else {
        const because = cause
          ? ` It matches ${cause}.`
          : ' No known cause (softmax applied twice, sum vs mean, label smoothing, class weights, log-probabilities vs logits) explains it; check that the loss is logged for exactly the logged rows.';
        draft(
          'loss-mismatch',
          a.first,
          `Logged loss ${num(a.logged)} differs from the cross-entropy recomputed from the logged logits (${num(a.recomputed)}) at ${at(r.step, r.provenance)}${counts}.${because}`,
        );
      }
    }
    return out;
  }
}
