// overfitting: Keras/Lightning EarlyStopping semantics on a validation-loss series, plus two guards
// that keep it quiet on healthy noisy runs: training loss must have fallen over the same window, and
// the rise must stand out of the validation noise.
import type { RunView, SeriesView } from '../model';
import type { OverfittingOptions } from './options';
import { MAD_SCALE, mad, median } from './robust';
import { mannKendallZ } from './divergence';
import { atPoint, q, relatedAt, indexAtStep, type Draft } from './draft';
import { at, name, num, plural } from './format';

/**
 * The checkpoint the trainer kept: Hugging Face `trainer_state.json` records `best_metric`,
 * `best_model_checkpoint` and `best_global_step`, but not which metric (`metric_for_best_model` lives in
 * the training arguments); the metric is found by matching `best_metric` against the logged evaluation series.
 */
export interface TrainerBest {
  readonly metric: number;
  readonly checkpoint?: string;
  readonly step?: number;
  /** The evaluation series whose value at the best step equals `best_metric`, and that point. */
  readonly series?: SeriesView;
  readonly index?: number;
}

function own(meta: Readonly<Record<string, number | string>>, key: string): number | string | undefined {
  return Object.prototype.hasOwnProperty.call(meta, key) ? meta[key] : undefined;
}

/** Points of an evaluation series searched for `best_metric` when the best step is unknown. */
const MATCH_SCAN = 10000;

/** The trainer's best checkpoint from run metadata, with the metric it was chosen by (undefined when none is recorded). */
export function trainerBest(run: RunView, all: readonly SeriesView[]): TrainerBest | undefined {
  const meta = run.meta;
  if (!meta) return undefined;
  const metric = own(meta, 'best_metric');
  if (typeof metric !== 'number' || !Number.isFinite(metric)) return undefined;
  const ck = own(meta, 'best_model_checkpoint');
  const checkpoint = typeof ck === 'string' && ck !== '' ? ck : undefined;
  const gs = own(meta, 'best_global_step');
  let step = typeof gs === 'number' && Number.isFinite(gs) ? gs : undefined;
  if (step === undefined && checkpoint) {
    const m = /checkpoint-(\d{1,15})[\\/]*$/.exec(checkpoint);
    if (m) step = Number(m[1]);
  }
  const tol = 1e-9 * Math.max(1, Math.abs(metric));
  const matches = (s: SeriesView, i: number): boolean => Math.abs(s.value(i) - metric) <= tol;
  let found: { series: SeriesView; index: number } | undefined;
  for (const s of all) {
    if (s.split !== 'val' || s.key.startsWith('recomputed/')) continue;
    if (step !== undefined) {
      // the point(s) at the best step
      for (let i = indexAtStep(s, step); i >= 0 && s.step(i) === step; i--) {
        if (matches(s, i)) {
          found = { series: s, index: i };
          break;
        }
      }
    } else {
      for (let i = s.length - 1; i >= Math.max(0, s.length - MATCH_SCAN); i--) {
        if (matches(s, i)) {
          found = { series: s, index: i };
          break;
        }
      }
    }
    if (found) break;
  }
  return { metric, ...(checkpoint !== undefined ? { checkpoint } : {}), ...(step !== undefined ? { step } : {}), ...(found ?? {}) };
}

/** `./results/checkpoint-8280` → `checkpoint-8280` (the last path part, made safe for a message). */
function checkpointName(p: string): string {
  const parts = p.split(/[\\/]+/).filter((x) => x !== '' && x !== '.');
  return name(parts[parts.length - 1] ?? p);
}

/**
 * Component losses only (no total validation loss is paired): one overfitting event shows in several
 * components at once; report it once, at the component that fired first, naming the others.
 */
