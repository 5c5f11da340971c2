// Plain-text console logs. Conservative: a line yields points only when it carries a step/epoch anchor
// (or follows a Keras `Epoch n/N` header) and metric-like `name=value` pairs, so arbitrary program
// output does not become series. User regexes (named groups: step, epoch, metric names) come first.
import { nonFinite } from '../fields';
import type { LineParser, Sink } from '../sink';
import { utf8 } from '../sink';

const NUM = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf(?:inity)?`;
const METRIC_NAME = /(loss|acc|accuracy|^lr$|_lr$|learning_rate|grad|norm|ppl|perplexity|f1|precision|recall|auc|^map|iou|bleu|rouge|err|mse|mae|rmse|top1|top5|top-1|top-5|score|wer|cer|dice)/i;
const ANCHOR_RE = /\b(epoch|step|iter|iteration|global_step|it)\b\s*[:=#]?\s*\[?\s*(\d+)(?:\s*\/\s*\d+)?\]?/gi;
const PAIR_RE = new RegExp(String.raw`([A-Za-z][\w./-]*)\s*(?:[:=]|\s)\s*(${NUM})(?![\w.])`, 'gi');
const KERAS_EPOCH_RE = /^\s*Epoch (\d+)\/(\d+)\s*$/;
const KERAS_DONE_RE = /^\s*(\d+)\/(\d+) (?:\[[=>.]*\]|[━─]+)\s/;
const KERAS_PAIR_RE = new RegExp(String.raw`(?:^|\s)-\s+([A-Za-z][\w./-]*):\s+(${NUM})(?![\w.])`, 'gi');

interface UserPattern {
  re: RegExp;
}

export class TextParser implements LineParser {
  private readonly patterns: UserPattern[] = [];
  private kerasEpoch = NaN;
  private records = 0;
  private readonly ids = new Map<string, number>();
  private patternErrorReported = false;

  constructor(
    private readonly sink: Sink,
    userPatterns: readonly string[] = [],
  ) {
    const bad: string[] = [];
    for (const p of userPatterns) {
      try {
        this.patterns.push({ re: new RegExp(p) });
      } catch (e) {
        bad.push(`${p}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (bad.length > 0) {
      this.patternErrorReported = true;
      sink.error(`invalid text pattern in settings: ${bad.join('; ')}`);
    }
  }

  reset(): void {
    this.kerasEpoch = NaN;
    this.records = 0;
    this.ids.clear();
    void this.patternErrorReported;
  }

  private emit(name: string, step: number, v: number, epoch: number, line: number): void {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.sink.series(name);
      this.ids.set(name, id);
    }
    this.sink.point(id, step, v, NaN, epoch, line);
  }

  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    if (e - s > 100_000) return; // not a console line
    let text = utf8(b, s, e);
    const cr = text.lastIndexOf('\r');
    if (cr >= 0) text = text.slice(cr + 1); // progress bars rewrite the line
    text = text.replace(/[\x08]+/g, '');
    for (const p of this.patterns) {
      const m = p.re.exec(text);
      if (!m || !m.groups) continue;
      const g = m.groups;
      const epoch = g.epoch !== undefined ? Number(g.epoch) : NaN;
      let step = g.step !== undefined ? Number(g.step) : epoch;
      const rec = this.records++;
      if (step !== step) step = rec;
      for (const [k, raw] of Object.entries(g)) {
        if (k === 'step' || k === 'epoch' || raw === undefined) continue;
        const v = nonFinite(raw.trim()) ?? Number(raw.trim());
        if (v !== v && nonFinite(raw.trim()) === undefined) continue;
        this.emit(k, step, v, epoch, lineNo);
      }
      return;
    }
    const ke = KERAS_EPOCH_RE.exec(text);
    if (ke) {
      this.kerasEpoch = Number(ke[1]);
      return;
    }
    const kd = KERAS_DONE_RE.exec(text);
    if (kd) {
      if (kd[1] !== kd[2] || /\bETA\b/.test(text)) return; // batch progress, not the epoch summary
      const pairs = [...text.matchAll(KERAS_PAIR_RE)].filter((m) => METRIC_NAME.test(m[1]!));
      if (pairs.length === 0) return;
      const rec = this.records++;
      const step = this.kerasEpoch === this.kerasEpoch ? this.kerasEpoch : rec;
      for (const m of pairs) this.emit(m[1]!, step, num(m[2]!), this.kerasEpoch, lineNo);
      return;
    }
    // generic "epoch 3 loss=0.41 val_loss=0.52", "step 100 | loss 2.3"
    let step = NaN;
    let epoch = NaN;
    const anchorSpans: [number, number][] = [];
    for (const m of text.matchAll(ANCHOR_RE)) {
      const w = m[1]!.toLowerCase();
      const n = Number(m[2]);
      if (w === 'epoch') {
        if (epoch !== epoch) epoch = n;
      } else if (step !== step) step = n;
      anchorSpans.push([m.index!, m.index! + m[0].length]);
    }
    if (step !== step && epoch !== epoch) return;
    const pts: [string, number][] = [];
    for (const m of text.matchAll(PAIR_RE)) {
      const at = m.index!;
      if (anchorSpans.some(([a, z]) => at >= a && at < z)) continue;
      const name = m[1]!.replace(/[.:/-]+$/, '');
      if (!METRIC_NAME.test(name) || /^(epoch|step|iter|iteration|global_step|it)$/i.test(name)) continue;
      pts.push([name, num(m[2]!)]);
    }
    if (pts.length === 0) return;
    this.records++;
    const st = step === step ? step : epoch;
    for (const [k, v] of pts) this.emit(k, st, v, epoch, lineNo);
  }
}

function num(s: string): number {
  return nonFinite(s) ?? Number(s);
}
