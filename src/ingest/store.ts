// Columnar run store: one series = chunked typed arrays (step f64, value f64, wall f32, line u32 = 24 B
// per point at most). The wall column is only allocated when the log has times, and the line column
// only when line numbers stop being consecutive within a chunk (a metric on every line of a JSONL/CSV
// log needs none: line = chunk base + index), so a plain per-line log costs 16 B per point. Appends
// never copy history: the first chunk grows by doubling up to CHUNK points, then fixed-size chunks are
// added. Epoch and file index are stored as change points (run-length), which costs nothing when they
// rarely change.
// Resumed runs: a point whose step is below the series' last step (the same epoch or none) is a resume:
// the points at that step and after are dropped (TensorBoard's purge; the chunks are truncated, not
// copied) so a series stays in step order, and the run records where it resumed.
import type { LogitRecord, ParseErrorSummary, Provenance, ResumeInfo, Role, RunView, SeriesView, Split } from '../core/model';

const MAX_RESUMES = 100;
const CHUNK_SHIFT = 13;
const CHUNK = 1 << CHUNK_SHIFT; // 8192 points per chunk
const MASK = CHUNK - 1;

interface Chunk {
  step: Float64Array;
  value: Float64Array;
  /** allocated on the first finite wall time of the chunk (logs without time cost 20 B/point) */
  wall: Float32Array | undefined;
  /** Line/record numbers; undefined while they are consecutive: point k has line lineBase + k. */
  line: Uint32Array | undefined;
  lineBase: number;
}

function newChunk(cap: number, single: boolean): Chunk {
  // one allocation for the columns, not zero-filled (only [0, length) is ever read, and every slot there
  // is written by append before length covers it). `single`: one f64 column, step and value the same
  // array (a SharedRows store keeps steps only; a series on shared rows keeps values only).
  if (single) {
    const a = new Float64Array(Buffer.allocUnsafeSlow(cap * 8).buffer, 0, cap);
    return { step: a, value: a, wall: undefined, line: undefined, lineBase: NaN };
  }
  const buf = Buffer.allocUnsafeSlow(cap * 16).buffer;
  return {
    step: new Float64Array(buf, 0, cap),
    value: new Float64Array(buf, cap * 8, cap),
    wall: undefined,
    line: undefined,
    lineBase: NaN,
  };
}

/** A value that changes rarely, stored as (first index, value) pairs. */
export class ChangePoints {
  private idx = new Uint32Array(4);
  private val = new Float64Array(4);
  private n = 0;

  /** Records that point `i` (appended in order) has value `v`. */
  set(i: number, v: number): void {
    const n = this.n;
    if (n > 0) {
      const last = this.val[n - 1]!;
      if (last === v || (last !== last && v !== v)) return;
    }
    if (n === this.idx.length) {
      const idx = new Uint32Array(n * 2);
      idx.set(this.idx);
      const val = new Float64Array(n * 2);
      val.set(this.val);
      this.idx = idx;
      this.val = val;
    }
    this.idx[n] = i;
    this.val[n] = v;
    this.n = n + 1;
  }

  get(i: number): number {
    let lo = 0;
    let hi = this.n - 1;
    if (hi < 0) return NaN;
    if (this.idx[hi]! <= i) return this.val[hi]!;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.idx[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.idx[lo]! <= i ? this.val[lo]! : NaN;
  }

  clear(): void {
    this.n = 0;
  }

  /** Forgets the change points at index `i` and after. */
  truncate(i: number): void {
    while (this.n > 0 && this.idx[this.n - 1]! >= i) this.n--;
  }

  get bytes(): number {
    return this.idx.byteLength + this.val.byteLength;
  }
}

/** Called when a series resumes: `step` went back below `fromStep` at `line` of file `file`; `dropped` points purged. */
export type ResumeListener = (s: SeriesStore, step: number, fromStep: number, line: number, file: number, dropped: number) => void;

/** Provenance of the points of a run: which file and whether numbers are lines or records. */
export interface FileRef {
  readonly path: string;
  readonly binary: boolean;
}

export class SeriesStore implements SeriesView {
  readonly key: string;
  name: string;
  role: Role;
  split: Split;
  length = 0;
  private chunks: Chunk[] = [];
  private wallBase = NaN;
  private readonly epochs = new ChangePoints();
  private readonly fileIdx = new ChangePoints();
  /**
   * Shared rows: while set, point i's step, line and epoch are those of row rowsBase + i of `rows` (the
   * series was filled on the same CSV rows as its neighbours), and the chunks hold values only. The
   * first point that does not come on those rows gives the series private columns (materialize).
   */
  private rows: SharedRows | undefined;
  private rowsBase = 0;