export function mergeComponentDrafts(ds: readonly Draft[]): Draft[] {
  if (ds.length <= 1) return [...ds];
  const sorted = [...ds].sort((a, b) => (a.step ?? 0) - (b.step ?? 0));
  const head = sorted[0]!;
  const rest = sorted.slice(1);
  const names = rest.map((d) => `'${name(d.seriesKey ?? '')}'`).join(', ');
  const related = [...(head.related ?? [])];
  for (const d of rest) {
    if (d.line !== undefined) related.push({ file: d.file, line: d.line, message: `also overfitting: ${name(d.seriesKey ?? '')}` });
    else related.push({ file: d.file, message: `also overfitting: ${name(d.seriesKey ?? '')} (${at(d.step ?? NaN)})` });
  }
  return [{ ...head, message: `${head.message} Other component losses overfitting too: ${names}.`, related }];
}

/** The rise (median of the last `patience` evaluations above the level around the best) must exceed this many noise σ. */
export const NOISE_SIGMAS = 3;

export class OverfittingTracker {
  /** Indices (into the series) of the finite evaluations, in order. */
  private readonly evals: number[] = [];
  private readonly values: number[] = [];
  private best = Infinity;
  private bestPos = -1; // position in evals
  private wait = 0;
  private firstExceedPos = -1;
  private scanned = 0;
  private cacheKey = '';
  private cached: Draft[] = [];

  constructor(private readonly opts: OverfittingOptions) {}

  scan(s: SeriesView): boolean {
    const n0 = this.evals.length;
    for (let i = this.scanned; i < s.length; i++) {
      const v = s.value(i);
      if (!Number.isFinite(v)) continue;
      const pos = this.evals.length;
      this.evals.push(i);
      this.values.push(v);
      if (v < this.best - this.opts.minDelta) {
        this.best = v;
        this.bestPos = pos;
        this.wait = 0;
        this.firstExceedPos = -1;
      } else {
        this.wait++;
        if (this.firstExceedPos < 0 && v > this.best + this.opts.minDelta) this.firstExceedPos = pos;
      }
    }
    this.scanned = s.length;
    return this.evals.length !== n0;
  }

  /** The EarlyStopping part: patience exhausted and the latest evaluation above best + minDelta. */
  get waiting(): boolean {
    const n = this.values.length;
    return n > 0 && this.wait >= this.opts.patience && this.values[n - 1]! > this.best + this.opts.minDelta && this.firstExceedPos >= 0;
  }

  /** Training-loss level at evaluation `pos`: median of the training points since the previous evaluation. */
  private trainLevel(val: SeriesView, train: SeriesView, pos: number): number {
    const step = val.step(this.evals[pos]!);
    const prevStep = pos > 0 ? val.step(this.evals[pos - 1]!) : -Infinity;
    const hi = indexAtStep(train, step);
    if (hi < 0) return NaN;
    const pts: number[] = [];
    for (let i = hi; i >= 0 && pts.length < 200; i--) {
      if (train.step(i) <= prevStep && pts.length > 0) break;
      const v = train.value(i);
      if (Number.isFinite(v)) pts.push(v);
    }
    return median(pts);
  }

  drafts(val: SeriesView, train: SeriesView | undefined, best?: TrainerBest): Draft[] {
    if (!this.waiting || !train) return [];
    const key = `${this.evals.length}:${train.key}:${train.length}:${best ? `${best.metric}:${best.series?.key}:${best.index}` : ''}`;
    if (key === this.cacheKey) return this.cached;
    this.cacheKey = key;
    this.cached = this.compute(val, train, best);
    return this.cached;
  }

