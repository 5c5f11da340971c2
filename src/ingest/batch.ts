// Column batches: how the worker thread hands parsed points to the main thread (transferable buffers).
import type { LogitRecord, Split } from '../core/model';
import type { Sink } from './sink';

/** Points of single series: per series present, its id and its columns. */
export interface ColsOp {
  type: 'cols';
  cols: { id: number; n: number; step: Float64Array; value: Float64Array; wall: Float64Array; epoch: Float64Array; line: Float64Array }[];
}
/** One `Sink.rows` call: n rows shared by the series ids[j], whose values are value[j * n + r]. */
export interface RowsOp {
  type: 'rows';
  n: number;
  step: Float64Array;
  wall: Float64Array | undefined;
  epoch: Float64Array | undefined;
  line: Float64Array;
  ids: Int32Array;
  value: Float64Array;
  /** series j's values start at j * stride (default n) */
  stride?: number;
  group: number;
}

export interface Batch {
  type: 'batch';
  /** series declared since the previous batch: worker id = index in the worker's list */
  newSeries: { key: string; hint: Split }[];
  /** the points, in the order they were emitted */
  ops: (ColsOp | RowsOp)[];
  errors: { message: string; line?: number; record?: number }[];
  /** errors beyond the ones listed (counted, not kept: the run reports the count and the first) */
  moreErrors: number;
  logits: LogitRecord[];
  meta: [string, number | string][];
}

export interface Done {
  type: 'done';
  consumed: number;
  lines: number;
  state: unknown;
  /** a primed job: the state its parser started from */
  primed?: unknown;
  /** rows stepped by their record index (LineParser.recordSteps) */
  recordSteps?: number;
}

export interface Failed {
  type: 'failed';
  message: string;
}

/**
 * A column of n doubles in memory that is not zeroed first (every slot handed over is written before):
 * the columns go to the main thread with each batch, so every batch allocates them anew.
 */
function f64(n: number): Float64Array<ArrayBuffer> {
  return new Float64Array(Buffer.allocUnsafeSlow(n * 8).buffer as ArrayBuffer, 0, n);
}

// A series' pending points; kept across seal() (which copies them out) so that lines alternating
// between single points and rows do not allocate columns per line.
class Col {
  n = 0;
  step: Float64Array = new Float64Array(64);
  value: Float64Array = new Float64Array(64);
  wall: Float64Array = new Float64Array(64);
  epoch: Float64Array = new Float64Array(64);
  line: Float64Array = new Float64Array(64);
  private reserve(m: number): void {
    if (this.n + m <= this.step.length) return;
    let cap = this.step.length * 2;
    while (cap < this.n + m) cap *= 2;
    const grow = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = f64(cap);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.step = grow(this.step);
    this.value = grow(this.value);
    this.wall = grow(this.wall);
    this.epoch = grow(this.epoch);
    this.line = grow(this.line);
  }
  /** n points from columns (Sink.block), copied in bulk. */
  pushBlock(
    n: number,
    step: Float64Array,
    value: Float64Array,
    valueOff: number,
    wall: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
  ): void {
    this.reserve(n);
    const i = this.n;
    this.step.set(step.subarray(0, n), i);
    this.value.set(value.subarray(valueOff, valueOff + n), i);
    if (wall === undefined) this.wall.fill(NaN, i, i + n);
    else this.wall.set(wall.subarray(0, n), i);
    if (epoch === undefined) this.epoch.fill(NaN, i, i + n);
    else this.epoch.set(epoch.subarray(0, n), i);
    this.line.set(line.subarray(0, n), i);
    this.n = i + n;
  }
  /** The points as views of the column buffers, which go to `transfer` (new empty columns take their place). */
  handOver(transfer: ArrayBuffer[]): {
    step: Float64Array;
    value: Float64Array;
    wall: Float64Array;
    epoch: Float64Array;
    line: Float64Array;
  } {
    const n = this.n;
    const cap = this.step.length;
    if (n < cap >> 1) {
      // mostly empty (points between rows, a sparse column): copy out the few points, keep the columns
      const cut = (a: Float64Array): Float64Array => {
        const b = a.slice(0, n);
        transfer.push(b.buffer as ArrayBuffer);
        return b;
      };
      this.n = 0;
      return { step: cut(this.step), value: cut(this.value), wall: cut(this.wall), epoch: cut(this.epoch), line: cut(this.line) };
    }
    const out = {
      step: this.step.subarray(0, n),
      value: this.value.subarray(0, n),
      wall: this.wall.subarray(0, n),
      epoch: this.epoch.subarray(0, n),
      line: this.line.subarray(0, n),
    };
    transfer.push(
      this.step.buffer as ArrayBuffer,
      this.value.buffer as ArrayBuffer,
      this.wall.buffer as ArrayBuffer,
      this.epoch.buffer as ArrayBuffer,
      this.line.buffer as ArrayBuffer,
    );
    this.step = f64(cap);
    this.value = f64(cap);
    this.wall = f64(cap);
    this.epoch = f64(cap);
    this.line = f64(cap);
    this.n = 0;
    return out;
  }
  push(step: number, value: number, wall: number, epoch: number, line: number): void {
    if (this.n === this.step.length) this.reserve(1);
    const i = this.n++;
    this.step[i] = step;
    this.value[i] = value;
    this.wall[i] = wall;
    this.epoch[i] = epoch;
    this.line[i] = line;
  }
}

