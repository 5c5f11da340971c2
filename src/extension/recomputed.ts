// Series derived by the extension from logged logits: the recomputed cross-entropy and ∂L/∂z norm.
// Pure code (no vscode import) so it can be unit-tested.
import type { LogitRecord, Provenance, RunView, SeriesView, Split } from '../core/model';

export const RECOMPUTED_LOSS = 'recomputed/loss';
export const RECOMPUTED_GRAD_NORM = 'recomputed/grad_norm';

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

export interface Recomputation {
  loss: number;
  gradNorm: number;
}

/**
 * Wraps an ingest run and adds the recomputed series. `recompute` is the checks engine's
 * recomputation (PyTorch-exact, from the core); records it cannot handle are skipped.
 */
export class RunWithRecomputed implements RunView {
  readonly loss: ArraySeries;
  readonly gradNorm: ArraySeries;
  private seen = 0;
  private generationSeen: number;
  /** line → recomputation, per file, for hovers. */
  private byLine = new Map<string, Map<number, { record: LogitRecord; result: Recomputation }>>();

  constructor(
    readonly inner: RunView,
    private readonly recompute: (r: LogitRecord) => Recomputation | undefined,
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

  /** Recomputes new records; returns the keys of recomputed series that grew (with their first new index). */
  sync(): { key: string; from: number }[] {
    if (this.inner.generation !== this.generationSeen) {
      this.generationSeen = this.inner.generation;
      this.seen = 0;
      this.loss.clear();
      this.gradNorm.clear();
      this.byLine.clear();
    }
    const records = this.inner.logitRecords();
    if (records.length < this.seen) {
      this.seen = 0;
      this.loss.clear();
      this.gradNorm.clear();
      this.byLine.clear();
    }
    const from = this.loss.length;
    for (; this.seen < records.length; this.seen++) {
      const r = records[this.seen];
      let result: Recomputation | undefined;
      try {
        result = r.error ? undefined : this.recompute(r);
      } catch {
        result = undefined;
      }
      if (!result) continue;
      this.loss.push(r.step, result.loss, r.provenance);
      this.gradNorm.push(r.step, result.gradNorm, r.provenance);
      if (r.provenance.line !== undefined) {
        let m = this.byLine.get(r.provenance.file);
        if (!m) this.byLine.set(r.provenance.file, (m = new Map()));
        m.set(r.provenance.line, { record: r, result });
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
