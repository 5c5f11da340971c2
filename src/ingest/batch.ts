// Column batches: how the worker thread hands parsed points to the main thread (transferable buffers).
import type { LogitRecord, Split } from '../core/model';
import type { Sink } from './sink';

export interface Batch {
  type: 'batch';
  /** series declared since the previous batch: worker id = index in the worker's list */
  newSeries: { key: string; hint: Split }[];
  /** per series present in this batch: its id and its columns */
  cols: { id: number; n: number; step: Float64Array; value: Float64Array; wall: Float64Array; epoch: Float64Array; line: Float64Array }[];
  errors: { message: string; line?: number; record?: number }[];
  logits: LogitRecord[];
  meta: [string, number | string][];
}

export interface Done {
  type: 'done';
  consumed: number;
  lines: number;
  state: unknown;
}

export interface Failed {
  type: 'failed';
  message: string;
}

class Col {
  n = 0;
  step: Float64Array = new Float64Array(1024);
  value: Float64Array = new Float64Array(1024);
  wall: Float64Array = new Float64Array(1024);
  epoch: Float64Array = new Float64Array(1024);
  line: Float64Array = new Float64Array(1024);
  push(step: number, value: number, wall: number, epoch: number, line: number): void {
    if (this.n === this.step.length) {
      const grow = (a: Float64Array): Float64Array<ArrayBuffer> => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.step = grow(this.step);
      this.value = grow(this.value);
      this.wall = grow(this.wall);
      this.epoch = grow(this.epoch);
      this.line = grow(this.line);
    }
    const i = this.n++;
    this.step[i] = step;
    this.value[i] = value;
    this.wall[i] = wall;
    this.epoch[i] = epoch;
    this.line[i] = line;
  }
}

/** Worker-side sink: collects points per series until `take()`. */
export class BatchSink implements Sink {
  private declared = 0;
  private readonly keys: { key: string; hint: Split }[] = [];
  private cols: (Col | undefined)[] = [];
  private used: number[] = [];
  private errors: Batch['errors'] = [];
  private logits: LogitRecord[] = [];
  private metas: [string, number | string][] = [];
  points = 0;

  series(key: string, hint: Split = 'none'): number {
    this.keys.push({ key, hint });
    return this.keys.length - 1;
  }
  point(id: number, step: number, value: number, wallMs: number, epoch: number, line: number): void {
    let c = this.cols[id];
    if (c === undefined) {
      c = this.cols[id] = new Col();
      this.used.push(id);
    }
    c.push(step, value, wallMs, epoch, line);
    this.points++;
  }
  logit(rec: LogitRecord): void {
    this.logits.push(rec);
  }
  error(message: string, line?: number, record?: number): void {
    if (this.errors.length < 1000) this.errors.push({ message, line, record });
  }
  meta(key: string, value: number | string): void {
    this.metas.push([key, value]);
  }

  take(): { batch: Batch; transfer: ArrayBuffer[] } {
    const transfer: ArrayBuffer[] = [];
    const cols: Batch['cols'] = [];
    for (const id of this.used) {
      const c = this.cols[id]!;
      const cut = (a: Float64Array): Float64Array => {
        const b = a.slice(0, c.n);
        transfer.push(b.buffer);
        return b;
      };
      cols.push({ id, n: c.n, step: cut(c.step), value: cut(c.value), wall: cut(c.wall), epoch: cut(c.epoch), line: cut(c.line) });
    }
    const batch: Batch = { type: 'batch', newSeries: this.keys.slice(this.declared), cols, errors: this.errors, logits: this.logits, meta: this.metas };
    this.declared = this.keys.length;
    this.cols = [];
    this.used = [];
    this.errors = [];
    this.logits = [];
    this.metas = [];
    return { batch, transfer };
  }
}

/** Main-side: replays a batch into a sink; `ids` maps worker series ids to the sink's ids. */
export function applyBatch(b: Batch, sink: Sink, ids: number[]): void {
  for (const s of b.newSeries) ids.push(sink.series(s.key, s.hint));
  for (const c of b.cols) {
    const id = ids[c.id]!;
    if (sink.block) sink.block(id, c.n, c.step, c.value, 0, c.wall, c.epoch, c.line);
    else for (let i = 0; i < c.n; i++) sink.point(id, c.step[i]!, c.value[i]!, c.wall[i]!, c.epoch[i]!, c.line[i]!);
  }
  for (const e of b.errors) sink.error(e.message, e.line, e.record);
  for (const r of b.logits) sink.logit(r);
  for (const [k, v] of b.meta) sink.meta(k, v);
}
