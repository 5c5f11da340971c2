// Plain-text console logs. Conservative: a line yields points only in a recognised shape — a step/epoch
// anchor with metric-like `name value` pairs (`iter 100: loss 2.3`, `step 250: train loss 1.9, val loss 2.0`,
// `| epoch 001 | loss 9.5 | … | num_updates 100`), a Keras epoch summary after `Epoch 3/10`, a tqdm /
// Lightning bar with a postfix, a Hugging Face / fairseq dict (`{'loss': 3.4, 'epoch': 0.1}`), or
// build-nanogpt's `0 train 10.95` — so arbitrary program output does not become series. User patterns
// (`losswatch.textPatterns`, RE2 syntax, linear time) are tried first.
//
// Cost is linear in the line: a single-pass tokenizer (text/scan.ts) and recognisers that walk its tokens
// a bounded number of times; no backtracking regular expression runs on the log text.
import type { LineParser, Sink } from '../sink';
import { utf8 } from '../sink';
import { compilePatterns, matchPatterns, type UserPattern } from './text/patterns';
import { K, Tokens } from './text/scan';

/** Non-blank lines without any point after which the file is reported once as unrecognised. */
export const SILENT_LINES = 200;
/** Longer lines are not console metric lines: skipped without a report (printed tensors, base64 blobs). */
export const MAX_TEXT_LINE = 2 * 1024 * 1024;

const METRIC_NAME =
  /(loss|acc|accuracy|^lr$|_lr$|learning_rate|grad|norm|ppl|perplexity|f1|^l1$|^l2$|precision|recall|auc|^map|iou|bleu|rouge|err|mse|mae|rmse|top1|top5|top-1|top-5|score|wer|cer|dice)/i;
/** Words of a multi-word metric label ("Accuracy on Test set") at most. */
const MAX_LABEL_WORDS = 6;
/** Function words a multi-word label does not start with (they end the sentence before it). */
const LABEL_STOP = new Set([
  'with',
  'at',
  'on',
  'of',
  'for',
  'and',
  'to',
  'from',
  'in',
  'by',
  'the',
  'a',
  'an',
  'is',
  'was',
  'are',
  'were',
]);
const STEP_WORDS = new Set(['step', 'steps', 'iter', 'iteration', 'it', 'global_step', 'num_updates']);
const EPOCH_WORDS = new Set(['epoch']);
const SPLIT_PREFIX = new Set(['train', 'training', 'val', 'valid', 'validation', 'eval', 'test', 'dev']);
const COUNTER_UNITS = new Set(['batches', 'batch', 'steps', 'iters', 'iterations']);
/** bar postfix metrics computed once per epoch / validation run (`val_loss`, `valid/acc`, `train_loss_epoch`) */
const EPOCH_LEVEL = /^(val|valid|validation|eval|test)[_/.-]|_epoch$/i;
/** a key naming its split: `val_loss`, `train-acc` */
const SPLIT_KEY = /^(train|training|val|valid|validation|eval|test|dev)[_-]/i;
const DICT_STEP_KEYS = new Set(['step', 'global_step', 'num_updates', 'iter', 'iteration']);
const DICT_SKIP_KEYS = new Set(['update']); // fairseq: fractional epoch, not a metric
const NANO_SPLITS: Record<string, string> = {
  train: 'train/loss',
  val: 'val/loss',
  valid: 'valid/loss',
  test: 'test/loss',
  hella: 'hella/acc_norm',
};

const CH_COLON = 0x3a;
const CH_EQ = 0x3d;
const CH_HASH = 0x23;
const CH_PIPE = 0x7c;
const CH_DASH = 0x2d;
const CH_COMMA = 0x2c;
const CH_LBRACK = 0x5b;
const CH_RBRACK = 0x5d;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;
const CH_SQUOTE = 0x27;
const CH_DQUOTE = 0x22;