  constructor(
    key: string,
    role: Role,
    split: Split,
    private readonly files: () => readonly FileRef[],
    /** steps only (a SharedRows store): the value column is the step column */
    private readonly stepsOnly = false,
    private readonly onResume?: ResumeListener,
  ) {
    this.key = key;
    this.name = key;
    this.role = role;
    this.split = split;
  }

  // the chunk being filled (hot path: no array lookups)
  private cur: Chunk | undefined;
  private curOff = 0;
  private curCap = 0;
  private lastEpoch = NaN;
  private lastFile = -1;

  // columns of the chunk being filled, hoisted (hot path: one load each)
  private curStep: Float64Array = new Float64Array(0);
  private curValue: Float64Array = new Float64Array(0);
  private curLine: Uint32Array = new Uint32Array(0);
  private linesImplicit = true;
  private lineBase = NaN;
  private lastStep = NaN;

  /** Whether a point (step, epoch) after the last one is a resume: its step goes back within an epoch. */
  private goesBack(step: number, epoch: number): boolean {
    if (!(step < this.lastStep) || this.stepsOnly) return false;
    // a step counter that restarts every epoch (Lightning's batch_idx) is not a resume
    return !(epoch > this.epoch(this.length - 1));
  }

  append(step: number, value: number, wallMs: number, epoch: number, line: number, file: number): void {
    if (step < this.lastStep && this.goesBack(step, epoch)) this.purge(step, line, file);
    if (this.rows !== undefined) this.materialize();
    this.lastStep = step;
    const i = this.length;
    let off = this.curOff;
    if (off === this.curCap) {
      this.grow(i);
      off = this.curOff;
    }
    this.curStep[off] = step;
    this.curValue[off] = value;
    if (this.linesImplicit) {
      if (line !== this.lineBase + off) this.lineBreak(off, line);
    } else this.curLine[off] = line;
    if (wallMs === wallMs) {
      const c = this.cur!;
      if (this.wallBase !== this.wallBase) this.wallBase = wallMs;
      if (c.wall === undefined) c.wall = new Float32Array(c.step.length).fill(NaN);
      c.wall[off] = (wallMs - this.wallBase) / 1000;
    } else if (this.cur!.wall !== undefined) {
      this.cur!.wall![off] = NaN;
    }
    if (epoch !== this.lastEpoch && !(epoch !== epoch && this.lastEpoch !== this.lastEpoch)) {
      this.lastEpoch = epoch;
      this.epochs.set(i, epoch);
    }
    if (file !== this.lastFile) {
      this.lastFile = file;
      this.fileIdx.set(i, file);
    }
    this.curOff = off + 1;
    this.length = i + 1;
  }