  private compute(val: SeriesView, train: SeriesView, best: TrainerBest | undefined): Draft[] {
    const n = this.values.length;
    const p = this.opts.patience;
    const last = n - 1;
    // Train fell over the same window (best evaluation → latest evaluation).
    const trainAtBest = this.trainLevel(val, train, this.bestPos);
    const trainNow = this.trainLevel(val, train, last);
    if (!(trainNow < trainAtBest)) return [];
    // The rise must stand out of the evaluation noise: σ from second differences (robust to a smooth
    // trend and to the turn of a U-shaped curve; var(x[k+1] − 2x[k] + x[k−1]) = 6σ² for white noise).
    const d2: number[] = [];
    for (let k = Math.max(2, n - 200); k < n; k++) d2.push(this.values[k]! - 2 * this.values[k - 1]! + this.values[k - 2]!);
    const sigma = d2.length >= 2 ? (MAD_SCALE * mad(d2)) / Math.sqrt(6) : 0;
    const b = this.bestPos;
    const bestLevel = median(this.values.slice(Math.max(0, b - 2), b + 3));
    const recent = median(this.values.slice(Math.max(b + 1, n - p)));
    if (!(recent - bestLevel > this.opts.minDelta + NOISE_SIGMAS * sigma)) return [];
    // Recovering, not overfitting: after a one-time knock (an instability in training) the validation
    // loss has been falling again since its peak — a significant downward trend over at least 8
    // evaluations since the peak (Mann–Kendall, 1 %). Overfitting is a validation loss that keeps rising
    // or stays up while the training loss falls.
    let peak = b + 1;
    for (let k = b + 1; k < n; k++) if (this.values[k]! > this.values[peak]!) peak = k;
    const sincePeak = this.values.slice(peak, n);
    if (sincePeak.length >= 8 && mannKendallZ(sincePeak.slice(-64)) < -2.58) return [];

    const bi = this.evals[b]!;
    const li = this.evals[last]!;
    const fi = this.evals[this.firstExceedPos]!;
    const now = this.values[last]!;
    const rise = now - this.best;
    const pct = this.best !== 0 ? ` (+${num((100 * rise) / Math.abs(this.best))}%)` : '';
    const gap = now - trainNow;
    const lossBestStep = val.step(bi);
    const related = [
      relatedAt(
        val,
        bi,
        `best validation loss ${num(this.best)}: ${best ? 'the loss-based choice of checkpoint' : 'the checkpoint to keep'}`,
      ),
    ];
    let keep: string;
    if (best) {
      const ck = best.checkpoint
        ? checkpointName(best.checkpoint)
        : best.step !== undefined
          ? `the checkpoint of step ${num(best.step)}`
          : 'its best checkpoint';
      const by =
        best.series && best.index !== undefined
          ? `by ${q(best.series)} = ${num(best.metric)} at ${at(best.series.step(best.index), best.series.provenance(best.index))}`
          : `by a metric of ${num(best.metric)} (best_metric; not found among the logged evaluation series)`;
      const agrees = best.step !== undefined && best.step === lossBestStep;
      keep =
        `The trainer kept ${ck} (best_model_checkpoint), chosen ${by}; ` +
        (agrees
          ? `the lowest validation loss is at the same step.`
          : `as a second opinion, the lowest validation loss is at step ${num(lossBestStep)}.`) +
        " The model is overfitting: keep the trainer's checkpoint, stop training there (EarlyStopping), or add regularization (weight decay, dropout, augmentation, more data).";
      if (best.series && best.index !== undefined)
        related.push(relatedAt(best.series, best.index, `best_metric ${num(best.metric)}: the checkpoint the trainer kept (${ck})`));
    } else {
      keep = `The model is overfitting: keep the checkpoint from step ${num(lossBestStep)}, stop training there (EarlyStopping), or add regularization (weight decay, dropout, augmentation, more data).`;
    }
    const msg =
      `Validation loss ${q(val)} has not improved for ${plural(this.wait, 'evaluation')} (patience ${p}, min_delta ${num(this.opts.minDelta)}): ` +
      `best ${num(this.best)} at ${at(val.step(bi), val.provenance(bi))}, now ${num(now)} at ${at(val.step(li), val.provenance(li))}, ${num(rise)} above the best${pct}, ` +
      `while training loss ${q(train)} kept falling (${num(trainAtBest)} → ${num(trainNow)}); the gap between validation and training loss is now ${num(gap)}. ` +
      keep;
    return [atPoint('overfitting', val, fi, msg, related)];
  }
}
