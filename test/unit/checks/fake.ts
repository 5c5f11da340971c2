// Test helpers: in-memory RunView / SeriesView / LogitRecord fakes (no ingest dependency).
import type { LogitRecord, NDArray, ParseErrorSummary, Provenance, Role, RunView, SeriesView, Split } from '../../../src/core/model';

export class FakeSeries implements SeriesView {
  private steps: number[] = [];
  private values: number[] = [];
  private provs: Provenance[] = [];
  constructor(
    readonly key: string,
    readonly role: Role,
    readonly split: Split,
    readonly name = key,
  ) {}
  get length(): number {
    return this.steps.length;
  }
  push(step: number, value: number, prov: Provenance): this {
    this.steps.push(step);
    this.values.push(value);
    this.provs.push(prov);
    return this;
  }
  step(i: number): number {
    return this.steps[i]!;
  }
  value(i: number): number {
    return this.values[i]!;
  }
  wall(): number {
    return NaN;
  }
  epoch(): number {
    return NaN;
  }
  provenance(i: number): Provenance {
    return this.provs[i]!;
  }
}

/** A run written as one JSONL-like file: every point / record takes the next line. */
export class FakeRun implements RunView {
  readonly id: string;
  readonly name: string;
  readonly root: string;
  readonly files: string[];
  readonly format = 'jsonl';
  generation = 0;
  line = 0;
  private readonly list: FakeSeries[] = [];
  readonly records: LogitRecord[] = [];
  readonly errors: ParseErrorSummary[] = [];

  constructor(readonly file = '/runs/a/log.jsonl') {
    this.id = file;
    this.name = 'a';
    this.root = file;
    this.files = [file];
  }
  series(): readonly SeriesView[] {
    return this.list;
  }
  getSeries(key: string): SeriesView | undefined {
    return this.list.find((s) => s.key === key);
  }
  logitRecords(): readonly LogitRecord[] {
    return this.records;
  }
  parseErrors(): readonly ParseErrorSummary[] {
    return this.errors;
  }
  add(key: string, role: Role, split: Split = role === 'val_loss' ? 'val' : 'train'): FakeSeries {
    const s = new FakeSeries(key, role, split);
    this.list.push(s);
    return s;
  }
  /** Appends a point on the next line. */
  point(s: FakeSeries, step: number, value: number): void {
    s.push(step, value, { file: this.file, line: ++this.line });
  }
  /** Appends values at steps start, start+1, … */
  points(s: FakeSeries, values: readonly number[], start = s.length, stride = 1): void {
    values.forEach((v, i) => this.point(s, start + i * stride, v));
  }
  record(r: Omit<LogitRecord, 'provenance' | 'split'> & { split?: Split }): LogitRecord {
    const rec: LogitRecord = { split: 'train', ...r, provenance: { file: this.file, line: ++this.line } };
    this.records.push(rec);
    return rec;
  }
}

export function nd(rows: number[][] | number[], dtype = 'f8'): NDArray {
  if (rows.length > 0 && Array.isArray(rows[0])) {
    const r = rows as number[][];
    return { dtype, shape: [r.length, r[0]!.length], data: Float64Array.from(r.flat()) };
  }
  const v = rows as number[];
  return { dtype, shape: [v.length], data: Float64Array.from(v) };
}

/** Deterministic PRNG (mulberry32) and a standard normal from it. */
export function rng(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(uniform() + 1e-300)) * Math.cos(2 * Math.PI * uniform()),
  };
}

export function codes(fs: ReadonlyArray<{ code: string }>): string[] {
  return fs.map((f) => f.code).sort();
}