  /**
   * append() for points [0, n) of columns, in bulk: value[valueOff + k] is the value of point k; `wallMs`
   * or `epoch` undefined means NaN for every point. Same result as n append() calls.
   */
  appendBlock(
    n: number,
    step: Float64Array,
    value: Float64Array,
    valueOff: number,
    wallMs: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
    file: number,
  ): void {
    if (n <= 0) return;
    if (!this.stepsOnly) {
      // a resume inside the block: the points before it, the purge, then the rest
      let prev = this.lastStep;
      let cut = -1;
      for (let k = 0; k < n; k++) {
        const st = step[k]!;
        if (st < prev) {
          if (epoch === undefined || !(epoch[k]! > (k > 0 ? epoch[k - 1]! : this.epoch(this.length - 1)))) {
            cut = k;
            break;
          }
        }
        prev = st;
      }
      if (cut >= 0) {
        const sub = (a: Float64Array | undefined): Float64Array | undefined => a?.subarray(cut);
        this.appendBlock(cut, step, value, valueOff, wallMs, epoch, line, file);
        this.purge(step[cut]!, line[cut]!, file);
        this.lastStep = step[cut]!;
        this.appendBlock(n - cut, step.subarray(cut), value, valueOff + cut, sub(wallMs), sub(epoch), line.subarray(cut), file);
        return;
      }
    }
    if (this.rows !== undefined) this.materialize();
    if (wallMs !== undefined) {
      let k = 0;
      while (k < n && wallMs[k] !== wallMs[k]) k++;
      if (k === n) wallMs = undefined;
    }
    if (wallMs !== undefined) {
      // rare (logs with times): the per-point path keeps the wall base and the f32 column right
      for (let k = 0; k < n; k++)
        this.append(step[k]!, value[valueOff + k]!, wallMs[k]!, epoch === undefined ? NaN : epoch[k]!, line[k]!, file);
      return;
    }
    if (file !== this.lastFile) {
      this.lastFile = file;
      this.fileIdx.set(this.length, file);
    }
    // epochs: change points only
    const i0 = this.length;
    if (epoch === undefined) {
      if (this.lastEpoch === this.lastEpoch) {
        this.lastEpoch = NaN;
        this.epochs.set(i0, NaN);
      }
    } else {
      let last = this.lastEpoch;
      for (let k = 0; k < n; k++) {
        const ep = epoch[k]!;
        if (ep !== last && !(ep !== ep && last !== last)) {
          last = ep;
          this.epochs.set(i0 + k, ep);
        }
      }
      this.lastEpoch = last;
    }
    let k = 0;
    while (k < n) {
      let off = this.curOff;
      if (off === this.curCap) {
        this.grow(this.length);
        off = this.curOff;
      }
      const m = Math.min(n - k, this.curCap - off);
      const st = this.curStep;
      const va = this.curValue;
      const vo = valueOff + k - off;
      const so = k - off;
      const end = off + m;
      if (st === va)
        st.set(step.subarray(k, k + m), off); // steps only
      else
        for (let j = off; j < end; j++) {
          st[j] = step[so + j]!;
          va[j] = value[vo + j]!;
        }
      const c = this.cur!;
      if (c.wall !== undefined) c.wall.fill(NaN, off, end);
      // line numbers: stay implicit while consecutive
      if (this.linesImplicit) {
        if (off === 0) this.lineBase = c.lineBase = line[k]!;
        const base = this.lineBase + off - k;
        let j = k;
        const stop = k + m;
        while (j < stop && line[j] === base + j) j++;
        for (; j < stop; j++) {
          const ln = line[j]!;
          if (this.linesImplicit) {
            if (ln !== this.lineBase + off + (j - k)) this.lineBreak(off + (j - k), ln);
          } else this.curLine[off + (j - k)] = ln;
        }
      } else {
        const cl = this.curLine;
        for (let j = 0; j < m; j++) cl[off + j] = line[k + j]!;
      }
      this.curOff = end;
      this.length += m;
      k += m;
    }
    this.lastStep = step[n - 1]!;
  }

  /**
   * Appends the values of n rows just appended to `rows` (rows [before, before + n)): value k is
   * value[valueOff + k]. While the series is on those rows (it has been filled on every row since it
   * joined) only the values are stored; otherwise this is appendBlock() with the rows' columns.
   */
  appendRows(
    rows: SharedRows,
    before: number,
    n: number,
    value: Float64Array,
    valueOff: number,
    step: Float64Array,
    epoch: Float64Array | undefined,
    line: Float64Array,
    file: number,
  ): void {
    if (n <= 0) return;
    if (rows.backAt === before) {
      // the rows go back (a resume): private columns, where the purge happens
      this.appendBlock(n, step, value, valueOff, undefined, epoch, line, file);
      return;
    }
    if (this.rows !== rows || this.rowsBase + this.length !== before) {
      if (this.length !== 0 || this.rows !== undefined) {
        this.appendBlock(n, step, value, valueOff, undefined, epoch, line, file);
        return;
      }
      // joins the rows (its first points)
      this.rows = rows;
      this.rowsBase = before;
      this.lastFile = file;
      this.fileIdx.set(0, file);
    }
    let k = 0;
    while (k < n) {
      let off = this.curOff;
      if (off === this.curCap) {
        this.grow(this.length);
        off = this.curOff;
      }
      const m = Math.min(n - k, this.curCap - off);
      this.curValue.set(value.subarray(valueOff + k, valueOff + k + m), off);
      this.curOff = off + m;
      this.length += m;
      k += m;
    }
    this.lastStep = step[n - 1]!;
  }