/**
 * Rows of one shape (series ids, wall/epoch presence, group) collected over several `rows` calls, in
 * buffers that are transferred as they are (no copy when the op is made): the value of series j, row r
 * is at value[j * stride + r].
 */
class RowsBuilder {
  n = 0;
  private cap = 0;
  private step: Float64Array = new Float64Array(0);
  private wall: Float64Array | undefined;
  private epoch: Float64Array | undefined;
  private line: Float64Array = new Float64Array(0);
  private value: Float64Array = new Float64Array(0);
  private readonly ids: Int32Array;
  constructor(
    private readonly k: number,
    ids: Int32Array,
    private readonly hasWall: boolean,
    private readonly hasEpoch: boolean,
    private readonly group: number,
    /** rows to allocate at first */
    private readonly hint: number,
  ) {
    this.ids = ids.slice(0, k);
  }
  sameShape(k: number, ids: Int32Array, hasWall: boolean, hasEpoch: boolean, group: number): boolean {
    if (k !== this.k || hasWall !== this.hasWall || hasEpoch !== this.hasEpoch || group !== this.group) return false;
    for (let j = 0; j < k; j++) if (ids[j] !== this.ids[j]) return false;
    return true;
  }
  private reserve(m: number): void {
    if (this.n + m <= this.cap) return;
    // the first block: as many rows as the previous op of the batch before had (a file's batches are
    // alike: no regrowth), else small (shapes may alternate every few lines: one op each); then doubling
    let cap = Math.max(2 * m, 64, this.cap === 0 ? this.hint : this.cap * 2);
    while (cap < this.n + m) cap *= 2;
    const n = this.n;
    const grow = (a: Float64Array | undefined): Float64Array => {
      const b = f64(cap);
      if (a) b.set(a.subarray(0, n));
      return b;
    };
    this.step = grow(this.step);
    this.line = grow(this.line);
    if (this.hasWall) this.wall = grow(this.wall);
    if (this.hasEpoch) this.epoch = grow(this.epoch);
    const v = f64(this.k * cap);
    for (let j = 0; j < this.k; j++) v.set(this.value.subarray(j * this.cap, j * this.cap + n), j * cap);
    this.value = v;
    this.cap = cap;
  }
  push(
    n: number,
    step: Float64Array,
    wall: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
    value: Float64Array,
    offs: Int32Array,
  ): void {
    this.reserve(n);
    const i = this.n;
    this.step.set(step.subarray(0, n), i);
    this.line.set(line.subarray(0, n), i);
    if (wall) this.wall!.set(wall.subarray(0, n), i);
    if (epoch) this.epoch!.set(epoch.subarray(0, n), i);
    const cap = this.cap;
    for (let j = 0; j < this.k; j++) this.value.set(value.subarray(offs[j]!, offs[j]! + n), j * cap + i);
    this.n = i + n;
  }
  /** The op; the builder's buffers go with it (the builder is not used again). */
  op(): RowsOp {
    const n = this.n;
    return {
      type: 'rows',
      n,
      step: this.step.subarray(0, n),
      wall: this.wall?.subarray(0, n),
      epoch: this.epoch?.subarray(0, n),
      line: this.line.subarray(0, n),
      ids: this.ids,
      value: this.value,
      stride: this.cap,
      group: this.group,
    };
  }
}

