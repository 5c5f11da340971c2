// The recomputed series (recomputed/loss, recomputed/grad_norm): one point per logits record,
// derived from the record summaries of the checks (core/checks/summary.ts), never from arrays.
// The naming lives in src/shared/recomputed.ts; the checks skip these series, the status bar does not show them.
import type { LogitRecord, Provenance, RunView, SeriesView, Split } from './model';
import { summaryOf, type RecordSummary } from './checks/summary';

import { RECOMPUTED_GRAD_NORM, RECOMPUTED_LOSS } from '../shared/recomputed';

export { RECOMPUTED_GRAD_NORM, RECOMPUTED_LOSS, RECOMPUTED_PREFIX, isRecomputedKey } from '../shared/recomputed';

/** A small growable series (the recomputed series hold one point per logits record). */
export class ArraySeries implements SeriesView {
  private steps: number[] = [];
  private values: number[] = [];
  private provs: Provenance[] = [];
  constructor(
    readonly key: string,
    readonly name: string,
    readonly role: SeriesView['role'],
    readonly split: Split,
  ) {}
  get length(): number {
    return this.steps.length;
  }
  push(step: number, value: number, prov: Provenance): void {
    this.steps.push(step);
    this.values.push(value);
    this.provs.push(prov);
  }
  clear(): void {
    this.steps = [];
    this.values = [];
    this.provs = [];
  }
  step(i: number): number {
    return this.steps[i] ?? NaN;
  }
  value(i: number): number {
    return this.values[i] ?? NaN;
  }
  wall(): number {
    return NaN;
  }
  epoch(): number {
    return NaN;
  }
  provenance(i: number): Provenance {
    return this.provs[i] ?? { file: '' };
  }
}

/** What the hover shows for a record's line. */
export interface Recomputation {
  loss: number;
  gradNorm: number;
  /** Batch size and classes of the logits. */
  n: number;
  c: number;
}

/**
 * Wraps a run and adds the recomputed series. `summary` gives a record's summary, or undefined while
 * its sidecars are being read (the series then waits at that record: points stay in log order).
 * Records without a recomputation (unreadable, labels the loss rejects) get no point: the checks
 * report each of them (logits-unreadable or the label problem) at the record's line, and
 * `unrecomputed` counts them.
 */
export class RunWithRecomputed implements RunView {
  readonly loss: ArraySeries;
  readonly gradNorm: ArraySeries;
  private seen = 0;
  private generationSeen: number;
  /** Records with no point (see the class comment). */
  unrecomputed = 0;
  /** line → recomputation, per file, for hovers. */
  private byLine = new Map<string, Map<number, { record: LogitRecord; result: Recomputation }>>();

  constructor(
    readonly inner: RunView,
    private readonly summary: (r: LogitRecord) => RecordSummary | undefined = summaryOf,
  ) {
    this.loss = new ArraySeries(RECOMPUTED_LOSS, 'recomputed CE', 'train_loss', 'none');
    this.gradNorm = new ArraySeries(RECOMPUTED_GRAD_NORM, 'recomputed ‖∂L/∂z‖', 'grad_norm', 'none');
    this.generationSeen = inner.generation;
  }

  get id(): string {
    return this.inner.id;
  }
  get name(): string {
    return this.inner.name;
  }
  get root(): string {
    return this.inner.root;
  }
  get files(): readonly string[] {
    return this.inner.files;
  }
  get format(): string {
    return this.inner.format;
  }
  get generation(): number {
    return this.inner.generation;
  }
  series(): readonly SeriesView[] {
    const base = this.inner.series();
    return this.loss.length > 0 ? [...base, this.loss, this.gradNorm] : base;
  }
  getSeries(key: string): SeriesView | undefined {
    if (key === RECOMPUTED_LOSS) return this.loss.length ? this.loss : undefined;
    if (key === RECOMPUTED_GRAD_NORM) return this.gradNorm.length ? this.gradNorm : undefined;
    return this.inner.getSeries(key);
  }
  logitRecords(): readonly LogitRecord[] {
    return this.inner.logitRecords();
  }
  parseErrors() {
    return this.inner.parseErrors();
  }
  resumes() {
    return this.inner.resumes?.() ?? [];
  }
  get meta() {
    return this.inner.meta;
  }

  private restart(): void {
    this.seen = 0;
    this.unrecomputed = 0;
    this.loss.clear();
    this.gradNorm.clear();
    this.byLine.clear();
  }

  /** Adds the points of new summarised records; returns the keys of recomputed series that grew (with their first new index). */
  sync(): { key: string; from: number }[] {
    if (this.inner.generation !== this.generationSeen) {
      this.generationSeen = this.inner.generation;
      this.restart();
    }
    const records = this.inner.logitRecords();
    if (records.length < this.seen) this.restart();
    const from = this.loss.length;
    for (; this.seen < records.length; this.seen++) {
      const r = records[this.seen]!;
      const s = this.summary(r);
      if (!s) break; // sidecars being read: resume here on the next sync
      const res = s.result;
      if (!res || s.error) {
        this.unrecomputed++;
        continue;
      }
      this.loss.push(r.step, res.loss, r.provenance);
      this.gradNorm.push(r.step, res.gradNorm, r.provenance);
      if (r.provenance.line !== undefined) {
        let m = this.byLine.get(r.provenance.file);
        if (!m) this.byLine.set(r.provenance.file, (m = new Map()));
        const a = s.analysis;
        m.set(r.provenance.line, { record: r, result: { loss: res.loss, gradNorm: res.gradNorm, n: a?.n ?? 0, c: a?.c ?? 0 } });
      }
    }
    return this.loss.length > from
      ? [
          { key: RECOMPUTED_LOSS, from },
          { key: RECOMPUTED_GRAD_NORM, from },
        ]
      : [];
  }

  recordAt(file: string, line: number): { record: LogitRecord; result: Recomputation } | undefined {
    return this.byLine.get(file)?.get(line);
  }
}