  /** A resume at `step`: drops the points from the last one with step < `step` on (scanning back). */
  private purge(step: number, line: number, file: number): void {
    if (this.rows !== undefined) this.materialize();
    const fromStep = this.lastStep;
    let i = this.length;
    while (i > 0 && !(this.step(i - 1) < step)) i--;
    const dropped = this.length - i;
    this.truncate(i);
    this.onResume?.(this, step, fromStep, line, file, dropped);
  }

  /** Keeps points [0, i): later chunks are dropped, the chunk of point i is refilled from there. */
  private truncate(i: number): void {
    if (i >= this.length) return;
    const ci = i >>> CHUNK_SHIFT;
    const off = i & MASK;
    if (off === 0) {
      this.chunks.length = ci;
      this.cur = undefined;
      this.curOff = this.curCap = 0;
      this.linesImplicit = true;
      this.lineBase = NaN;
    } else {
      this.chunks.length = ci + 1;
      const c = this.chunks[ci]!;
      this.cur = c;
      this.curStep = c.step;
      this.curValue = c.value;
      this.linesImplicit = c.line === undefined;
      this.lineBase = c.lineBase;
      if (c.line) this.curLine = c.line;
      this.curOff = off;
      this.curCap = c.step.length;
    }
    this.length = i;
    this.epochs.truncate(i);
    this.fileIdx.truncate(i);
    this.lastEpoch = i > 0 ? this.epochs.get(i - 1) : NaN;
    this.lastFile = i > 0 ? this.fileIdx.get(i - 1) : -1;
    this.lastStep = i > 0 ? this.step(i - 1) : NaN;
  }

  /** Whether appendRows(rows, before, …) would store values only (the series is on, or can join, those rows). */
  canShare(rows: SharedRows, before: number): boolean {
    return this.rows === rows ? this.rowsBase + this.length === before : this.rows === undefined && this.length === 0;
  }

  /** Leaves the shared rows: private step/line/epoch columns for the points so far (once, O(n)). */
  private materialize(): void {
    const rows = this.rows!;
    const base = this.rowsBase;
    const n = this.length;
    const chunks = this.chunks;
    const file = this.lastFile; // one file while on shared rows
    this.clear();
    for (let i = 0; i < n; i++) {
      const r = base + i;
      this.append(rows.step(r), chunks[i >>> CHUNK_SHIFT]!.value[i & MASK]!, NaN, rows.epoch(r), rows.line(r), file);
    }
  }

  /** Line numbers stop being consecutive in the current chunk (or its first point arrives). */
  private lineBreak(off: number, line: number): void {
    const c = this.cur!;
    if (off === 0) {
      this.lineBase = c.lineBase = line;
      return;
    }
    const l = new Uint32Array(c.step.length);
    for (let k = 0; k < off; k++) l[k] = c.lineBase + k;
    l[off] = line;
    c.line = l;
    this.curLine = l;
    this.linesImplicit = false;
  }

  private grow(i: number): Chunk {
    const ci = i >>> CHUNK_SHIFT;
    let c = this.chunks[ci];
    if (c === undefined) {
      c = newChunk(ci === 0 ? 16 : CHUNK, this.stepsOnly || this.rows !== undefined);
      this.chunks.push(c);
    } else {
      // only the first chunk grows (doubling, capped at CHUNK)
      const g = newChunk(Math.min(CHUNK, c.step.length * 2), c.step === c.value);
      g.step.set(c.step);
      if (g.value !== g.step) g.value.set(c.value);
      if (c.line) {
        g.line = new Uint32Array(g.step.length);
        g.line.set(c.line);
      }
      g.lineBase = c.lineBase;
      if (c.wall) {
        g.wall = new Float32Array(g.step.length).fill(NaN);
        g.wall.set(c.wall);
      }
      this.chunks[ci] = g;
      c = g;
    }
    this.cur = c;
    this.curStep = c.step;
    this.curValue = c.value;
    this.linesImplicit = c.line === undefined;
    this.lineBase = c.lineBase;
    if (c.line) this.curLine = c.line;
    this.curOff = i & MASK;
    this.curCap = c.step.length;
    return c;
  }