/** Worker-side sink: collects points per series until `take()`. */
export class BatchSink implements Sink {
  private declared = 0;
  private readonly keys: { key: string; hint: Split }[] = [];
  private cols: (Col | undefined)[] = [];
  private used: number[] = [];
  private ops: Batch['ops'] = [];
  private open: RowsBuilder | undefined;
  private transfer: ArrayBuffer[] = [];
  private errors: Batch['errors'] = [];
  private moreErrors = 0;
  private logits: LogitRecord[] = [];
  private metas: [string, number | string][] = [];
  /** rows of the largest rows op of the previous batch / of this one */
  private rowsHint = 0;
  private rowsNow = 0;
  points = 0;

  series(key: string, hint: Split = 'none'): number {
    this.keys.push({ key, hint });
    return this.keys.length - 1;
  }
  point(id: number, step: number, value: number, wallMs: number, epoch: number, line: number): void {
    let c = this.cols[id];
    if (c === undefined) c = this.cols[id] = new Col();
    if (c.n === 0) this.used.push(id);
    c.push(step, value, wallMs, epoch, line);
    this.points++;
  }
  block(
    id: number,
    n: number,
    step: Float64Array,
    value: Float64Array,
    valueOff: number,
    wallMs: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
  ): void {
    if (n <= 0) return;
    let c = this.cols[id];
    if (c === undefined) c = this.cols[id] = new Col();
    if (c.n === 0) this.used.push(id);
    c.pushBlock(n, step, value, valueOff, wallMs, epoch, line);
    this.points += n;
  }
  rows(
    n: number,
    step: Float64Array,
    wallMs: Float64Array | undefined,
    epoch: Float64Array | undefined,
    line: Float64Array,
    k: number,
    ids: Int32Array,
    value: Float64Array,
    offs: Int32Array,
    group = 0,
  ): void {
    if (n <= 0 || k <= 0) return;
    this.seal(); // points emitted before these rows go first
    // consecutive calls of one shape (a CSV file's blocks, a JSONL template's lines) grow one op: one
    // set of buffers per batch instead of one per parser block
    let open = this.open;
    if (open && !open.sameShape(k, ids, wallMs !== undefined, epoch !== undefined, group)) {
      this.closeRows();
      open = undefined;
    }
    if (!open) open = this.open = new RowsBuilder(k, ids, wallMs !== undefined, epoch !== undefined, group, this.rowsHint);
    open.push(n, step, wallMs, epoch, line, value, offs);
    this.points += k * n;
  }

  /** The rows being collected become an op (before any other op, and at take()). */
  private closeRows(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    const op = open.op();
    // the largest op of the last batch sizes the next batch's first block (+1/8: batches vary a little)
    this.rowsNow = Math.max(this.rowsNow, op.n);
    this.transfer.push(
      op.step.buffer as ArrayBuffer,
      op.line.buffer as ArrayBuffer,
      op.ids.buffer as ArrayBuffer,
      op.value.buffer as ArrayBuffer,
    );
    if (op.wall) this.transfer.push(op.wall.buffer as ArrayBuffer);
    if (op.epoch) this.transfer.push(op.epoch.buffer as ArrayBuffer);
    this.ops.push(op);
  }
  /** The single-series points so far become one op (keeps the order with rows ops). */
  private seal(): void {
    if (this.used.length === 0) return;
    this.closeRows(); // rows collected before these points go first
    const cols: ColsOp['cols'] = [];
    for (const id of this.used) {
      const c = this.cols[id]!;
      cols.push({ id, n: c.n, ...c.handOver(this.transfer) });
    }
    this.ops.push({ type: 'cols', cols });
    this.used = [];
  }
  logit(rec: LogitRecord): void {
    this.logits.push(rec);
  }
  error(message: string, line?: number, record?: number): void {
    if (this.errors.length < 1000) this.errors.push({ message, line, record });
    else this.moreErrors++;
  }
  meta(key: string, value: number | string): void {
    this.metas.push([key, value]);
  }