export class TextParser implements LineParser {
  private readonly patterns: UserPattern[];
  private readonly tk = new Tokens();
  private used = new Uint8Array(64);
  private readonly ids = new Map<string, number>();
  private records = 0;
  private kerasEpoch = NaN;
  private kerasCount = 0;
  private kerasStepsPerEpoch = NaN;
  /** series already given a value for the current Keras epoch (a redrawn final bar, a later evaluate()) */
  private readonly kerasKeys = new Set<string>();
  private hfTrain = 0;
  private hfEval = 0;
  private lastBarStep = NaN;
  private readonly barKeys = new Set<string>();
  /** last value of each epoch-level bar postfix metric (Lightning shows `val_loss=…` on every update) */
  private readonly barEpochLevel = new Map<string, number>();
  private batchTotal = NaN;
  /** epoch of the last anchor-only line ("Epoch [3/40]"), for the metric lines printed under it */
  private headerEpoch = NaN;
  private readonly headerKeys = new Set<string>();
  private nonBlank = 0;
  private firstNonBlank = 0;
  private emitted = false;
  private silentReported = false;

  constructor(
    private readonly sink: Sink,
    userPatterns: readonly string[] = [],
  ) {
    const { patterns, rejected } = compilePatterns(userPatterns);
    this.patterns = patterns;
    if (rejected.length > 0) sink.error(`invalid text pattern in settings: ${rejected.join('; ')}`);
  }

  reset(): void {
    this.ids.clear();
    this.records = 0;
    this.kerasEpoch = NaN;
    this.kerasCount = 0;
    this.kerasStepsPerEpoch = NaN;
    this.kerasKeys.clear();
    this.hfTrain = 0;
    this.hfEval = 0;
    this.lastBarStep = NaN;
    this.barKeys.clear();
    this.barEpochLevel.clear();
    this.batchTotal = NaN;
    this.headerEpoch = NaN;
    this.headerKeys.clear();
    this.nonBlank = 0;
    this.firstNonBlank = 0;
    this.emitted = false;
    this.silentReported = false;
  }