  step(i: number): number {
    if (!(i >= 0 && i < this.length)) return NaN;
    if (this.rows !== undefined) return this.rows.step(this.rowsBase + i);
    return this.chunks[i >>> CHUNK_SHIFT]!.step[i & MASK]!;
  }
  value(i: number): number {
    if (!(i >= 0 && i < this.length)) return NaN;
    return this.chunks[i >>> CHUNK_SHIFT]!.value[i & MASK]!;
  }
  wall(i: number): number {
    if (!(i >= 0 && i < this.length)) return NaN;
    const w = this.chunks[i >>> CHUNK_SHIFT]?.wall?.[i & MASK] ?? NaN;
    return w === w ? this.wallBase + w * 1000 : NaN;
  }
  epoch(i: number): number {
    if (this.rows !== undefined) return i >= 0 && i < this.length ? this.rows.epoch(this.rowsBase + i) : NaN;
    return this.epochs.get(i);
  }
  /** The line (text) or record (binary) number of point i; NaN out of range. */
  line(i: number): number {
    if (!(i >= 0 && i < this.length)) return NaN;
    if (this.rows !== undefined) return this.rows.line(this.rowsBase + i);
    const c = this.chunks[i >>> CHUNK_SHIFT]!;
    return c.line ? c.line[i & MASK]! : c.lineBase + (i & MASK);
  }
  provenance(i: number): Provenance {
    const f = this.files()[this.fileIdx.get(i)];
    let n = 0;
    if (i >= 0 && i < this.length) n = this.line(i);
    if (!f) return { file: '' };
    return f.binary ? { file: f.path, record: n } : { file: f.path, line: n };
  }
  /** Copies points [from, from + n) of the step or value column into out[0, n) (clamped to [0, length)); no allocation. */
  readInto(column: 'step' | 'value', from: number, n: number, out: Float64Array): void {
    from = Math.max(0, from);
    const end = Math.min(this.length, from + Math.max(0, n), from + out.length);
    if (column === 'step' && this.rows !== undefined) {
      this.rows.readInto('step', this.rowsBase + from, end - from, out);
      return;
    }
    for (let i = from; i < end;) {
      const a = this.chunks[i >>> CHUNK_SHIFT]![column];
      const o = i & MASK;
      const m = Math.min(end - i, a.length - o);
      out.set(a.subarray(o, o + m), i - from);
      i += m;
    }
  }
  /** Copies of the step and value columns (for consumers that want contiguous arrays). */
  steps(): Float64Array {
    if (this.rows !== undefined) return this.rows.column('step', this.rowsBase, this.length);
    return this.column('step');
  }
  values(): Float64Array {
    return this.column('value');
  }
  /** A copy of points [from, from + n) of a column (clamped to [0, length)). */
  protected column(name: 'step' | 'value', from = 0, n = this.length - from): Float64Array {
    from = Math.max(0, from);
    const end = Math.min(this.length, from + Math.max(0, n));
    const out = new Float64Array(Math.max(0, end - from));
    for (let i = from; i < end;) {
      const a = this.chunks[i >>> CHUNK_SHIFT]![name];
      const o = i & MASK;
      const m = Math.min(end - i, a.length - o);
      out.set(a.subarray(o, o + m), i - from);
      i += m;
    }
    return out;
  }

  clear(): void {
    this.rows = undefined;
    this.rowsBase = 0;
    this.chunks = [];
    this.cur = undefined;
    this.curStep = new Float64Array(0);
    this.curValue = new Float64Array(0);
    this.curLine = new Uint32Array(0);
    this.linesImplicit = true;
    this.lineBase = NaN;
    this.curOff = 0;
    this.curCap = 0;
    this.lastEpoch = NaN;
    this.lastFile = -1;
    this.lastStep = NaN;
    this.length = 0;
    this.wallBase = NaN;
    this.epochs.clear();
    this.fileIdx.clear();
  }

