// Main-thread side of the worker first read: runs the job on a bundled worker (kept for the next file a
// little while: no thread start and no cold parser code per file), applies its batches, then hands the
// parser state back to the main-thread LineReader.
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { applyBatch, type Batch, type Done, type Failed } from './batch';
import type { LineReader } from './lines';
import type { Sink } from './sink';
import type { WorkerJob } from './worker';

/** Bytes parsed per batch: each batch is applied (and checked) on the main thread in one go, so keep it small. */
const BATCH_BYTES = 512 << 10;
/** At most this many workers (two files loading at a time); an idle one exits after IDLE_MS. */
const MAX_WORKERS = 2;
const IDLE_MS = 2000;

interface PooledWorker {
  w: Worker;
  script: string;
  busy: boolean;
  idle: NodeJS.Timeout | undefined;
  /** the running job's message handler */
  onMessage: ((m: Batch | Done | Failed) => void) | undefined;
  /** the running job's end when the worker dies */
  onDeath: (() => void) | undefined;
}
const pool: PooledWorker[] = [];

function drop(p: PooledWorker): void {
  const i = pool.indexOf(p);
  if (i >= 0) pool.splice(i, 1);
  if (p.idle) clearTimeout(p.idle);
  void p.w.terminate().catch(() => undefined);
}

/** A free worker for `script` (started if there is room), or undefined when all are busy. */
function acquire(script: string): PooledWorker | undefined {
  let p = pool.find((x) => !x.busy && x.script === script);
  if (!p) {
    if (pool.length >= MAX_WORKERS) {
      const idle = pool.find((x) => !x.busy);
      if (!idle) return undefined;
      drop(idle); // another script's idle worker
    }
    const w = new Worker(script);
    const q: PooledWorker = { w, script, busy: false, idle: undefined, onMessage: undefined, onDeath: undefined };
    w.on('message', (m: Batch | Done | Failed) => q.onMessage?.(m));
    const die = (): void => {
      const i = pool.indexOf(q);
      if (i >= 0) pool.splice(i, 1);
      if (q.idle) clearTimeout(q.idle);
      q.onDeath?.();
    };
    w.on('error', die);
    w.on('exit', die);
    pool.push(q);
    p = q;
  }
  if (p.idle) clearTimeout(p.idle);
  p.idle = undefined;
  p.busy = true;
  p.w.ref(); // a job in flight keeps the process alive (the CLI awaits it)
  return p;
}

function release(p: PooledWorker): void {
  p.busy = false;
  p.onMessage = undefined;
  p.onDeath = undefined;
  if (!pool.includes(p)) return;
  p.w.unref(); // an idle worker never holds a process open
  p.idle = setTimeout(() => drop(p), IDLE_MS);
  p.idle.unref?.();
}

/**
 * Parses bytes [0, size) of `file` in a worker thread. Resolves with the offset the main thread must
 * continue from, or undefined (nothing applied) when the worker is unavailable; if it fails midway,
 * `onFail` is called so the caller can drop the partial data and read normally.
 */
export function bulkRead(
  script: string,
  file: string,
  format: string,
  size: number,
  reader: LineReader,
  sink: Sink,
  onFail?: () => void,
  /** after each applied batch (the caller may deliver the points parsed so far) */
  onBatch?: () => void,
): Promise<number | undefined> {
  if (!fs.existsSync(script) || (format !== 'jsonl' && format !== 'csv')) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    let applied = false;
    let settled = false;
    const ids: number[] = [];
    let p: PooledWorker | undefined;
    const finish = (v: number | undefined, failed = false): void => {
      if (settled) return;
      settled = true;
      if (v === undefined && applied) onFail?.();
      if (p) {
        if (failed) drop(p);
        release(p);
      }
      resolve(v);
    };
    try {
      p = acquire(script);
    } catch {
      p = undefined;
    }
    if (!p) {
      finish(undefined);
      return;
    }
    p.onDeath = () => finish(undefined, true);
    p.onMessage = (m) => {
      if (settled) return;
      if (m.type === 'batch') {
        applied = true;
        try {
          applyBatch(m, sink, ids);
          onBatch?.();
        } catch {
          finish(undefined, true);
        }
      } else if (m.type === 'done') {
        reader.resume(m.lines, m.state);
        finish(m.consumed);
      } else finish(undefined);
    };
    const job: WorkerJob = { file, format, end: size, chunkBytes: BATCH_BYTES };
    p.w.postMessage(job);
  });
}