  private emit(name: string, step: number, v: number, epoch: number, line: number): void {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.sink.series(name);
      this.ids.set(name, id);
    }
    this.emitted = true;
    this.sink.point(id, step, v, NaN, epoch, line);
  }

  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    if (e - s > MAX_TEXT_LINE) {
      this.countLine(lineNo);
      return;
    }
    const cr = b.subarray(s, e).lastIndexOf(13);
    if (cr >= 0) s += cr + 1; // a progress bar rewriting itself: the last state counts
    const tk = this.tk;
    tk.scan(b, s, e);
    if (tk.n === 0) return; // blank
    try {
      if (this.patterns.length > 0 && this.userLine(utf8(b, s, e), lineNo)) return;
      if (this.used.length < tk.n) this.used = new Uint8Array(Math.max(tk.n, this.used.length * 2));
      // the first shape that recognises the line wins
      if (!this.dict(lineNo) && !this.keras(lineNo) && !this.bar(lineNo) && !this.nano(lineNo)) this.generic(lineNo);
    } finally {
      tk.shrink();
      if (this.used.length > 4096) this.used = new Uint8Array(64);
      this.countLine(lineNo);
    }
  }

  private countLine(lineNo: number): void {
    if (this.nonBlank++ === 0) this.firstNonBlank = lineNo;
    if (this.nonBlank === SILENT_LINES && !this.emitted && !this.silentReported) {
      this.silentReported = true;
      this.sink.error(
        `no metrics recognised in the first ${SILENT_LINES} lines of this text log; if it is a training log, set losswatch.textPatterns (named groups step, epoch and one per metric) or log JSONL/CSV`,
        this.firstNonBlank,
      );
    }
  }

  private userLine(text: string, lineNo: number): boolean {
    const m = matchPatterns(this.patterns, text);
    if (!m) return false;
    const rec = this.records++;
    let step = m.step;
    if (step !== step) step = m.epoch === m.epoch ? m.epoch : rec;
    for (const [k, v] of m.values) this.emit(k, step, v, m.epoch, lineNo);
    return true;
  }

  // ---- Hugging Face Trainer / fairseq dicts: {'loss': 3.4, 'learning_rate': '4.9e-05', 'epoch': 0.1} ----
  private dict(lineNo: number): boolean {
    const tk = this.tk;
    const n = tk.n;
    if (!tk.isPunct(n - 1, CH_RBRACE)) return false;
    let i = 0;
    while (i < n && !tk.isPunct(i, CH_LBRACE)) i++;
    if (i >= n - 1) return false;
    i++;
    const entries: [string, number][] = [];
    const seen = new Set<string>();
    let any = false;
    while (i < n - 1) {
      const q = tk.kind[i] === K.Punct ? tk.ch(i) : -1;
      if (q !== CH_SQUOTE && q !== CH_DQUOTE) return false;
      let j = i + 1;
      while (j < n && !tk.isPunct(j, q)) j++;
      if (j >= n) return false;
      const key = span(tk.buf, tk.a[i]! + 1, tk.a[j]!);
      i = j + 1;
      if (!tk.isPunct(i, CH_COLON)) return false;
      i++;
      let v: number | undefined;
      if (tk.kind[i] === K.Num) {
        v = tk.num(i);
        i++;
      } else if (tk.kind[i] === K.Punct && (tk.ch(i) === CH_SQUOTE || tk.ch(i) === CH_DQUOTE)) {
        const q2 = tk.ch(i);
        let k = i + 1;
        while (k < n && !tk.isPunct(k, q2)) k++;
        if (k >= n) return false;
        if (k === i + 2 && tk.kind[i + 1] === K.Num) v = tk.num(i + 1); // quoted number: '3.412'
        i = k + 1;
      } else if (tk.kind[i] === K.Word) {
        i++; // True, None, null
      } else return false; // nested values: not a flat metrics dict
      if (key !== undefined && v !== undefined && !seen.has(key)) {
        seen.add(key); // a repeated key: the first value counts
        entries.push([key, v]);
        const lk = key.toLowerCase();
        if (lk.includes('loss') || lk.startsWith('eval_') || lk === 'train_runtime') any = true;
      }
      if (tk.isPunct(i, CH_COMMA)) i++;
      else if (i !== n - 1) return false;
    }
    if (!any) return false;
    let step = NaN;
    let epoch = NaN;
    let summary = false;
    let evalDict = false;
    for (const [k, v] of entries) {
      const lk = k.toLowerCase();
      if (lk === 'epoch') epoch = v;
      else if (step !== step && (DICT_STEP_KEYS.has(lk) || lk.endsWith('_num_updates'))) step = v;
      if (lk === 'train_runtime') summary = true;
      if (lk.startsWith('eval_')) evalDict = true;
    }
    if (summary) {
      // the Trainer's end-of-training summary: run metadata, not a point
      for (const [k, v] of entries) this.sink.meta(k, v);
      return true;
    }
    if (step !== step) {
      // HF prints no step: x is the index of the training-log dict (1, 2, …, one per logging_steps); an
      // evaluation dict takes the index of the training dict printed before it, so train and eval points of
      // the same global step line up. (Epoch is kept as the epoch but not used as x: it is rounded to two
      // decimals and repeats on large datasets.)
      if (evalDict) step = this.hfTrain > 0 ? this.hfTrain : ++this.hfEval;
      else step = ++this.hfTrain;
    }
    this.records++;
    for (const [k, v] of entries) {
      const lk = k.toLowerCase();
      if (lk === 'epoch' || DICT_STEP_KEYS.has(lk) || lk.endsWith('_num_updates') || DICT_SKIP_KEYS.has(lk)) continue;
      this.emit(k, step, v, epoch, lineNo);
    }
    return true;
  }

  // ---- Keras model.fit: "Epoch 3/10", then "1875/1875 [====] - 5s 3ms/step - loss: 0.29 - accuracy: 0.91" ----
  private keras(lineNo: number): boolean {
    const tk = this.tk;
    const n = tk.n;
    if (n === 2 && tk.kind[1] === K.Ratio && tk.lower(0) === 'epoch' && tk.kind[0] === K.Word) {
      this.kerasEpoch = tk.ratioI(1);
      this.kerasKeys.clear();
      this.headerEpoch = this.kerasEpoch; // hand-written loops print "Epoch 3/10" too, then their own lines
      this.headerKeys.clear();
      return true;
    }
    if (tk.kind[0] !== K.Ratio || n < 2) return false;
    let i = 1;
    if (tk.isPunct(1, CH_LBRACK)) {
      while (i < n && !tk.isPunct(i, CH_RBRACK)) i++; // [=====>....]
      if (i >= n) return false;
      i++;
    } else if (tk.kind[1] === K.Other)
      i = 2; // ━━━━ (Keras 3)
    else if (!tk.isPunct(1, CH_DASH)) return false; // verbose=2: "128/128 - 5s - loss: 3.1"
    for (let j = i; j < n; j++) if (tk.kind[j] === K.Word && tk.text(j) === 'ETA') return true; // batch progress
    if (tk.ratioI(0) !== tk.ratioN(0)) return true; // batch progress (Keras 3 prints no ETA word)
    const pts: [string, number][] = [];
    const seen = new Set<string>();
    for (let j = i; j + 3 < n; j++) {
      if (!tk.isPunct(j, CH_DASH) || tk.kind[j + 1] !== K.Word || !tk.isPunct(j + 2, CH_COLON) || tk.kind[j + 3] !== K.Num) continue;
      const name = tk.text(j + 1);
      if (name !== '' && !this.kerasKeys.has(name) && !seen.has(name)) {
        seen.add(name);
        pts.push([name, tk.num(j + 3)]);
      }
    }
    if (pts.length === 0) return true;
    const known = this.kerasEpoch === this.kerasEpoch;
    const step = known ? this.kerasEpoch : ++this.kerasCount;
    // the run says how many steps an epoch has: charts can place its epochs on a step axis
    const spe = tk.ratioN(0);
    if (known && spe > 0 && spe !== this.kerasStepsPerEpoch) {
      this.kerasStepsPerEpoch = spe;
      this.sink.meta('steps_per_epoch', spe);
    }
    this.records++;
    for (const [k, v] of pts) {
      if (known) {
        this.kerasKeys.add(k);
        this.headerKeys.add(k);
      }
      this.emit(k, step, v, this.kerasEpoch, lineNo);
    }
    return true;
  }

  // ---- tqdm / Lightning: "Epoch 3:  45%|████▌     | 450/1000 [00:10<00:12, 43.2it/s, loss=0.123, v_num=0]" ----
  private bar(lineNo: number): boolean {
    const tk = this.tk;
    const n = tk.n;
    let pct = -1;
    for (let i = 1; i < n; i++) {
      if (
        tk.isPunct(i, CH_PIPE) &&
        tk.sp[i] === 0 &&
        (tk.kind[i - 1] === K.Pct || tk.kind[i - 1] === K.Other) &&
        tk.buf[tk.z[i - 1]! - 1] === 0x25
      ) {
        pct = i;
        break;
      }
    }
    let i: number;
    let counter: number;
    let total: number;
    let descEnd: number; // the description ("Epoch 3") is before this token
    if (pct >= 0) {
      i = pct + 1;
      while (i < n && !tk.isPunct(i, CH_PIPE)) i++;
      i++;
      if (i >= n || tk.kind[i] !== K.Ratio || !tk.isPunct(i + 1, CH_LBRACK)) return false;
      counter = tk.ratioI(i);
      total = tk.ratioN(i);
      descEnd = pct - 1;
    } else {
      // unknown total: "Epoch 2: 450it [00:10, 43.2it/s, loss=0.1]"
      i = 0;
      while (
        i < n &&
        !(tk.kind[i] === K.Other && tk.buf[tk.z[i]! - 1] === 0x74 && tk.isPunct(i + 1, CH_LBRACK) && /^\d+it$/.test(tk.text(i)))
      )
        i++;
      if (i >= n) return false;
      counter = Number(tk.text(i).slice(0, -2));
      total = NaN;
      descEnd = i;
    }
    let close = i + 2;
    while (close < n && !tk.isPunct(close, CH_RBRACK)) close++; // text may follow the bar (`Trainer.fit` stopped…)
    if (close >= n) return false;
    let epoch = NaN;
    for (let j = 0; j < descEnd; j++) {
      if (tk.kind[j] !== K.Word || !EPOCH_WORDS.has(tk.lower(j))) continue;
      const k = tk.isPunct(j + 1, CH_COLON) ? j + 2 : j + 1;
      if (k < descEnd && (tk.kind[k] === K.Num || tk.kind[k] === K.Ratio)) {
        const v = tk.kind[k] === K.Num ? tk.num(k) : tk.ratioI(k);
        if (Number.isInteger(v) && v >= 0) epoch = v;
      }
      break;
    }
    const pts: [string, number][] = [];
    const seen = new Set<string>();
    for (let j = i + 2; j + 2 < close; j++) {
      if (tk.kind[j] !== K.Word || !tk.isPunct(j + 1, CH_EQ) || tk.kind[j + 2] !== K.Num) continue;
      const name = tk.text(j);
      if (name === '' || name === 'v_num' || seen.has(name)) continue;
      seen.add(name);
      pts.push([name, tk.num(j + 2)]);
    }
    if (pts.length === 0) return true;
    const step = epoch === epoch && total === total ? epoch * total + counter : counter;
    if (epoch === epoch && total === total) this.batchTotal = total; // an epoch summary line then lands at the end of its epoch
    if (step !== this.lastBarStep) {
      this.lastBarStep = step;
      this.barKeys.clear();
    }
    // The same counter drawn again (the closing redraw, Lightning's redraw after validation) adds only the
    // metrics not yet given at this step. Lightning keeps the last validation / epoch values in the postfix
    // of every later update: a new point only when such a value changes, not a staircase of copies.
    let k = 0;
    for (const [name, v] of pts) {
      if (this.barKeys.has(name)) continue;
      this.barKeys.add(name);
      if (EPOCH_LEVEL.test(name)) {
        const last = this.barEpochLevel.get(name);
        if (last !== undefined && (last === v || (last !== last && v !== v))) continue;
        this.barEpochLevel.set(name, v);
      }
      pts[k++] = [name, v];
    }
    pts.length = k;
    if (k === 0) return true;
    this.records++;
    for (const [name, v] of pts) this.emit(name, step, v, epoch, lineNo);
    return true;
  }

  // ---- build-nanogpt's log file: "0 train 10.955", "250 val 6.12", "250 hella 0.2471" ----
  private nano(lineNo: number): boolean {
    const tk = this.tk;
    if (tk.n !== 3 || tk.kind[0] !== K.Num || tk.kind[1] !== K.Word || tk.kind[2] !== K.Num) return false;
    const key = NANO_SPLITS[tk.text(1)];
    const step = tk.num(0);
    if (key === undefined || !Number.isInteger(step) || step < 0) return false;
    this.records++;
    this.emit(key, step, tk.num(2), NaN, lineNo);
    return true;
  }

  // ---- generic: "epoch 3 loss=0.41 val_loss=0.52", "step 100 | loss 2.3", "iter 100: loss 2.34, time 12ms" ----
  private generic(lineNo: number): boolean {
    const tk = this.tk;
    const n = tk.n;
    const used = this.used;
    used.fill(0, 0, n);
    let step = NaN;
    let epoch = NaN;
    let counter = NaN;
    let total = NaN;
    let epochLiteral = false; // the epoch written as an integer ("Epoch 3", "Epoch [3/40]"; not "epoch = 30.0")
    for (let i = 0; i < n; i++) {
      if (tk.kind[i] === K.Ratio && !used[i] && i + 1 < n && COUNTER_UNITS.has(tk.lower(i + 1))) {
        // "| epoch 1 |   200/ 2983 batches |"
        if (counter !== counter) {
          counter = tk.ratioI(i);
          total = tk.ratioN(i);
        }
        used[i] = 1;
        continue;
      }
      if (tk.kind[i] !== K.Word) continue;
      const w = tk.lower(i);
      const isStep = STEP_WORDS.has(w);
      if (!isStep && !EPOCH_WORDS.has(w)) continue;
      let j = i + 1;
      if (tk.kind[j] === K.Punct && (tk.ch(j) === CH_COLON || tk.ch(j) === CH_EQ || tk.ch(j) === CH_HASH || tk.ch(j) === CH_LBRACK)) j++;
      if (j >= n) break;
      let v: number;
      if (tk.kind[j] === K.Ratio) v = tk.ratioI(j);
      else if (tk.kind[j] === K.Num && !isSigned(tk, j)) v = tk.num(j);
      else continue;
      if (!Number.isInteger(v) || v < 0) continue;
      for (let k = i; k <= j; k++) used[k] = 1;
      if (isStep) {
        if (step !== step) step = v;
      } else if (epoch !== epoch) {
        epoch = v;
        epochLiteral = tk.kind[j] === K.Ratio || isDigits(tk, j);
        // fairseq "epoch 001:    100 / 1093 loss=…": the epoch's batch counter
        let k = j + 1;
        if (tk.isPunct(k, CH_COLON) || tk.isPunct(k, CH_PIPE)) k++;
        if (k < n && tk.kind[k] === K.Ratio && counter !== counter) {
          counter = tk.ratioI(k);
          total = tk.ratioN(k);
          used[k] = 1;
        }
      }
      i = j;
    }
    // No anchor on this line: it may belong to the epoch header printed just before it
    // ("Epoch [3/40]" / "  Train Loss: 1.96, Train Accuracy: 27.97%" / "  Val Loss: 1.60, …").
    const underHeader = step !== step && epoch !== epoch;
    if (underHeader && this.headerEpoch !== this.headerEpoch) return false;
    // fairseq tags a line with its split: "| INFO | valid | epoch 001 | valid on 'valid' subset | loss 8.1 |"
    let prefix = '';
    for (let i = 0; i < n; i++) {
      if (tk.kind[i] !== K.Word || used[i] || !SPLIT_PREFIX.has(tk.lower(i))) continue;
      if ((tk.isPunct(i - 1, CH_PIPE) && tk.isPunct(i + 1, CH_PIPE)) || tk.lower(i + 1) === 'on') {
        prefix = `${tk.text(i)}/`;
        used[i] = 1;
        break;
      }
    }
    const pts: [string, number][] = [];
    const seen = new Set<string>();
    let from = 0; // a label starts after the previous pair's value
    for (let i = 0; i < n; i++) {
      if (tk.kind[i] !== K.Word || used[i]) continue;
      let j = i + 1;
      const labelled = tk.isPunct(j, CH_COLON) || tk.isPunct(j, CH_EQ);
      if (labelled) j++;
      // `75.40%` only as a labelled value ("TrainAcc=75.40%", "Accuracy on Test set: 31.03%")
      if (j >= n || !(tk.kind[j] === K.Num || (labelled && tk.kind[j] === K.Pct)) || used[j]) continue;
      const name = tk.text(i);
      if (name === '') continue;
      const lw = name.toLowerCase();
      if (STEP_WORDS.has(lw) || EPOCH_WORDS.has(lw)) continue;
      // A label of several words before ':' / '=' ("Train L1 Loss: 0.63", "Smoothed Validation Loss: 0.01"):
      // the words back to the previous value, a punctuation mark or an anchor (at most MAX_LABEL_WORDS).
      let first = i;
      if (labelled && tk.isPunct(i + 1, CH_COLON)) {
        while (
          first - 1 >= from &&
          i - first + 1 < MAX_LABEL_WORDS &&
          tk.kind[first - 1] === K.Word &&
          !used[first - 1] &&
          tk.sp[first] === 1
        )
          first--;
        // a sentence before the label is not part of it: "… at Epoch 1 with Validation Accuracy: 33.73%"
        while (first < i && LABEL_STOP.has(tk.lower(first))) first++;
      }
      let key: string;
      let words = '';
      if (first < i) {
        for (let k = first; k <= i; k++) words += (k > first ? ' ' : '') + tk.text(k);
        if (!METRIC_NAME.test(words) && !words.split(' ').some((w) => METRIC_NAME.test(w))) continue;
        key = SPLIT_PREFIX.has(tk.lower(first)) ? `${tk.text(first)}/${words.slice(words.indexOf(' ') + 1)}` : words;
      } else {
        if (!METRIC_NAME.test(name)) continue;
        key = name.replace(/[.:/-]+$/, '');
        if (i > 0 && tk.kind[i - 1] === K.Word && !used[i - 1] && tk.sp[i] === 1 && SPLIT_PREFIX.has(tk.lower(i - 1))) {
          key = `${tk.text(i - 1)}/${key}`; // "train loss 1.9, val loss 2.0"
        } else if (prefix !== '' && !lw.startsWith(`${prefix.slice(0, -1).toLowerCase()}_`)) key = prefix + key; // not "valid/valid_loss"
      }
      if (seen.has(key)) continue;
      seen.add(key);
      pts.push([key, tk.num(j)]);
      i = j;
      from = j + 1;
    }
    if (underHeader) return this.headerLine(pts, lineNo);
    if (pts.length === 0) {
      if (step !== step && epochLiteral) {
        // an epoch header ("Epoch [3/40]", "Epoch 3 of 40"): metrics may follow on the next lines
        this.headerEpoch = epoch;
        this.headerKeys.clear();
      }
      return false;
    }
    let x: number;
    if (step === step) x = step;
    else if (counter === counter) {
      x = epoch === epoch && total === total ? epoch * total + counter : counter;
      this.batchTotal = total;
    } else if (this.batchTotal === this.batchTotal)
      x = epoch * this.batchTotal + this.batchTotal; // end of that epoch
    else x = epoch;
    this.records++;
    for (const [k, v] of pts) this.emit(k, x, v, epoch, lineNo);
    return true;
  }

  /**
   * Metric pairs on a line without an anchor, under an epoch header: taken only when a pair names its split
   * (`Train Loss`, `val loss`, `valid_acc`) — the evidence that this is an epoch report — and each series
   * once per header. x as for an epoch-only line.
   */
  private headerLine(pts: [string, number][], lineNo: number): boolean {
    const epoch = this.headerEpoch;
    if (!pts.some(([k]) => k.includes('/') || SPLIT_KEY.test(k))) return false;
    const fresh = pts.filter(([k]) => !this.headerKeys.has(k));
    if (fresh.length === 0) return false;
    const x = this.batchTotal === this.batchTotal ? epoch * this.batchTotal + this.batchTotal : epoch;
    this.records++;
    for (const [k, v] of fresh) {
      this.headerKeys.add(k);
      this.emit(k, x, v, epoch, lineNo);
    }
    return true;
  }
}

function isDigits(tk: Tokens, i: number): boolean {
  for (let p = tk.a[i]!; p < tk.z[i]!; p++) if (tk.buf[p]! < 0x30 || tk.buf[p]! > 0x39) return false;
  return true;
}

function isSigned(tk: Tokens, i: number): boolean {
  const c = tk.buf[tk.a[i]!];
  return c === 0x2d || c === 0x2b;
}

/** Key text between quotes (ASCII/Latin-1; undefined when empty or over 128 bytes). */
function span(b: Uint8Array, a: number, z: number): string | undefined {
  if (z <= a || z - a > 128) return undefined;
  return utf8(b, a, z);
}