  /** Allocated bytes (all columns, including unused capacity). */
  get bytes(): number {
    let b = this.epochs.bytes + this.fileIdx.bytes;
    for (const c of this.chunks)
      b += c.step.byteLength + (c.value !== c.step ? c.value.byteLength : 0) + (c.wall?.byteLength ?? 0) + (c.line?.byteLength ?? 8);
    return b;
  }
}

/**
 * The rows of one file shared by the series filled on every one of them (CSV columns without empty
 * cells): step, line and epoch stored once instead of once per series. A SeriesStore of steps only.
 */
export class SharedRows extends SeriesStore {
  constructor(files: () => readonly FileRef[]) {
    super('', 'other', 'none', files, true);
  }
  /** A copy of the steps of rows [from, from + n). */
  override column(name: 'step' | 'value', from = 0, n = this.length - from): Float64Array {
    return super.column(name, from, n);
  }
  /** The first row of the last block appended when that block goes back in step (a resume), else -1. */
  backAt = -1;
  /** Appends n rows (no wall times: series with times keep private columns). */
  appendRowBlock(n: number, step: Float64Array, epoch: Float64Array | undefined, line: Float64Array, file: number): void {
    let prev = this.length > 0 ? this.step(this.length - 1) : NaN;
    let back = false;
    for (let k = 0; k < n && !back; k++) {
      back = step[k]! < prev;
      prev = step[k]!;
    }
    this.backAt = back ? this.length : -1;
    this.appendBlock(n, step, step, 0, undefined, epoch, line, file);
  }
}

/** Errors of one file: counted, first one kept for the report. */
export class ErrorCounter {
  count = 0;
  firstLine?: number;
  firstRecord?: number;
  firstMessage = '';
  constructor(readonly file: string) {}
  add(line: number | undefined, record: number | undefined, message: string): void {
    if (this.count === 0) {
      this.firstLine = line;
      this.firstRecord = record;
      this.firstMessage = message;
    }
    this.count++;
  }
  clear(): void {
    this.count = 0;
    this.firstLine = undefined;
    this.firstRecord = undefined;
    this.firstMessage = '';
  }
  summary(): ParseErrorSummary {
    const s: { file: string; count: number; firstMessage: string; firstLine?: number; firstRecord?: number } = {
      file: this.file,
      count: this.count,
      firstMessage: this.firstMessage,
    };
    if (this.firstLine !== undefined) s.firstLine = this.firstLine;
    if (this.firstRecord !== undefined) s.firstRecord = this.firstRecord;
    return s;
  }
}

/** A run: its series, logit records and per-file errors. Implements the shared RunView. */
export class RunStore implements RunView {
  readonly id: string;
  name: string;
  readonly root: string;
  format: string;
  generation = 0;
  /** Run metadata that is not a step point (HF `train_loss`, `train_runtime`, …). */
  readonly meta: Record<string, number | string> = Object.create(null) as Record<string, number | string>; // keys come from logs (`__proto__`)
  private readonly fileRefs: FileRef[] = [];
  private readonly seriesMap = new Map<string, SeriesStore>();
  private seriesList: SeriesStore[] = [];
  private records: LogitRecord[] = [];
  private shared = new Map<string, SharedRows>();
  private readonly errors = new Map<string, ErrorCounter>();
  private readonly getFiles = (): readonly FileRef[] => this.fileRefs;
  private resumeList: ResumeInfo[] = [];
  private resumedSince = false;
  private readonly onResume: ResumeListener = (s, step, fromStep, line, file, dropped) => {
    this.resumedSince = true;
    this.generation++; // points were dropped: consumers re-read the run
    const ref = this.fileRefs[file];
    const path = ref?.path ?? '';
    const same = this.resumeList.find((r) => r.file === path && (r.line ?? r.record) === line && r.step === step);
    if (same) {
      if (!same.series.includes(s.key) && same.series.length < 32) (same.series as string[]).push(s.key);
      (same as { dropped: number }).dropped += dropped;
      if (fromStep > same.fromStep) (same as { fromStep: number }).fromStep = fromStep;
      return;
    }
    if (this.resumeList.length >= MAX_RESUMES) return;
    this.resumeList.push(
      ref?.binary
        ? { file: path, record: line, step, fromStep, series: [s.key], dropped }
        : { file: path, line, step, fromStep, series: [s.key], dropped },
    );
  };