  take(): { batch: Batch; transfer: ArrayBuffer[] } {
    this.seal();
    this.closeRows();
    this.rowsHint = Math.min(this.rowsNow + (this.rowsNow >> 3), 1 << 20);
    this.rowsNow = 0;
    const transfer = this.transfer;
    const batch: Batch = {
      type: 'batch',
      newSeries: this.keys.slice(this.declared),
      ops: this.ops,
      errors: this.errors,
      moreErrors: this.moreErrors,
      logits: this.logits,
      meta: this.metas,
    };
    this.moreErrors = 0;
    this.declared = this.keys.length;
    this.ops = [];
    this.transfer = [];
    this.errors = [];
    this.logits = [];
    this.metas = [];
    return { batch, transfer };
  }
}

/** Whether a batch carries anything numbered by its position in the file other than its points' lines. */
export function positional(b: Batch): boolean {
  return b.errors.length > 0 || b.moreErrors > 0 || b.logits.length > 0;
}

/** Bytes of a batch's point columns (what holding it costs). */
export function batchBytes(b: Batch): number {
  let n = 0;
  for (const op of b.ops) {
    if (op.type === 'rows')
      n += op.step.byteLength + op.line.byteLength + op.value.byteLength + (op.wall?.byteLength ?? 0) + (op.epoch?.byteLength ?? 0);
    else for (const c of op.cols) n += c.step.byteLength + c.value.byteLength + c.wall.byteLength + c.epoch.byteLength + c.line.byteLength;
  }
  return n;
}

/** Adds `k` to the line of every point of a batch (its lines were counted from a later start). */
export function shiftLines(b: Batch, k: number): void {
  if (k === 0) return;
  const add = (a: Float64Array): void => {
    for (let i = 0; i < a.length; i++) a[i]! += k;
  };
  for (const op of b.ops) {
    if (op.type === 'rows') add(op.line);
    else for (const c of op.cols) add(c.line.subarray(0, c.n));
  }
}

/** Main-side: replays a batch into a sink; `ids` maps worker series ids to the sink's ids. */
export function applyBatch(b: Batch, sink: Sink, ids: number[]): void {
  for (const s of b.newSeries) ids.push(sink.series(s.key, s.hint));
  for (const op of b.ops) {
    if (op.type === 'rows') {
      const k = op.ids.length;
      const sid = new Int32Array(k);
      const offs = new Int32Array(k);
      for (let j = 0; j < k; j++) {
        sid[j] = ids[op.ids[j]!]!;
        offs[j] = j * (op.stride ?? op.n);
      }
      if (sink.rows) sink.rows(op.n, op.step, op.wall, op.epoch, op.line, k, sid, op.value, offs, op.group);
      else if (sink.block) for (let j = 0; j < k; j++) sink.block(sid[j]!, op.n, op.step, op.value, offs[j]!, op.wall, op.epoch, op.line);
      else
        for (let r = 0; r < op.n; r++)
          for (let j = 0; j < k; j++)
            sink.point(
              sid[j]!,
              op.step[r]!,
              op.value[offs[j]! + r]!,
              op.wall ? op.wall[r]! : NaN,
              op.epoch ? op.epoch[r]! : NaN,
              op.line[r]!,
            );
      continue;
    }
    for (const c of op.cols) {
      const id = ids[c.id]!;
      if (sink.block) sink.block(id, c.n, c.step, c.value, 0, c.wall, c.epoch, c.line);
      else for (let i = 0; i < c.n; i++) sink.point(id, c.step[i]!, c.value[i]!, c.wall[i]!, c.epoch[i]!, c.line[i]!);
    }
  }
  for (const e of b.errors) sink.error(e.message, e.line, e.record);
  const last = b.errors[b.errors.length - 1];
  for (let k = 0; k < (b.moreErrors ?? 0); k++) sink.error(last?.message ?? 'malformed record', undefined);
  for (const r of b.logits) sink.logit(r);
  for (const [k, v] of b.meta) sink.meta(k, v);
}