  constructor(id: string, name: string, root: string, format: string) {
    this.id = id;
    this.name = name;
    this.root = root;
    this.format = format;
  }

  get files(): readonly string[] {
    return this.fileRefs.map((f) => f.path);
  }

  /** Index of a file in `files` (added when new). */
  fileIndex(path: string, binary: boolean): number {
    let i = this.fileRefs.findIndex((f) => f.path === path);
    if (i < 0) {
      i = this.fileRefs.length;
      this.fileRefs.push({ path, binary });
    }
    return i;
  }

  /** Gives file `from`'s slot to `to` (a longer copy of the same history replaces it; its points were dropped). */
  replaceFile(from: string, to: string): void {
    const i = this.fileRefs.findIndex((f) => f.path === from);
    if (i >= 0 && !this.hasFile(to)) this.fileRefs[i] = { ...this.fileRefs[i]!, path: to };
  }

  hasFile(path: string): boolean {
    return this.fileRefs.some((f) => f.path === path);
  }

  series(): readonly SeriesView[] {
    return this.seriesList;
  }
  getSeries(key: string): SeriesStore | undefined {
    return this.seriesMap.get(key);
  }
  ensureSeries(key: string, role: Role, split: Split): SeriesStore {
    let s = this.seriesMap.get(key);
    if (!s) {
      s = new SeriesStore(key, role, split, this.getFiles, false, this.onResume);
      this.seriesMap.set(key, s);
      this.seriesList = [...this.seriesList, s];
    }
    return s;
  }
  /** The shared rows of file `fileIdx` (see SeriesStore.appendRows); dropped by reset(). */
  sharedRows(fileIdx: number, group = 0): SharedRows {
    const key = `${fileIdx}/${group}`;
    let r = this.shared.get(key);
    if (r === undefined) {
      r = new SharedRows(this.getFiles);
      this.shared.set(key, r);
    }
    return r;
  }
  logitRecords(): readonly LogitRecord[] {
    return this.records;
  }
  addLogitRecord(r: LogitRecord): void {
    this.records.push(r);
  }
  /** Where the log went back in step (resumed runs), in order; at most MAX_RESUMES. */
  resumes(): readonly ResumeInfo[] {
    return this.resumeList;
  }
  /** Whether a series resumed (points were dropped) since the last call. */
  takeResumed(): boolean {
    const r = this.resumedSince;
    this.resumedSince = false;
    return r;
  }
  parseErrors(): readonly ParseErrorSummary[] {
    const out: ParseErrorSummary[] = [];
    for (const e of this.errors.values()) if (e.count > 0) out.push(e.summary());
    return out;
  }
  errorsFor(file: string): ErrorCounter {
    let e = this.errors.get(file);
    if (!e) {
      e = new ErrorCounter(file);
      this.errors.set(file, e);
    }
    return e;
  }

  /** Drops every point, record and error (truncation / replacement); bumps the generation. */
  reset(): void {
    this.generation++;
    for (const s of this.seriesList) s.clear();
    for (const r of this.shared.values()) r.clear();
    this.shared = new Map();
    this.seriesMap.clear();
    this.seriesList = [];
    this.records = [];
    this.resumeList = [];
    this.resumedSince = false;
    for (const e of this.errors.values()) e.clear();
    for (const k of Object.keys(this.meta)) delete this.meta[k];
  }

  /** Allocated bytes and stored points over all series (for the bench's bytes per point). */
  footprint(): { bytes: number; points: number } {
    let bytes = 0;
    let points = 0;
    for (const s of this.seriesList) {
      bytes += s.bytes;
      points += s.length;
    }
    for (const r of this.shared.values()) bytes += r.bytes;
    return { bytes, points };
  }
}
